/**
 * The teardown conditions of a sandbox (lib/report/sandbox-gone.ts, gone-watch.ts) over a node
 * whose answers the test sets: a shim that stays fails the watch naming its pid and socket and
 * how long it was waited for; a probe with no clear answer fails it with what the shell said; a
 * wrong IPAM path or a dead pid fails the positive control before the delete; a condition the
 * target cannot check is recorded as not checked, with why.
 */
import { expect } from 'chai';
import type { NodeView } from '../../lib/node/node-view.ts';
import type { Presence } from '../../lib/node/presence.ts';
import type { RuntimeShim } from '../../lib/node/runtime-shims.ts';
import type { Evidence } from '../../lib/report/evidence.ts';
import { planSandboxGone, type SandboxToRemove } from '../../lib/report/sandbox-gone.ts';
import { watchGone } from '../../lib/report/gone-watch.ts';
import type { TargetCapabilities } from '../../lib/target.ts';

const ID = 'f6adc81027c784dd12c1cc7d46acf3d25fff102cb748517104cb60120dd90f11';
const SOCKET = '/run/containerd/s/59d7dab6d17f8aab6c409e126a4a9b51f054fcddcf1feabebdde489babe10a64';
const SHIM: RuntimeShim = { pid: 297, sandboxId: ID, socket: SOCKET, binary: '/usr/bin/containerd-shim-runc-v2' };
const SANDBOX: SandboxToRemove = { sandboxId: ID, pausePid: 310, containerPids: [320, 330], netnsPath: '/var/run/netns/cni-1', ip: '10.88.0.7', vethIndex: 12 };
const CAPABILITIES: TargetCapabilities = { kubelet: false, containerAttempts: true, ipamVisible: true, linksVisible: true };

/** A node where `present` holds what is there now (pids, paths, IPs, 'ready', 'veth'); tests delete from it. */
class FakeNode {
  readonly present = new Set<string>(['pid:310', 'pid:320', 'pid:330', 'pid:297', 'path:/var/run/netns/cni-1', `path:${SOCKET}`, 'ip:10.88.0.7', 'ready', 'veth']);
  unknown: string | undefined;
  private answer(key: string): Presence {
    if (this.unknown) return { unknown: this.unknown };
    return this.present.has(key) ? 'present' : 'absent';
  }
  view(): NodeView {
    const answer = (key: string): Promise<Presence> => Promise.resolve(this.answer(key));
    const fail = (): Promise<never> => Promise.reject(new Error('not used'));
    return {
      sandbox: async (id) => ({ id, state: this.present.has('ready') ? 'ready' : 'notready', attempt: 0, labels: {} }),
      containers: async () => [],
      sandboxState: async () => (this.present.has('ready') ? 'ready' : 'notready'),
      containerStates: async () => [],
      container: fail,
      namespaces: fail,
      processPresence: (pid) => answer(`pid:${pid}`),
      processStart: async (pid) => (this.present.has(`pid:${pid}`) ? '123456' : undefined),
      processAlive: fail,
      processCommand: async (pid) => (pid === 297 ? `/usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id ${ID} -address /run/containerd/containerd.sock` : 'x'),
      pathPresence: (path) => answer(`path:${path}`),
      pathExists: fail,
      ipPresence: (ip) => answer(`ip:${ip}`),
      ipAllocated: fail,
      shims: async () => (this.present.has('pid:297') ? [SHIM] : []),
      link: async (ifindex) => (this.present.has('veth') ? { name: 'veth1', ifindex } : undefined),
      kill: fail,
      hostNamespaces: fail,
    };
  }
  /** What a runtime's RemovePodSandbox takes away, but for what `keep` names. */
  remove(keep: string[] = []): void {
    for (const key of [...this.present]) if (!keep.includes(key)) this.present.delete(key);
  }
}

const target = (node: FakeNode, capabilities = CAPABILITIES) => ({ node: node.view(), capabilities, runtimeName: 'containerd' });

