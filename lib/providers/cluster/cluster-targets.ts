/**
 * One Target per Kubernetes node, for every cluster provider (kubeconfig, kind, microk8s, k3s).
 * A provider brings its cluster up and hands over a ClusterAccess: a loaded KubeConfig and how to
 * reach each node (a NodeShell, optionally its own RuntimeInspector and node controls). This file
 * does the rest, the same way for all of them: the per-run namespace, the choice of nodes
 * (--nodes), a kube PodDriver pinned to each node, a NodeView over crictl (or the provider's
 * inspector), TargetInfo per node, and the leak check.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import { KubeApi, requestTimeout } from '../../kube/api.ts';
import { createNamespace, namespaceExists, runNamespaceName, waitForDefaultServiceAccount } from '../../kube/namespace.ts';
import { chooseNodes, differences, listNodes, splitRuntimeVersion, type NodeSummary } from '../../kube/nodes.ts';
import { matchPodsToSandboxes, runningPodsOnNode } from './same-node.ts';
import { EnvironmentError, isUserFacing } from '../../errors.ts';
import { describeApiError } from '../../kube/api-errors.ts';
import { CrictlError, CrictlInspector } from '../../node/crictl-inspector.ts';
import { parseIpLinkJson } from '../../linux/ip-link.ts';
import type { NodeShell } from '../../node/node-shell.ts';
import { currentSandbox, hasPodSandboxLister, hasRuntimeFacts, type PodSandboxLister, type RuntimeFacts } from '../../node/runtime-facts.ts';
import type { RuntimeInspector } from '../../node/runtime-inspector.ts';
import { ShellNodeView } from '../../node/shell-node-view.ts';
import { KubePodDriver, type NodeSandboxFinder } from '../../pods/kube-driver.ts';
import type { Target, TargetControls } from '../../target.ts';
import { pollUntil, WaitTimeoutError } from '../../wait.ts';
import type { ProviderContext, StartedProvider } from '../provider.ts';
import type { OptionValues } from '../../options.ts';
import type { CLUSTER_OPTIONS } from './cluster-options.ts';
import { LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_RUN } from '../../labels.ts';

export interface ClusterAccess {
  /** 'kubeconfig' | 'kind' | 'microk8s' | 'k3s': goes into TargetInfo.provider. */
  providerName: string;
  /** From @kubernetes/client-node, already loaded (and its context selected). */
  kubeConfig: KubeConfig;
  /** How to run commands on a given node (by Kubernetes node name). */
  nodeShell(nodeName: string): Promise<NodeShell>;
  /**
   * How to read the runtime on that node; default: crictl through the shell (CrictlInspector,
   * with --cri-endpoint when given). An inspector that also implements PodSandboxLister and
   * RuntimeFactsSource (lib/node/runtime-facts.ts) is used for those too; without them the pod's
   * sandbox is found through its containers and the runtime facts come from the Node object.
   */
  inspector?(shell: NodeShell, nodeName: string): Promise<RuntimeInspector>;
  /** Optional node-level actions (e.g. restart the node's containerd). */
  controls?(nodeName: string, shell: NodeShell): TargetControls;
  /** Extra lines for TargetInfo.details. */
  details?: Record<string, string>;
  /** --cri-endpoint for the default crictl inspector, where the provider takes it. */
  criEndpoint?: string;
  /**
   * The node to check when --nodes is not given (e.g. the node that is this machine); default:
   * the first Ready, schedulable worker by name.
   */
  defaultNode?: string;
}

/** How long the run's sandboxes may take to stop on a node once the run's namespace is gone. */
const SANDBOX_STOP_TIMEOUT_MS = 60_000;

/** Finds a pod's sandbox on a node: by CRI pod-uid label where the inspector lists sandboxes, else through a container. */
export function sandboxFinder(inspector: RuntimeInspector, describe: string): NodeSandboxFinder {
  return {
    describe,
    async currentSandbox(podUid, containerIds) {
      if (hasPodSandboxLister(inspector)) {
        const found = currentSandbox(await inspector.listPodSandboxes({ [LABEL_POD_UID]: podUid }));
        return found ? { id: found.id, ready: found.state === 'ready' } : undefined;
      }
      for (const id of containerIds.filter(Boolean)) {
        const container = await inspector.container(id);
        if (container.state === 'gone' || !container.sandboxId) continue;
        return { id: container.sandboxId, ready: (await inspector.sandbox(container.sandboxId)).state === 'ready' };
      }
      return undefined;
    },
  };
}

