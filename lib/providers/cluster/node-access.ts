/**
 * Opening one node of a cluster for the checks: its shell, the inspector that reads its runtime
 * (crictl by default), proof that this runtime is the one its kubelet uses, and the runtime's
 * facts. Every failure a user can act on is one line.
 */
import { EnvironmentError, isUserFacing } from '../../errors.ts';
import { KubeApi } from '../../kube/api.ts';
import { describeApiError } from '../../kube/api-errors.ts';
import type { NodeSummary } from '../../kube/nodes.ts';
import { parseIpLinkJson } from '../../linux/ip-link.ts';
import { CrictlError, CrictlInspector } from '../../node/crictl-inspector.ts';
import type { NodeShell } from '../../node/node-shell.ts';
import { hasPodSandboxLister, hasRuntimeFacts, type PodSandboxLister, type RuntimeFacts } from '../../node/runtime-facts.ts';
import type { RuntimeInspector } from '../../node/runtime-inspector.ts';
import type { ProviderContext } from '../provider.ts';
import type { ClusterAccess } from './cluster-access.ts';
import { matchPodsToSandboxes, runningPodsOnNode } from './same-node.ts';

export interface NodeAccess {
  node: NodeSummary;
  shell: NodeShell;
  inspector: RuntimeInspector;
  facts?: RuntimeFacts;
}

/** Whether the node shell can list host links (`ip -j link`), so a pod's veth can be followed. */
export async function linksVisible(shell: NodeShell): Promise<boolean> {
  const result = await shell.run(['ip', '-j', 'link', 'show']).catch(() => undefined);
  if (!result || result.exitCode !== 0) return false;
  try {
    return parseIpLinkJson(result.stdout).length > 0;
  } catch {
    return false;
  }
}

/**
 * Fails in one line when the runtime the node shell reads has none of the pods the API says run
 * on that node: the shell is on another machine, or crictl talks to another runtime.
 */
async function checkSameRuntime(api: KubeApi, nodeName: string, inspector: RuntimeInspector & PodSandboxLister, shell: NodeShell): Promise<void> {
  const pods = await runningPodsOnNode(api, nodeName);
  // Nothing to compare with (no pods there yet, or no right to list them): the first pod's sandbox lookup will tell.
  if (!pods || pods.length === 0) return;
  const { seen, missing } = matchPodsToSandboxes(pods, await inspector.listPodSandboxes({}));
  if (seen.length > 0) return;
  const examples = missing.slice(0, 3).map((pod) => `${pod.namespace}/${pod.name}`).join(', ');
  throw new EnvironmentError(
    `the runtime read through ${shell.describe || 'this machine'} is not the one node ${nodeName}'s kubelet uses`,
    `none of the ${pods.length} pods running there (${examples}${missing.length > 3 ? ', ...' : ''}) has a sandbox in it`,
    "Pass --cri-endpoint with the kubelet's runtime socket (its --container-runtime-endpoint), and run on that node.",
  );
}

/** Runs a start-up step whose failures (crictl, API) the user must be able to act on: one line, exit 2. */
async function userFacing<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (isUserFacing(error)) throw error;
    const detail = error instanceof CrictlError ? error.message : describeApiError(error);
    throw new EnvironmentError(what, detail, 'Check the node shell, crictl on the node and the cluster, then run again.');
  }
}

/** Opens one node: shell, inspector, the same-runtime check and the runtime facts, each a step the run prints. */
export async function openNode(context: ProviderContext<unknown>, api: KubeApi, access: ClusterAccess, node: NodeSummary): Promise<NodeAccess> {
  const shell = await context.step(`node shell on ${node.name}`, () => access.nodeShell(node.name));
  // A shell that keeps something open on the node (exec sessions) is closed when the run ends.
  if (shell.close) context.undo.push(`node shell on ${node.name} closed (${shell.describe})`, () => shell.close!());
  const inspector = access.inspector ? await access.inspector(shell, node.name) : new CrictlInspector(shell, access.criEndpoint ? { endpoint: access.criEndpoint } : {});
  if (inspector instanceof CrictlInspector) await context.step(`crictl reaches the runtime on ${node.name}`, () => inspector.checkReachable());
  if (hasPodSandboxLister(inspector)) {
    await context.step(`the runtime read on ${node.name} is its kubelet's`, () => userFacing(`cannot compare the pods of node ${node.name} with its runtime`, () => checkSameRuntime(api, node.name, inspector, shell)));
  }
  const entry: NodeAccess = { node, shell, inspector };
  if (hasRuntimeFacts(inspector)) entry.facts = await context.step(`runtime facts of ${node.name}`, () => userFacing(`cannot read the runtime of node ${node.name}`, () => inspector.runtimeFacts()));
  return entry;
}