describe('sandbox gone: controls before the delete, conditions after it', function () {
  it('every condition watched and timed when the delete removes everything, the shim included', async function () {
    const node = new FakeNode();
    const plan = await planSandboxGone(target(node), [SANDBOX]);
    expect(plan.controlFailures).to.deep.equal([]);
    expect(Object.keys(plan.conditions).sort()).to.deep.equal(['containersGone', 'ipReleased', 'netnsGone', 'pauseGone', 'sandboxNotReady', 'shimGone', 'vethGone']);
    const ev: Evidence = {};
    const startMs = Date.now();
    setTimeout(() => node.remove(), 30);
    const seen = await watchGone(plan, startMs, ev, { timeoutMs: 2000, shimGraceMs: 200 });
    expect(Object.keys(seen).sort()).to.deep.equal(Object.keys(plan.conditions).sort());
    expect(seen['shimGone']).to.be.at.least(25);
  });

  it('a shim left running fails the watch, naming its pid and socket and how long it was waited for', async function () {
    const node = new FakeNode();
    const plan = await planSandboxGone(target(node), [SANDBOX]);
    const ev: Evidence = {};
    const startMs = Date.now();
    setTimeout(() => node.remove(['pid:297', `path:${SOCKET}`]), 20);
    let message = '';
    await watchGone(plan, startMs, ev, { timeoutMs: 2000, shimGraceMs: 150 }).catch((error: Error) => (message = error.message));
    expect(message).to.match(new RegExp(`^shimGone: shim pid 297 of sandbox ${ID} \\(socket ${SOCKET}\\), shim socket ${SOCKET} still there \\d+ ms after the delete call, 1[5-9]\\d ms after the rest of the sandbox was gone \\(waited 150 ms for it\\)$`));
    const gone = ev['gone'] as Evidence;
    expect(gone['waitedMs']).to.be.a('number').and.at.least(150);
    expect(JSON.stringify(gone['left'])).to.contain('shim pid 297');
  });

  it('a shim whose pid now runs something else, with its socket gone, is gone (pid reuse)', async function () {
    const node = new FakeNode();
    const view = node.view();
    const plan = await planSandboxGone({ node: { ...view, processCommand: async () => '/bin/sleep 60' }, capabilities: CAPABILITIES, runtimeName: 'containerd' }, [SANDBOX]);
    node.remove(['pid:297']);
    expect(await plan.conditions.shimGone!()).to.equal(true);
  });

  it('a probe with no clear answer fails the watch with what the shell said, never counts as gone', async function () {
    const node = new FakeNode();
    const plan = await planSandboxGone(target(node), [SANDBOX]);
    node.remove();
    node.unknown = 'docker exec kind-control-plane stat -L -c %i /var/run/netns/cni-1 exited 124, stderr: timed out after 30000 ms';
    let message = '';
    await watchGone(plan, Date.now(), {}, { timeoutMs: 2000, shimGraceMs: 150 }).catch((error: Error) => (message = error.message));
    expect(message).to.match(/^cannot tell whether .* is gone: docker exec kind-control-plane .* exited 124/);
  });

  it('a wrong IPAM path, a dead pid or no shim fails the positive controls before the delete', async function () {
    const node = new FakeNode();
    node.present.delete('ip:10.88.0.7');
    node.present.delete('pid:320');
    node.present.delete('pid:297');
    const plan = await planSandboxGone(target(node), [SANDBOX]);
    expect(plan.controlFailures).to.have.length(3);
    expect(plan.controlFailures.join('\n')).to.match(/IP 10\.88\.0\.7 in the IPAM store was absent/).and.match(/container process 320 was absent/).and.match(/a shim with -id f6adc81027c78 was absent/);
  });

  it('a thing rightly absent before the delete is recorded, not required, and still watched', async function () {
    const node = new FakeNode();
    node.present.delete('pid:310');
    const plan = await planSandboxGone(target(node), [{ ...SANDBOX, notExpected: { pauseGone: 'killed by this suite before the delete' } }]);
    expect(plan.controlFailures).to.deep.equal([]);
    expect(JSON.stringify(plan.before)).to.contain('"notRequired":"killed by this suite before the delete"');
    expect(plan.conditions.pauseGone).to.be.a('function');
  });

  it('what the target cannot check is "not checked: why", never a silent drop', async function () {
    const node = new FakeNode();
    const plan = await planSandboxGone({ node: node.view(), capabilities: { ...CAPABILITIES, ipamVisible: false, ipamNotChecked: 'network cbr0: calico-ipam keeps no host-local store', linksVisible: false }, runtimeName: 'cri-o' }, [{ ...SANDBOX, netnsPath: undefined } as SandboxToRemove]);
    node.present.delete('pid:297');
    expect(plan.notChecked).to.have.keys('ipReleased', 'vethGone', 'netnsGone');
    expect(plan.notChecked.ipReleased).to.equal('network cbr0: calico-ipam keeps no host-local store');
    expect(plan.conditions).to.not.have.any.keys('ipReleased', 'vethGone', 'netnsGone');
    const noShims = await planSandboxGone({ node: { ...node.view(), shims: async () => [] }, capabilities: CAPABILITIES, runtimeName: 'cri-o' }, [SANDBOX]);
    expect(noShims.notChecked.shimGone).to.match(/^the runtime cri-o starts no containerd shim/);
  });
});