async function linksVisible(shell: NodeShell): Promise<boolean> {
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

interface NodeAccess {
  node: NodeSummary;
  shell: NodeShell;
  inspector: RuntimeInspector;
  facts?: RuntimeFacts;
}

/** --nodes: 'all' lists every node; anything else is a label selector the API server applies. */
function selectorOf(nodes: string | undefined): string | undefined {
  return nodes === undefined || nodes === 'all' ? undefined : nodes;
}

export async function startClusterTargets(context: ProviderContext<OptionValues<typeof CLUSTER_OPTIONS>>, access: ClusterAccess): Promise<StartedProvider> {
  const api = new KubeApi(access.kubeConfig);
  const runId = context.runId;
  const namespace = runNamespaceName(runId);
  const listed = await context.step(`nodes listed${context.options.nodes ? ` (--nodes ${context.options.nodes})` : ''}`, () => listNodes(api, selectorOf(context.options.nodes)));
  const chosen = chooseNodes(listed, context.options.nodes, access.defaultNode);
  context.say(`  nodes to check: ${chosen.map((node) => node.name).join(', ')}`);

  // Node shells first: a shell that makes things (a probe pod) registers its undo now, so it is
  // undone after the run's namespace and the node can still be read while the run's pods go.
  const nodes: NodeAccess[] = [];
  for (const node of chosen) {
    const shell = await context.step(`node shell on ${node.name}`, () => access.nodeShell(node.name));
    const inspector = access.inspector ? await access.inspector(shell, node.name) : new CrictlInspector(shell, access.criEndpoint ? { endpoint: access.criEndpoint } : {});
    if (inspector instanceof CrictlInspector) await context.step(`crictl reaches the runtime on ${node.name}`, () => inspector.checkReachable());
    if (hasPodSandboxLister(inspector)) {
      await context.step(`the runtime read on ${node.name} is its kubelet's`, () => userFacing(`cannot compare the pods of node ${node.name} with its runtime`, () => checkSameRuntime(api, node.name, inspector, shell)));
    }
    const entry: NodeAccess = { node, shell, inspector };
    if (hasRuntimeFacts(inspector)) entry.facts = await context.step(`runtime facts of ${node.name}`, () => userFacing(`cannot read the runtime of node ${node.name}`, () => inspector.runtimeFacts()));
    nodes.push(entry);
  }

  // Registered before the namespace, so it runs after the namespace is gone: every sandbox of
  // the run must then stop on its node. What does not is reported by leaks().
  const nodeLeaks: string[] = [];
  context.undo.push(`sandboxes of run ${runId} stopped on ${nodes.map((n) => n.node.name).join(', ')}`, async () => {
    for (const { node, inspector } of nodes) {
      if (!hasPodSandboxLister(inspector)) continue;
      try {
        await pollUntil(
          async () => {
            // Only the run namespace's: a probe pod (same run label, own namespace) is still running now.
            const ready = (await inspector.listPodSandboxes({ [LABEL_RUN]: runId, [LABEL_POD_NAMESPACE]: namespace })).filter((sandbox) => sandbox.state === 'ready');
            return ready.length === 0 ? { done: true, value: undefined } : { done: false, seen: ready.map((s) => `${s.podName ?? '?'} ${s.id.slice(0, 13)}`).join(', ') };
          },
          { awaited: `no READY sandbox of run ${runId} on node ${node.name}`, timeoutMs: SANDBOX_STOP_TIMEOUT_MS, intervalMs: 500 },
        );
      } catch (error) {
        nodeLeaks.push(error instanceof WaitTimeoutError ? `READY sandboxes of run ${runId} still on node ${node.name}: ${error.lastSeen}` : `node ${node.name}: sandbox check failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  });
  // The fixtures include host-network and host-IPC pods, which a baseline or restricted Pod
  // Security level (a cluster default on some distributions) would refuse.
  await context.step(`namespace ${namespace} created`, () => createNamespace(api, context.undo, namespace, runId, { 'pod-security.kubernetes.io/enforce': 'privileged' }));
  await context.step(`namespace ${namespace} ready for pods`, () => waitForDefaultServiceAccount(api, namespace));

  const targets: Target[] = [];
  for (const { node, shell, inspector, facts } of nodes) {
    const runtime = splitRuntimeVersion(node.containerRuntimeVersion);
    const ipamDirs = facts?.ipamDirs ?? [];
    const pods = new KubePodDriver({
      api,
      namespace,
      nodeName: node.name,
      runId,
      ...(context.common.appImage ? { appImage: context.common.appImage } : {}),
      sandboxes: sandboxFinder(inspector, `${shell.describe ? `${shell.describe} ` : ''}runtime of node ${node.name}`),
      undo: context.undo,
    });
    context.undo.push(`delete the run's pods on node ${node.name}`, () => pods.deleteAll());
    const details: Record<string, string> = {
      ...access.details,
      namespace,
      nodeShell: shell.describe || 'this machine',
      containerRuntimeVersion: node.containerRuntimeVersion,
      osImage: node.osImage,
    };
    if (facts?.sandboxImageSource) details['sandboxImageSource'] = facts.sandboxImageSource;
    if (ipamDirs.length > 0) details['ipamDirs'] = ipamDirs.join(', ');
    targets.push({
      info: {
        provider: access.providerName,
        nodeName: node.name,
        runtimeName: facts?.runtimeName ?? runtime.name,
        runtimeVersion: facts?.runtimeVersion ?? runtime.version,
        runtimeApiVersion: facts?.runtimeApiVersion ?? 'unknown',
        sandboxImage: facts?.sandboxImage ?? 'unknown (the runtime does not report it)',
        kernel: node.kernelVersion,
        kubeletVersion: node.kubeletVersion,
        details,
      },
      capabilities: { kubelet: true, containerAttempts: false, ipamVisible: ipamDirs.length > 0, linksVisible: await linksVisible(shell) },
      pods,
      node: new ShellNodeView(inspector, shell, { ipamDirs }),
      controls: access.controls?.(node.name, shell) ?? {},
    });
  }

  // A rolling upgrade leaves nodes that differ: call them out in the report and on the console.
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
    context.say(`  node ${target.info.nodeName} differs from the others: ${lines.join('; ')}`);
  }

  return {
    targets,
    parallel: context.options.parallel ?? 1,
    leaks: async () => {
      const leaks = [...nodeLeaks];
      if (await namespaceExists(api, namespace)) leaks.push(`namespace ${namespace} still exists`);
      const selector = `${LABEL_RUN}=${runId}`;
      const namespaces = await api.core.listNamespace({ labelSelector: selector }, requestTimeout());
      for (const item of namespaces.items) if (item.metadata?.name !== namespace) leaks.push(`namespace ${item.metadata?.name} (labelled with this run) still exists`);
      const pods = await api.core.listPodForAllNamespaces({ labelSelector: selector }, requestTimeout());
      for (const pod of pods.items) leaks.push(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} still exists (phase ${pod.status?.phase ?? '?'})`);
      return leaks;
    },
  };
}
