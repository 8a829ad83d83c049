/**
 * The parsers the harness reads a runtime with, on outputs recorded from a real containerd 2.1.9
 * (Debian sid's package on this machine; fixtures/recorded/README.md, "containerd-2.1.9/"): kind
 * and microk8s run containerd 2.x, and every older recording is 1.6.20. Also the shim facts the
 * leak check relies on: a shim's socket computed from its command line is the one it listens on
 * and the one its task bundle records.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseContainerInspect, parseSandboxInspect } from '../../lib/node/inspect-parsers.ts';
import { parseImageInspect } from '../../lib/node/image-inspect.ts';
import { parseCtrContainerInfo, parseCtrContainersLs, parseCtrServerVersion, parseCtrTasksLs } from '../../lib/node/ctr-parsers.ts';
import { sandboxImageFromStatusInfo } from '../../lib/providers/common/runtime-info.ts';
import { shimOf, shimSocketOf } from '../../lib/runtime/run-residue.ts';
import { parseShimsFromPs } from '../../lib/node/runtime-shims.ts';

const text = (file: string): string => readFileSync(new URL(`../../fixtures/recorded/containerd-2.1.9/${file}`, import.meta.url), 'utf8');
const json = (file: string): unknown => JSON.parse(text(file));
/** The research node's run directory, written <run> in the recordings. */
const RUN = '/var/lib/pause-conformance-research/runs/a21';
const SANDBOX = '2af6b18f495634fe566239a5921a47f92d32e12f13eddda6b9be83214d17aa97';

describe('containerd 2.1.9 outputs, read by the harness\'s parsers', function () {
  it('PodSandboxStatus(verbose): pause pid, netns under the run\'s state, IP, the sandbox\'s own image', function () {
    const facts = parseSandboxInspect(json('cri-pod-sandbox-status-verbose.json'));
    expect(facts).to.include({ id: SANDBOX, state: 'ready', attempt: 0, pausePid: 2031, ip: '10.219.0.2', image: 'localhost/pause-conformance/pause:catatonit' });
    expect(facts.netnsPath).to.match(new RegExp(`^${RUN}/state/io\\.containerd\\.grpc\\.v1\\.cri/netns/cni-`));
    expect(facts.namespaceModes).to.deep.equal({ network: 'POD', pid: 'CONTAINER', ipc: 'POD' });
  });

  it('ContainerStatus(verbose) and ImageStatus(verbose)', function () {
    expect(parseContainerInspect(json('cri-container-status-verbose.json'))).to.deep.equal({ id: '23f8e32e5d46683b5146f1806e29ff867b698779b0ca12092198ac95a245072b', sandboxId: SANDBOX, name: 'c0', attempt: 0, state: 'running', pid: 2088 });
    expect(parseImageInspect(json('cri-image-status-pause-verbose.json'))).to.deep.equal({ id: 'sha256:af2deff36e5822c72cf89dec3682c79ad1c36b2f41dadbfa0f39ffd26d19dbe0', repoTags: ['localhost/pause-conformance/pause:catatonit'], repoDigests: [], entrypoint: ['/pause', '-P'], cmd: [] });
  });

  it('Status(verbose) no longer names the sandbox image on 2.x (issue 9 §1): the sandbox\'s own image is the source', function () {
    const status = json('cri-status-verbose.json') as { info: Record<string, string> };
    expect(sandboxImageFromStatusInfo(status.info)).to.equal(undefined);
    expect(Object.keys(status.info).sort()).to.deep.equal(['cniconfig', 'config', 'golang', 'lastCNILoadStatus', 'lastCNILoadStatus.default']);
  });

  it('ctr tasks ls, containers ls, containers info and version', function () {
    const tasks = parseCtrTasksLs(text('ctr-tasks-ls.txt'));
    expect(tasks.get(SANDBOX)).to.deep.equal({ id: SANDBOX, pid: 2031, status: 'RUNNING' });
    expect(tasks.size).to.equal(3);
    expect(parseCtrContainersLs(text('ctr-containers-ls.txt')).map((row) => row.image)).to.deep.equal(['localhost/pause-conformance/busybox:static', 'localhost/pause-conformance/busybox:static', 'localhost/pause-conformance/pause:catatonit']);
    const info = parseCtrContainerInfo(text('ctr-containers-info-sandbox.json'));
    expect(info.netnsPath).to.match(/\/netns\/cni-810fafca/);
    expect(info.annotations['io.kubernetes.cri.podsandbox.image-name']).to.equal('localhost/pause-conformance/pause:catatonit');
    expect(parseCtrServerVersion(text('ctr-version.txt'))).to.equal('2.1.9+unknown');
  });

  it('a shim found by its command line: its socket is the one it listens on and the one bootstrap.json records', function () {
    const line = text('shims.txt').split('\n').find((l) => l.startsWith('pid 1993: '))!;
    const argv = line.replace('pid 1993: ', '').replaceAll('<run>', RUN).trim().split(' ');
    const shim = shimOf(argv, `${RUN}/containerd.sock`);
    const listening = '/run/containerd/s/4f7a2c0a17f109ce92f1e85bef4dfd2a69f8b6ee620de80f7644c0d31b193536';
    expect(shim).to.deep.include({ namespace: 'k8s.io', id: SANDBOX, socket: listening });
    expect(text('shims.txt')).to.contain(listening.split('/').at(-1));
    expect(text('task-bundles.txt')).to.contain(`bootstrap.json: {"version":3,"address":"unix://${listening}","protocol":"ttrpc"}`);
    expect(shimOf(argv, '/some/other/containerd.sock'), 'another containerd\'s shim').to.equal(undefined);
    expect(shimSocketOf(`${RUN}/containerd.sock`, 'k8s.io', SANDBOX)).to.equal(listening);
  });

  it('shims on a node from ps, each with its sandbox id and binary', function () {
    const ps = `    1 /sbin/init\n 1993 /var/cache/x/containerd-shim-runc-v2 -namespace k8s.io -id ${SANDBOX} -address /run/containerd/containerd.sock\n 2031 /pause -P\n`;
    // The socket follows from -address and -namespace: a leaked shim is named with where it listens.
    const socket = shimSocketOf('/run/containerd/containerd.sock', 'k8s.io', SANDBOX);
    expect(parseShimsFromPs(ps)).to.deep.equal([{ pid: 1993, sandboxId: SANDBOX, binary: '/var/cache/x/containerd-shim-runc-v2', socket }]);
  });
});
