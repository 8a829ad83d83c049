/**
 * ctr parsers on real ctr 1.6.20 outputs: the kubelet node's (shared/recorded: the trio pod, read
 * by crictl and ctr at the same moment, so both readings must agree) and the embedded node's
 * (fixtures/recorded/embedded-*: app containers, exited ones, their CRI status files).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  containerFactsFromCtr,
  ctrLabelFilter,
  CtrOutputError,
  isCtrNotFound,
  parseCriContainerStatus,
  parseCtrContainerInfo,
  parseCtrContainersLs,
  parseCtrServerVersion,
  parseCtrTasksLs,
  rfc3339Nanoseconds,
  sandboxFactsFromCtr,
  sandboxSummaryFromCtr,
  cniNetworkFromConfigFile,
  firstCniConfigFile,
  imageConfigCommand,
  nextImageBlob,
  parseCtrImagesLs,
} from '../../lib/node/ctr-parsers.ts';
import { hostLocalIpamDirs } from '../../lib/node/cni-info.ts';
import { parseSandboxInspect } from '../../lib/node/inspect-parsers.ts';
import { ipv4OfDevice } from '../../lib/linux/ip-addr.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

const TRIO_SANDBOX = '5989c68113b61441361f247db60d514e6b210bb087b4d917fcc3460b51a1c33e';
const EXITS_SANDBOX = 'a06c60f419a84117eea75e36172238376fb6a0548ca5bacc67a84558dd555b2c';
const STEADY = 'e4af239b8838c5c6f12a941d272568a71ab29a3ee94fcf7753ce68f22ed36889';
const EXIT_ZERO = '143d942bca0245779c4396af5a5dc1b3e89a73f2f3266beb7c958509a7993555';
const EXIT_NONZERO = '071a1c2690fdd370818420d75c0e2de7d4c4017bd8a5be5cdcf3e368a5ce3827';

describe('ctr parsers (recorded ctr 1.6.20 output)', function () {
  describe('tables', function () {
    it('lists the containers of `ctr containers ls`: two pause sandboxes, five app containers', function () {
      const rows = parseCtrContainersLs(recorded('ctr-containers-ls.txt'));
      expect(rows).to.have.length(7);
      expect(rows.filter((row) => row.image === 'localhost/pause:catatonit').map((row) => row.id)).to.include(TRIO_SANDBOX);
      expect(rows.every((row) => row.runtime === 'io.containerd.runc.v2')).to.equal(true);
    });

    it('reads an empty list (header only) as no containers and no tasks', function () {
      expect(parseCtrContainersLs(recorded('empty-ctr-containers-ls.txt'))).to.deep.equal([]);
      expect(parseCtrTasksLs(recorded('empty-ctr-tasks-ls.txt')).size).to.equal(0);
    });

    it('reads pids and statuses from `ctr tasks ls`', function () {
      const tasks = parseCtrTasksLs(recorded('ctr-tasks-ls.txt'));
      expect(tasks.size).to.equal(7);
      expect(tasks.get(TRIO_SANDBOX)).to.deep.equal({ id: TRIO_SANDBOX, pid: 20240, status: 'RUNNING' });
    });

    it('shows no task for containers that exited (the CRI plugin deletes their tasks)', function () {
      const tasks = parseCtrTasksLs(recorded('embedded-ctr-tasks-ls-exits.txt'));
      expect([...tasks.keys()]).to.have.members([EXITS_SANDBOX, STEADY, 'ac303c8f835d83240cbe6d2cd31e4f565870fc47411d636e91f59dfdfaba0e82']);
      expect(tasks.has(EXIT_ZERO)).to.equal(false);
      expect(tasks.has(EXIT_NONZERO)).to.equal(false);
    });

    it('refuses what is not the table (the empty stdout of a failed ctr), naming the command', function () {
      expect(() => parseCtrContainersLs('')).to.throw(CtrOutputError, /ctr containers ls printed something unexpected/);
      expect(() => parseCtrTasksLs(recorded('ctr-containers-ls.txt'))).to.throw(CtrOutputError, /TASK PID STATUS/);
    });

    it('reads the server version of `ctr version`', function () {
      expect(parseCtrServerVersion(recorded('ctr-version.txt'))).to.equal('1.6.20~ds1');
    });

    it('tells "not found" from other failures', function () {
      expect(recorded('embedded-err-ctr-containers-info-unknown.exitcode.txt').trim()).to.equal('1');
      expect(isCtrNotFound(recorded('embedded-err-ctr-containers-info-unknown.stderr.txt'))).to.equal(true);
      expect(isCtrNotFound(recorded('err-ctr-containers-ls-no-socket.stderr.txt'))).to.equal(false);
    });
  });

  describe('a sandbox', function () {
    it('agrees with crictl inspectp of the same sandbox at the same moment (kubelet node)', function () {
      const info = parseCtrContainerInfo(recorded('ctr-containers-info-trio-sandbox.json'));
      const task = parseCtrTasksLs(recorded('ctr-tasks-ls.txt')).get(TRIO_SANDBOX);
      const fromCtr = sandboxFactsFromCtr(info, task, true);
      const fromCrictl = parseSandboxInspect(JSON.parse(recorded('crictl-inspectp-trio.json')));
      expect(info.kind).to.equal('sandbox');
      expect(fromCtr).to.deep.equal(fromCrictl);
      expect(fromCtr).to.include({ state: 'ready', pausePid: 20240, ip: '10.244.77.17', image: 'localhost/pause:catatonit' });
    });

    it('is notready with no pause pid once its task is gone, and has no IP once its netns is gone', function () {
      const info = parseCtrContainerInfo(recorded('ctr-containers-info-trio-sandbox.json'));
      const afterKill = sandboxFactsFromCtr(info, undefined, true);
      expect(afterKill.state).to.equal('notready');
      expect(afterKill.pausePid).to.equal(undefined);
      expect(afterKill.ip).to.equal('10.244.77.17');
      expect(sandboxFactsFromCtr(info, undefined, false).ip).to.equal('');
    });

    it('reads the pause task out of the list after pause was killed on the embedded node: it is gone', function () {
      const tasks = parseCtrTasksLs(recorded('embedded-ctr-tasks-ls-after-pause-kill.txt'));
      expect(tasks.has('3106cfebed757c992cfaeb45078efd2fbc0eae245e5bed3296b87ff75d1cbe08')).to.equal(false);
      expect(tasks.size).to.equal(2);
    });

    it('gives the IP the kernel shows inside the netns (embedded node)', function () {
      const info = parseCtrContainerInfo(recorded('embedded-ctr-containers-info-exits-sandbox.json'));
      const facts = sandboxFactsFromCtr(info, parseCtrTasksLs(recorded('embedded-ctr-tasks-ls-exits.txt')).get(EXITS_SANDBOX), true);
      expect(facts).to.include({ id: EXITS_SANDBOX, state: 'ready', pausePid: 25063 });
      expect(facts.ip).to.equal(ipv4OfDevice(recorded('embedded-nsenter-ip-4-o-addr-eth0.txt'), 'eth0'));
      expect(facts.ip).to.equal('10.213.77.2');
      expect(facts.netnsPath).to.match(/\/netns\/cni-0749bd73-/);
    });

    it('summarises it as crictl pods would: pod name, namespace, uid, attempt, creation time', function () {
      const info = parseCtrContainerInfo(recorded('ctr-containers-info-trio-sandbox.json'));
      const summary = sandboxSummaryFromCtr(info, parseCtrTasksLs(recorded('ctr-tasks-ls.txt')).get(TRIO_SANDBOX));
      expect(summary).to.include({ id: TRIO_SANDBOX, state: 'ready', attempt: 0, podName: 'trio', podNamespace: 'pc-rec', podUid: 'e0bc0951-717a-443a-82b5-2d1eab0b73eb' });
      expect(summary.createdAtNs).to.equal(1795614533678749778n);
    });
  });

  describe('an app container', function () {
    const tasks = parseCtrTasksLs(recorded('embedded-ctr-tasks-ls-exits.txt'));

    it('is running with its task pid, named and tied to its sandbox', function () {
      const info = parseCtrContainerInfo(recorded('embedded-ctr-containers-info-steady.json'));
      const facts = containerFactsFromCtr(info, tasks.get(STEADY), parseCriContainerStatus(recorded('embedded-cri-status-steady.json')));
      expect(info.kind).to.equal('container');
      expect(facts).to.deep.equal({ id: STEADY, sandboxId: EXITS_SANDBOX, name: 'steady', attempt: 0, state: 'running', pid: 25096 });
    });

    it('has exited with its exit code, read from the CRI status file', function () {
      const info = parseCtrContainerInfo(recorded('embedded-ctr-containers-info-exit-nonzero.json'));
      const facts = containerFactsFromCtr(info, tasks.get(EXIT_NONZERO), parseCriContainerStatus(recorded('embedded-cri-status-exit-nonzero.json')));
      expect(facts).to.deep.equal({ id: EXIT_NONZERO, sandboxId: EXITS_SANDBOX, name: 'exit-nonzero', attempt: 0, state: 'exited', exitCode: 3 });
    });

    it('is unknown, not guessed, when there is no task and no status file', function () {
      const info = parseCtrContainerInfo(recorded('embedded-ctr-containers-info-exit-nonzero.json'));
      expect(containerFactsFromCtr(info, undefined, undefined).state).to.equal('unknown');
    });

    it('reads the status files as the CRI plugin derives states', function () {
      expect(parseCriContainerStatus(recorded('embedded-cri-status-exit-zero.json'))).to.deep.equal({ state: 'exited', pid: 0, exitCode: 0 });
      expect(parseCriContainerStatus(recorded('embedded-cri-status-steady.json'))).to.deep.equal({ state: 'running', pid: 25096, exitCode: 0 });
      expect(() => parseCriContainerStatus('{"Version":"v9"}')).to.throw(CtrOutputError, /unknown version/);
    });
  });

  describe('filters and times', function () {
    it('builds the label filter ctr accepted on the embedded node (quoted keys and values, comma = and)', function () {
      expect(ctrLabelFilter({ 'io.kubernetes.pod.uid': 'bd1ed2d2-b1af-47c0-9b12-bf67e590c4b0', 'io.cri-containerd.kind': 'container' })).to.equal(
        'labels."io.kubernetes.pod.uid"=="bd1ed2d2-b1af-47c0-9b12-bf67e590c4b0",labels."io.cri-containerd.kind"=="container"',
      );
      // What that filter listed: the pod's four app containers, not its sandbox.
      const listed = parseCtrContainersLs(recorded('embedded-ctr-containers-ls-uid-container.txt')).map((row) => row.id);
      expect(listed).to.have.members([EXIT_NONZERO, EXIT_ZERO, STEADY, 'ac303c8f835d83240cbe6d2cd31e4f565870fc47411d636e91f59dfdfaba0e82']);
      expect(parseCtrContainersLs(recorded('embedded-ctr-containers-ls-kind-sandbox.txt')).map((row) => row.image)).to.deep.equal(['localhost/pause-conformance/pause:catatonit']);
    });

    it('converts containerd timestamps to nanoseconds without losing digits', function () {
      expect(rfc3339Nanoseconds('2026-11-25T13:48:53.678749778Z')).to.equal(1795614533678749778n);
      expect(rfc3339Nanoseconds('2026-11-25T13:48:53.7Z')).to.equal(1795614533700000000n);
      expect(rfc3339Nanoseconds('2026-11-25T13:48:53Z')).to.equal(1795614533000000000n);
      expect(rfc3339Nanoseconds('yesterday')).to.equal(0n);
    });
  });
});

describe('ctr parsers (recorded ctr and containerd 2.1.9)', function () {
  // One pod "trio" (sandbox + c0, c1) read by ctr 2.1.9 and over CRI at the same moment.
  const SANDBOX = '2af6b18f495634fe566239a5921a47f92d32e12f13eddda6b9be83214d17aa97';
  const C0 = '23f8e32e5d46683b5146f1806e29ff867b698779b0ca12092198ac95a245072b';
  const tasks = parseCtrTasksLs(recorded('containerd-2.1.9-ctr-tasks-ls.txt'));

  it('reads the tables and the server version as 1.6 prints them', function () {
    expect(parseCtrServerVersion(recorded('containerd-2.1.9-ctr-version.txt'))).to.equal('2.1.9+unknown');
    expect([...tasks.values()].map((task) => `${task.id.slice(0, 6)}:${task.pid}:${task.status}`)).to.deep.equal(['2af6b1:2031:RUNNING', '23f8e3:2088:RUNNING', '2940fa:2136:RUNNING']);
    expect(parseCtrContainersLs(recorded('containerd-2.1.9-ctr-containers-ls.txt')).map((row) => row.image)).to.deep.equal([
      'localhost/pause-conformance/busybox:static',
      'localhost/pause-conformance/busybox:static',
      'localhost/pause-conformance/pause:catatonit',
    ]);
  });

  it('reads the sandbox as the same runtime reports it over CRI (state, IP, labels, namespace modes)', function () {
    const info = parseCtrContainerInfo(recorded('containerd-2.1.9-ctr-containers-info-sandbox.json'));
    const facts = sandboxFactsFromCtr(info, tasks.get(SANDBOX), true);
    const cri = (JSON.parse(recorded('containerd-2.1.9-cri-pod-sandbox-status-verbose.json')) as { status: { state: string; network: { ip: string }; labels: Record<string, string>; linux: { namespaces: { options: Record<string, string> } } } }).status;
    expect(cri.state).to.equal('SANDBOX_READY');
    expect(facts).to.deep.include({ id: SANDBOX, state: 'ready', attempt: 0, pausePid: 2031, ip: cri.network.ip, image: 'localhost/pause-conformance/pause:catatonit' });
    expect(facts.labels).to.deep.equal(cri.labels);
    const { network, pid, ipc } = cri.linux.namespaces.options;
    expect(facts.namespaceModes).to.deep.equal({ network, pid, ipc });
    expect(facts.netnsPath).to.match(/\/netns\/cni-810fafca-5d23-7613-b10a-7cc10012af6d$/);
  });

  it('reads an app container: its sandbox, name, attempt and running pid', function () {
    const info = parseCtrContainerInfo(recorded('containerd-2.1.9-ctr-containers-info-container.json'));
    expect(containerFactsFromCtr(info, tasks.get(C0), undefined)).to.deep.equal({ id: C0, sandboxId: SANDBOX, name: 'c0', attempt: 0, state: 'running', pid: 2088 });
  });
});

describe('CNI config files as the ctr inspector reads them for the IPAM store', function () {
  const nodeImageConflist = readFileSync(new URL('../../fixtures/node-image/rootfs/etc/cni/net.d/10-pc-node.conflist', import.meta.url), 'utf8');

  it("takes the file containerd's CRI plugin loads: the first .conflist/.conf/.json by name", function () {
    expect(firstCniConfigFile(['99-loopback.conf', '10-pc-node.conflist', 'README', '', '05-old.conf.bak'])).to.equal('10-pc-node.conflist');
    expect(firstCniConfigFile(['README'])).to.equal(undefined);
  });

  it("finds the node image's host-local store (the network's name under /var/lib/cni/networks)", function () {
    expect(hostLocalIpamDirs(cniNetworkFromConfigFile(nodeImageConflist))).to.deep.equal(['/var/lib/cni/networks/pc-node']);
  });

  it("honours a dataDir, and reads a single-plugin .conf (kindnetd's ipam: kind images/kindnetd/cmd/kindnetd/cni.go)", function () {
    const kindnet = '{"cniVersion":"0.4.0","name":"kindnet","plugins":[{"type":"ptp","ipMasq":false,"ipam":{"type":"host-local","dataDir":"/run/cni-ipam-state","ranges":[[{"subnet":"10.244.0.0/24"}]]},"mtu":1500},{"type":"portmap","capabilities":{"portMappings":true}}]}';
    expect(hostLocalIpamDirs(cniNetworkFromConfigFile(kindnet))).to.deep.equal(['/run/cni-ipam-state/kindnet']);
    const single = '{"cniVersion":"0.3.1","name":"mynet","type":"bridge","ipam":{"type":"host-local","subnet":"10.22.0.0/16"}}';
    expect(hostLocalIpamDirs(cniNetworkFromConfigFile(single))).to.deep.equal(['/var/lib/cni/networks/mynet']);
  });

  it('gives no store for a file that is not a CNI config', function () {
    expect(cniNetworkFromConfigFile('not json')).to.equal(undefined);
    expect(cniNetworkFromConfigFile('{"plugins":[]}')).to.equal(undefined);
  });
});

describe("an image's config through ctr's content store (recorded in a node container, ctr 1.6.20)", function () {
  const rows = parseCtrImagesLs(recorded('node-container-ctr-images-ls.txt'));
  const PAUSE = 'localhost/pause-conformance/pause:catatonit';

  it('lists each image under its name and its id (the config digest), both with the same target digest', function () {
    const pause = rows.find((row) => row.ref === PAUSE)!;
    expect(pause.type).to.equal('application/vnd.oci.image.manifest.v1+json');
    const manifestConfig = nextImageBlob(recorded('node-container-ctr-content-get-pause-manifest.json'), 'amd64');
    expect(manifestConfig.kind).to.equal('config');
    expect(rows.filter((row) => row.digest === pause.digest).map((row) => row.ref).sort()).to.deep.equal([PAUSE, manifestConfig.digest]);
  });

  it("reads the config's entrypoint and cmd", function () {
    expect(imageConfigCommand(recorded('node-container-ctr-content-get-pause-config.json'))).to.deep.equal({ entrypoint: ['/pause', '-P'], cmd: [] });
  });

  it('follows an index to the manifest of the architecture, and refuses what is neither', function () {
    const index = JSON.stringify({ schemaVersion: 2, manifests: [{ digest: 'sha256:arm', platform: { os: 'linux', architecture: 'arm64' } }, { digest: 'sha256:amd', platform: { os: 'linux', architecture: 'amd64' } }] });
    expect(nextImageBlob(index, 'amd64')).to.deep.equal({ kind: 'manifest', digest: 'sha256:amd' });
    expect(() => nextImageBlob('{"schemaVersion":2}', 'amd64')).to.throw(CtrOutputError, /neither an index nor a manifest/);
  });
});
