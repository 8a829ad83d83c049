/**
 * Nodes are waited for until every node the run checks is Ready. The Node objects are written
 * here (no Node object was recorded): a worker as a kubelet reports it before its CNI is up
 * (Ready=False, reason KubeletNotReady, the message kubelet's runtime-network check prints), and
 * the same worker once Ready. kind's --wait covers only the control plane and returns 0 on
 * timeout (waitforready.go), so a fresh kind cluster is handed over with such a worker.
 */
import { expect } from 'chai';
import type { V1Node } from '@kubernetes/client-node';
import { EnvironmentError } from '../../lib/errors.ts';
import { chooseNodes, nodeSummary, type NodeSummary } from '../../lib/kube/nodes.ts';
import { awaitNodesReady, nodesToAwait } from '../../lib/providers/cluster/nodes-ready.ts';

const NOT_READY_MESSAGE = 'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized';

function v1Node(name: string, ready: boolean, controlPlane = false): V1Node {
  return {
    metadata: { name, labels: controlPlane ? { 'node-role.kubernetes.io/control-plane': '' } : {} },
    status: {
      conditions: [
        { type: 'MemoryPressure', status: 'False', reason: 'KubeletHasSufficientMemory' },
        ready ? { type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'kubelet is posting ready status' } : { type: 'Ready', status: 'False', reason: 'KubeletNotReady', message: NOT_READY_MESSAGE },
      ],
    },
  };
}

const listing = (workerReady: boolean): NodeSummary[] => [v1Node('kind-control-plane', true, true), v1Node('kind-worker', true), v1Node('kind-worker2', workerReady)].map(nodeSummary);

describe('nodes are Ready before the run picks them', function () {
  it('reads the Ready condition for messages', function () {
    expect(nodeSummary(v1Node('kind-worker2', false)).readyCondition).to.equal(`Ready=False KubeletNotReady: ${NOT_READY_MESSAGE}`);
    expect(nodeSummary(v1Node('kind-worker', true)).readyCondition).to.equal('Ready=True KubeletReady');
  });

  it('--nodes all awaits every schedulable node, the NotReady worker included (chooseNodes alone would drop it)', function () {
    expect(chooseNodes(listing(false), 'all').map((node) => node.name)).to.deep.equal(['kind-control-plane', 'kind-worker']);
    expect(nodesToAwait(listing(false), 'all').map((node) => node.name)).to.deep.equal(['kind-control-plane', 'kind-worker', 'kind-worker2']);
    expect(nodesToAwait(listing(false), undefined, 'kind-worker2').map((node) => node.name)).to.deep.equal(['kind-worker2']);
    // One node by default: a Ready worker when there is one, else the first worker.
    expect(nodesToAwait(listing(false), undefined).map((node) => node.name)).to.deep.equal(['kind-worker']);
  });

  it('lists until the worker is Ready, and then hands over every node', async function () {
    const listings = [listing(false), listing(false), listing(true)];
    const said: string[] = [];
    const listed = await awaitNodesReady(async () => listings.shift() ?? listing(true), { nodes: 'all' }, { intervalMs: 1, say: (line) => said.push(line) });
    expect(chooseNodes(listed, 'all').map((node) => node.name)).to.deep.equal(['kind-control-plane', 'kind-worker', 'kind-worker2']);
    expect(listings).to.have.length(0);
    expect(said).to.deep.equal([`  waiting (up to 180 s) for nodes to be Ready: kind-worker2 (Ready=False KubeletNotReady: ${NOT_READY_MESSAGE})`]);
  });

  it('names the node that stays NotReady, in one line', async function () {
    const error = await awaitNodesReady(async () => listing(false), { nodes: 'all' }, { timeoutMs: 30, intervalMs: 5 }).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error).to.be.instanceOf(EnvironmentError);
    expect(error!.message).to.equal(`nodes not Ready after 0 s: kind-worker2 (Ready=False KubeletNotReady: ${NOT_READY_MESSAGE}). Look at those nodes (kubectl describe node), or leave them out with --nodes SELECTOR.`);
  });
});
