/**
 * Which nodes a run covers (--nodes all | SELECTOR | one), which node is this machine, and which
 * nodes differ from the rest. Node summaries are written here: no Node object was recorded; the
 * name, address and runtime version strings are those of the recorded node (vm, 172.30.255.1,
 * containerd://1.6.20~ds1, see shared/recorded/kubectl-get-pod-trio.json and crictl-version.txt).
 */
import { expect } from 'chai';
import { EnvironmentError } from '../../lib/errors.ts';
import { chooseNodes, differences, isThisMachine, splitRuntimeVersion, type NodeSummary } from '../../lib/kube/nodes.ts';

function node(name: string, extra: Partial<NodeSummary> = {}): NodeSummary {
  return {
    name,
    ready: true,
    readyCondition: 'Ready=True KubeletReady',
    schedulable: true,
    labels: {},
    addresses: [],
    kubeletVersion: 'v1.36.2-ocp',
    containerRuntimeVersion: 'containerd://1.6.20~ds1',
    kernelVersion: '6.18.44',
    osImage: 'Debian GNU/Linux 12 (bookworm)',
    ...extra,
  };
}

const controlPlane = node('cp', { labels: { 'node-role.kubernetes.io/control-plane': '' } });
const workerA = node('worker-a');
const workerB = node('worker-b');
const notReady = node('worker-c', { ready: false });
const cordoned = node('worker-d', { schedulable: false });

describe('node choice', function () {
  it('--nodes all: every Ready, schedulable node, control plane included', function () {
    expect(chooseNodes([controlPlane, workerA, workerB, notReady, cordoned], 'all').map((n) => n.name)).to.deep.equal(['cp', 'worker-a', 'worker-b']);
  });

  it('--nodes SELECTOR: the listed (already filtered) nodes that are usable; none is one line', function () {
    expect(chooseNodes([workerB], 'pool=b').map((n) => n.name)).to.deep.equal(['worker-b']);
    expect(() => chooseNodes([notReady], 'pool=c')).to.throw(EnvironmentError, /^no Ready, schedulable node matches --nodes pool=c: seen: worker-c \(NotReady\)\. /);
  });

  it('no --nodes: the preferred node, else the first usable worker, else the control plane', function () {
    expect(chooseNodes([controlPlane, workerA, workerB], undefined).map((n) => n.name)).to.deep.equal(['worker-a']);
    expect(chooseNodes([controlPlane, workerA], undefined, 'cp').map((n) => n.name)).to.deep.equal(['cp']);
    expect(chooseNodes([controlPlane, notReady], undefined).map((n) => n.name)).to.deep.equal(['cp']);
    expect(() => chooseNodes([controlPlane], undefined, 'vm')).to.throw(EnvironmentError, /^node vm is not in the cluster/);
    expect(() => chooseNodes([cordoned], undefined, 'worker-d')).to.throw(EnvironmentError, /worker-d \(Ready, cordoned\)/);
    expect(() => chooseNodes([notReady], undefined)).to.throw(EnvironmentError, /no Ready, schedulable node in the cluster/);
  });

  it('recognises this machine by hostname (full or short) or by a node address', function () {
    const vm = node('vm', { addresses: [{ type: 'InternalIP', address: '172.30.255.1' }, { type: 'Hostname', address: 'vm' }] });
    expect(isThisMachine(vm, { hostname: 'vm', addresses: [] })).to.equal(true);
    expect(isThisMachine(vm, { hostname: 'VM.example.org', addresses: [] })).to.equal(true);
    expect(isThisMachine(vm, { hostname: 'other', addresses: ['127.0.0.1', '172.30.255.1'] })).to.equal(true);
    expect(isThisMachine(vm, { hostname: 'other', addresses: ['127.0.0.1'] })).to.equal(false);
  });

  it('splits the kubelet-reported runtime version', function () {
    expect(splitRuntimeVersion('containerd://1.6.20~ds1')).to.deep.equal({ name: 'containerd', version: '1.6.20~ds1' });
    expect(splitRuntimeVersion('')).to.deep.equal({ name: 'unknown', version: '' });
  });

  it('calls out the node that differs from the others (a half-done upgrade)', function () {
    const found = differences([
      { node: 'a', values: { runtime: 'containerd 1.6.20', kubelet: 'v1.36.2' } },
      { node: 'b', values: { runtime: 'containerd 1.6.20', kubelet: 'v1.36.2' } },
      { node: 'c', values: { runtime: 'containerd 2.1.0', kubelet: 'v1.36.2' } },
    ]);
    expect([...found.entries()]).to.deep.equal([['c', ['runtime containerd 2.1.0 (most nodes: containerd 1.6.20)']]]);
    expect(differences([{ node: 'a', values: { runtime: 'x' } }]).size).to.equal(0);
  });
});
