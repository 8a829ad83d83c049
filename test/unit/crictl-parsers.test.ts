/**
 * crictl list outputs, version, info and failure messages, on outputs recorded from crictl 1.36
 * against containerd 1.6.20 under a real kubelet (fixtures/recorded, copied from shared/recorded).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CrictlOutputError, parseCrictlFailure, parseCrictlInfo, parseCrictlPods, parseCrictlPs, parseCrictlVersion } from '../../lib/node/crictl-parsers.ts';
import { currentSandbox } from '../../lib/node/runtime-facts.ts';
import { hostLocalIpamDirs, ipamStores } from '../../lib/node/cni-info.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

const TRIO_UID = 'e0bc0951-717a-443a-82b5-2d1eab0b73eb';
const TRIO_SANDBOX_0 = '5989c68113b61441361f247db60d514e6b210bb087b4d917fcc3460b51a1c33e';
const TRIO_SANDBOX_1 = '36aafaac2374891ef4fd254a7873eb0c7a82f4584c917f8901d127029f7aa358';

describe('crictl parsers (recorded crictl 1.36 output)', function () {
  it('reads a sandbox from `crictl pods --label ... -o json`: id, state, attempt, pod identity, labels, createdAt in ns', function () {
    const [sandbox, ...rest] = parseCrictlPods(recorded('crictl-pods-label-trio.json'));
    expect(rest).to.deep.equal([]);
    expect(sandbox).to.include({ id: TRIO_SANDBOX_0, state: 'ready', attempt: 0, podName: 'trio', podNamespace: 'pc-rec', podUid: TRIO_UID });
    expect(sandbox!.createdAtNs).to.equal(1795614533678749778n);
    expect(sandbox!.labels['io.kubernetes.pod.uid']).to.equal(TRIO_UID);
    expect(sandbox!.labels['app']).to.equal('trio');
  });

  it("picks the kubelet's current sandbox after pause died: the READY attempt 1, not the NOTREADY attempt 0", function () {
    const sandboxes = parseCrictlPods(recorded('3a-after-crictl-pods-trio.json'));
    expect(sandboxes.map((s) => [s.id, s.state, s.attempt])).to.deep.equal([
      [TRIO_SANDBOX_1, 'ready', 1],
      [TRIO_SANDBOX_0, 'notready', 0],
    ]);
    expect(currentSandbox(sandboxes)?.id).to.equal(TRIO_SANDBOX_1);
    expect(currentSandbox([...sandboxes].reverse())?.id, 'order of the list does not matter').to.equal(TRIO_SANDBOX_1);
    // While the kubelet has not made the new one yet, the old one is all there is.
    expect(currentSandbox(sandboxes.filter((s) => s.attempt === 0))).to.include({ id: TRIO_SANDBOX_0, state: 'notready' });
    expect(currentSandbox([])).to.equal(undefined);
  });

  it('reads empty lists as empty', function () {
    expect(parseCrictlPods(recorded('empty-crictl-pods.json'))).to.deep.equal([]);
    expect(parseCrictlPs(recorded('empty-crictl-ps-a.json'))).to.deep.equal([]);
  });

  it('reads containers from `crictl ps -a -o json`: id, sandbox, name, attempt, state, labels', function () {
    const all = parseCrictlPs(recorded('crictl-ps-a.json'));
    expect(all).to.have.length(5);
    expect(all[0]).to.include({ id: 'd5c41d85c56e9c1095be013180d988541ae8e7b763e2be2cc8ed2aeaad038b7d', sandboxId: TRIO_SANDBOX_0, name: 'gamma', attempt: 0, state: 'running' });
    expect(all[0]!.labels['io.kubernetes.container.name']).to.equal('gamma');
    const byPod = parseCrictlPs(recorded('3a-before-crictl-ps-trio.json'));
    expect(byPod.map((c) => c.name).sort()).to.deep.equal(['alpha', 'beta', 'gamma']);
    expect(new Set(byPod.map((c) => c.sandboxId))).to.deep.equal(new Set([TRIO_SANDBOX_0]));
  });

  it('keeps both attempts after a sandbox change: attempt 1 running in the new sandbox, attempt 0 exited in the old', function () {
    const containers = parseCrictlPs(recorded('3a-after-crictl-ps-a-trio.json'));
    const alpha = containers.filter((c) => c.name === 'alpha').map((c) => [c.attempt, c.state, c.sandboxId]);
    expect(alpha).to.deep.equal([
      [1, 'running', TRIO_SANDBOX_1],
      [0, 'exited', TRIO_SANDBOX_0],
    ]);
  });

  it('reads `crictl version`', function () {
    expect(parseCrictlVersion(recorded('crictl-version.txt'))).to.deep.equal({ version: '0.1.0', runtimeName: 'containerd', runtimeVersion: '1.6.20~ds1', runtimeApiVersion: 'v1' });
    expect(() => parseCrictlVersion('')).to.throw(CrictlOutputError, /no RuntimeName/);
  });

  it('reads the sandbox image, host-local IPAM directory and conditions from `crictl info -o json`', function () {
    const info = parseCrictlInfo(recorded('crictl-info.json'));
    expect(info.sandboxImage).to.equal('localhost/pause:catatonit');
    expect(info.ipamDirs).to.deep.equal(['/var/lib/pc-node/cni-state/probe']);
    expect(info.conditions).to.deep.equal({ RuntimeReady: true, NetworkReady: true });
  });

  it('tells NotFound (gone) from Unavailable (runtime unreachable) in crictl stderr, past the crictl.yaml warning', function () {
    const notFound = parseCrictlFailure(recorded('err-crictl-inspectp-unknown-id.stderr.txt'));
    expect(notFound.kind).to.equal('not-found');
    expect(notFound.message).to.match(/^get the status of pod sandboxes: .*code = NotFound/);
    const unavailable = parseCrictlFailure(recorded('err-crictl-pods-no-socket.stderr.txt'));
    expect(unavailable.kind).to.equal('unavailable');
    expect(unavailable.message).to.match(/^validate service connection: .*nonexistent\.sock: connect: no such file or directory"?$/);
    expect(unavailable.message, 'quotes inside msg are unescaped').to.include('endpoint "unix:///var/lib/pc-node/nonexistent.sock"');
    expect(recorded('err-crictl-pods-no-socket.exitcode.txt').trim()).to.equal('1');
  });

  it('names the command when the output is not JSON', function () {
    expect(() => parseCrictlPods('level=fatal msg="x"')).to.throw(CrictlOutputError, /crictl pods printed something that is not its JSON/);
    expect(() => parseCrictlPs('{}')).to.throw(CrictlOutputError, /no "containers" list/);
  });
});

describe('is the runtime read the kubelet\'s (recorded crictl pods + kubectl get pod)', function () {
  it('finds the API pod among the sandboxes `crictl pods -o json` lists, by pod uid', async function () {
    const { matchPodsToSandboxes } = await import('../../lib/providers/cluster/same-node.ts');
    const trio = JSON.parse(recorded('kubectl-get-pod-trio.json')) as { metadata: { namespace: string; name: string; uid: string } };
    const apiPods = [{ namespace: trio.metadata.namespace, name: trio.metadata.name, uid: trio.metadata.uid }];
    const listed = parseCrictlPods(recorded('crictl-pods.json'));
    expect(matchPodsToSandboxes(apiPods, listed).seen.map((p) => p.name)).to.deep.equal(['trio']);
    // A static pod's API copy (mirror pod) has its own uid; its sandbox carries the kubelet's, named by kubernetes.io/config.mirror.
    const sharedPid = listed.find((s) => s.podName === 'shared-pid')!;
    expect(matchPodsToSandboxes([{ namespace: 'pc-rec', name: 'mirror', uid: 'api-side-uid', kubeletUid: sharedPid.podUid! }], listed).seen).to.have.length(1);
    // Another runtime (here: one with no pods) sees none of them.
    expect(matchPodsToSandboxes(apiPods, parseCrictlPods(recorded('empty-crictl-pods.json'))).missing.map((p) => p.name)).to.deep.equal(['trio']);
  });
});

describe('CNI info', function () {
  it('finds the host-local IPAM directory in recorded crictl info', function () {
    const info = JSON.parse(recorded('crictl-info.json')) as { cniconfig: unknown };
    expect(hostLocalIpamDirs(info.cniconfig)).to.deep.equal(['/var/lib/pc-node/cni-state/probe']);
    expect(ipamStores(info.cniconfig).notChecked).to.equal(undefined);
  });

  it("finds a real node's host-local dataDir in recorded containerd 2.1.9 crictl info", function () {
    const info = JSON.parse(recorded('crictl-info-containerd-2.1.9.json')) as { cniconfig: unknown };
    expect(ipamStores(info.cniconfig)).to.deep.equal({ dirs: ['/var/lib/cni/node-networks/node'] });
  });

  describe("k3s's flannel conflist (k3s pkg/agent/flannel/setup_linux.go cniConf, as go-cni reports it)", function () {
    // The loopback entry is the recorded one; the cbr0 entry is k3s's template with each plugin's
    // Source as libcni marshals it (keys sorted, compact), per containerd/go-cni cni.go 311-321.
    const loopback = (JSON.parse(recorded('crictl-info.json')) as { cniconfig: { Networks: unknown[] } }).cniconfig.Networks[0];
    const k3s = (flannel: string): unknown => ({
      Networks: [
        loopback,
        {
          Config: {
            CNIVersion: '1.0.0',
            Name: 'cbr0',
            Plugins: [
              { Network: { dns: {}, ipam: {}, type: 'flannel' }, Source: flannel },
              { Network: { capabilities: { portMappings: true }, dns: {}, ipam: {}, type: 'portmap' }, Source: '{"capabilities":{"portMappings":true},"type":"portmap"}' },
              { Network: { capabilities: { bandwidth: true }, dns: {}, ipam: {}, type: 'bandwidth' }, Source: '{"capabilities":{"bandwidth":true},"type":"bandwidth"}' },
            ],
            Source: '{ "name":"cbr0", "cniVersion":"1.0.0", "plugins":[ {"type":"flannel","delegate":{"hairpinMode":true,"forceAddress":true,"isDefaultGateway":true}}, {"type":"portmap","capabilities":{"portMappings":true}}, {"type":"bandwidth","capabilities":{"bandwidth":true}} ] }',
          },
          IFName: 'eth0',
        },
      ],
      PluginConfDir: '/var/lib/rancher/k3s/agent/etc/cni/net.d',
      PluginDirs: ['/var/lib/rancher/k3s/data/cni'],
      PluginMaxConfNum: 1,
      Prefix: 'eth',
    });
    const template = '{"delegate":{"forceAddress":true,"hairpinMode":true,"isDefaultGateway":true},"type":"flannel"}';

    it("reads flannel's delegate IPAM: host-local in /var/lib/cni/networks/<list name>", function () {
      expect(ipamStores(k3s(template))).to.deep.equal({ dirs: ['/var/lib/cni/networks/cbr0'] });
    });

    it("takes the flannel plugin's own ipam.dataDir", function () {
      expect(ipamStores(k3s(template.replace('"type":"flannel"', '"ipam":{"dataDir":"/var/lib/x","type":"host-local"},"type":"flannel"'))).dirs).to.deep.equal(['/var/lib/x/cbr0']);
    });

    it('says why IP release cannot be checked when the IPAM is not host-local', function () {
      expect(ipamStores(k3s(template.replace('"type":"flannel"', '"ipam":{"type":"calico-ipam"},"type":"flannel"')))).to.deep.equal({
        dirs: [],
        notChecked: 'network cbr0: IPAM calico-ipam keeps no host-local store the harness can read',
      });
      expect(ipamStores({ Networks: [loopback] }).notChecked).to.equal('no plugin of the CNI networks cni-loopback allocates IPs with host-local');
      expect(ipamStores(undefined).notChecked).to.equal('the runtime reports no CNI network');
    });
  });
});
