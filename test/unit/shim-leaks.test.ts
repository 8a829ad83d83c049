/**
 * The run's leak check names a runtime shim still serving one of the run's sandboxes, on every
 * provider: leakedShims (cri provider, cluster nodes) and, for clusters, the undo that waits for
 * the run's sandboxes to stop, over a node shell answering `ps` as a kind node with containerd
 * 2.1.9 did after the pause-dies suite (the killed sandbox's shim left running).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parseShimsFromPs } from '../../lib/node/runtime-shims.ts';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import type { NodeShell, ShellResult } from '../../lib/node/node-shell.ts';
import type { RuntimeInspector } from '../../lib/node/runtime-inspector.ts';
import type { SandboxSummary } from '../../lib/node/runtime-facts.ts';
import { shimSocketOf, type RuntimeShim } from '../../lib/node/runtime-shims.ts';
import { leakedShims } from '../../lib/report/shim-leaks.ts';
import { awaitSandboxesStopped } from '../../lib/providers/cluster/cluster-leaks.ts';
import type { NodeAccess } from '../../lib/providers/cluster/node-access.ts';

const KILLED = '33a8a828c35f8a52407271b46ee5ad5b367c1c4d2b5f05273d2d74cb85c5a1ce';
const OTHER = 'f6adc81027c784dd12c1cc7d46acf3d25fff102cb748517104cb60120dd90f11';
const shim = (pid: number, id: string): RuntimeShim => ({ pid, sandboxId: id, socket: shimSocketOf('/run/containerd/containerd.sock', 'k8s.io', id) });

describe('leak check: a shim of the run\'s sandboxes left running', function () {
  it('names the shim of a run sandbox with its pid and socket and how long it waited; ignores other shims', async function () {
    const lines = await leakedShims(async () => [shim(297, KILLED), shim(311, OTHER)], new Set([KILLED]), 'on node kind-control-plane', 150);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`^shim pid 297 of sandbox ${KILLED} \\(socket /run/containerd/s/[0-9a-f]{64}\\) on node kind-control-plane: still running after the run's pods were deleted \\(waited (\\d+) ms\\)$`));
    expect(Number(/waited (\d+) ms/.exec(lines[0]!)![1])).to.be.at.least(150);
  });

  it('is clean once the shim exits within the wait', async function () {
    let calls = 0;
    expect(await leakedShims(async () => (++calls < 3 ? [shim(297, KILLED)] : []), new Set([KILLED]), 'on this machine', 2000)).to.deep.equal([]);
  });

  it('a shim list that fails is a line saying so, never "no leak"', async function () {
    const lines = await leakedShims(() => Promise.reject(new Error('node command failed (exit 124): docker exec kind-control-plane ps -e -o pid=,args=')), new Set([KILLED]), 'on node kind-control-plane', 150);
    expect(lines).to.deep.equal(['shims on node kind-control-plane could not be checked: node command failed (exit 124): docker exec kind-control-plane ps -e -o pid=,args=']);
  });

  it('recorded kind node on containerd 2.1.9: of nine shims, the one of the killed pause-dies sandbox is the leak', async function () {
    // fixtures/recorded/kind-containerd-2.1.9-shims-after-run.txt: ps with an etime column between pid and args.
    const ps = readFileSync(new URL('../../fixtures/recorded/kind-containerd-2.1.9-shims-after-run.txt', import.meta.url), 'utf8');
    const shims = parseShimsFromPs(ps);
    expect(shims).to.have.length(9);
    const killed = '330eee519a8004d54b5974a900d13823dbf459438be287d23a04ee3cfefe9b42';
    const lines = await leakedShims(async () => shims, new Set([killed, 'a-sandbox-that-went']), 'on node k21-control-plane', 100);
    expect(lines).to.have.length(1);
    expect(lines[0]).to.match(new RegExp(`^shim pid 5552 of sandbox ${killed} \\(socket /run/containerd/s/[0-9a-f]{64}\\) on node k21-control-plane: still running`));
  });

  it('cluster: after the namespace is gone, a shim of a sandbox the runtime listed for the run is a leak', async function () {
    // The runtime lists the killed sandbox (NOT_READY) under the run's labels; the driver never saw its id.
    const listed: SandboxSummary[] = [{ id: KILLED, state: 'notready', attempt: 0, createdAtNs: 0n, labels: {} }];
    const inspector = { sandbox: () => Promise.reject(new Error('not used')), containers: async () => [], container: () => Promise.reject(new Error('not used')), listPodSandboxes: async () => listed } as RuntimeInspector;
    const ps = `    1 /sbin/init\n  297 /usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id ${KILLED} -address /run/containerd/containerd.sock\n  311 /usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id ${OTHER} -address /run/containerd/containerd.sock\n`;
    const shell: NodeShell = { describe: 'docker exec kind-control-plane', run: async (): Promise<ShellResult> => ({ stdout: ps, stderr: '', exitCode: 0 }) };
    const node = { node: { name: 'kind-control-plane' }, shell, inspector } as NodeAccess;
    const undo = new UndoStack();
    const leaks: string[] = [];
    awaitSandboxesStopped(undo, 'run1', 'pause-conformance-run1', [node], leaks, () => [], 200);
    await undo.unwind();
    expect(leaks).to.have.length(1);
    expect(leaks[0]).to.match(new RegExp(`^shim pid 297 of sandbox ${KILLED} .* on node kind-control-plane: still running after the run's pods were deleted \\(waited \\d+ ms\\)$`));
  });
});
