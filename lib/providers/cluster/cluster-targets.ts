/**
 * One Target per Kubernetes node, for every cluster provider (kubeconfig, kind, microk8s, k3s).
 * A provider brings its cluster up and hands over a ClusterAccess (cluster-access.ts). This file
 * does the rest, the same way for all of them: the choice of nodes (--nodes), each node opened
 * (node-access.ts), the per-run namespace, a Target per node (node-target.ts), the nodes that
 * differ from the others called out, and the leak check (cluster-leaks.ts).
 */
import { KubeApi } from '../../kube/api.ts';
import { createNamespace, runNamespaceName, waitForDefaultServiceAccount } from '../../kube/namespace.ts';
import { chooseNodes, differences, listNodes, type NodeSummary } from '../../kube/nodes.ts';
import type { OptionValues } from '../../options.ts';
import type { Target } from '../../target.ts';
import type { ProviderContext, StartedProvider } from '../provider.ts';
import type { ClusterAccess } from './cluster-access.ts';
import { awaitSandboxesStopped, clusterLeaks } from './cluster-leaks.ts';
import type { CLUSTER_OPTIONS } from './cluster-options.ts';
import { openNode, type NodeAccess } from './node-access.ts';
import { nodeTarget } from './node-target.ts';
import { NodeInconclusiveError } from '../../node/node-shell.ts';
import { awaitNodesReady } from './nodes-ready.ts';


type ClusterContext = ProviderContext<OptionValues<typeof CLUSTER_OPTIONS>>;

/** --nodes: 'all' lists every node; anything else is a label selector the API server applies. */
function selectorOf(nodes: string | undefined): string | undefined {
  return nodes === undefined || nodes === 'all' ? undefined : nodes;
}

async function chosenNodes(context: ClusterContext, api: KubeApi, access: ClusterAccess): Promise<NodeSummary[]> {
  const { nodes } = context.options;
  const listed = await context.step(`nodes listed and Ready${nodes ? ` (--nodes ${nodes})` : ''}`, () =>
    awaitNodesReady(() => listNodes(api, selectorOf(nodes)), { nodes, preferred: access.defaultNode }, { say: context.say }),
  );
  const chosen = chooseNodes(listed, nodes, access.defaultNode);
  context.say(`  nodes to check: ${chosen.map((node) => node.name).join(', ')}`);
  return chosen;
}

/** The run's namespace; host-network and host-IPC fixtures need the privileged Pod Security level some distributions do not default to. */
async function makeRunNamespace(context: ClusterContext, api: KubeApi, namespace: string): Promise<void> {
  await context.step(`namespace ${namespace} created`, () => createNamespace(api, context.undo, namespace, context.runId, { 'pod-security.kubernetes.io/enforce': 'privileged' }));
  await context.step(`namespace ${namespace} ready for pods`, () => waitForDefaultServiceAccount(api, namespace));
}

/** A rolling upgrade leaves nodes that differ: call them out in the report and on the console. */
function markDifferingNodes(targets: Target[], say: (line: string) => void): void {
  const differing = differences(
    targets.map((target) => ({
      node: target.info.nodeName,
      values: { kubelet: target.info.kubeletVersion ?? '', runtime: `${target.info.runtimeName} ${target.info.runtimeVersion}`, sandboxImage: target.info.sandboxImage },
    })),
  );
  for (const target of targets) {
    const lines = differing.get(target.info.nodeName);
    if (!lines) continue;
    target.info.details['differsFromOtherNodes'] = lines.join('; ');
    say(`  node ${target.info.nodeName} differs from the others: ${lines.join('; ')}`);
  }
}

export async function startClusterTargets(context: ClusterContext, access: ClusterAccess): Promise<StartedProvider> {
  const api = new KubeApi(access.kubeConfig);
  const namespace = runNamespaceName(context.runId);
  const chosen = await chosenNodes(context, api, access);
  // Node shells first: a shell that makes things (a probe pod) registers its undo now, so it is
  // undone after the run's namespace and the node can still be read while the run's pods go.
  const nodes: NodeAccess[] = [];
  const inconclusive: NodeInconclusiveError[] = [];
  for (const node of chosen) {
    try {
      nodes.push(await openNode(context, api, access, node));
    } catch (error) {
      // A node that cannot be observed at all is inconclusive, not failed: the others still run.
      if (!(error instanceof NodeInconclusiveError) || chosen.length === 1) throw error;
      inconclusive.push(error);
      context.say(`  node ${node.name}: inconclusive, not checked: ${error.reason}`);
    }
  }
  if (nodes.length === 0 && inconclusive[0]) throw inconclusive[0];
  const nodeLeaks: string[] = [];
  const targets: Target[] = [];
  awaitSandboxesStopped(context.undo, context.runId, namespace, nodes, nodeLeaks, () => targets.flatMap((target) => target.pods.sandboxIds()));
  await makeRunNamespace(context, api, namespace);
  for (const node of nodes) targets.push(await nodeTarget(context, api, access, namespace, node));
  markDifferingNodes(targets, context.say);
  if (inconclusive.length > 0) {
    const line = inconclusive.map((error) => `${error.node}: ${error.reason}`).join('; ');
    for (const target of targets) target.info.details['inconclusiveNodes'] = line;
  }
  return {
    targets,
    parallel: context.options.parallel ?? 1,
    leaks: async () => [...nodeLeaks, ...(await clusterLeaks(api, context.runId, namespace))],
  };
}
