/**
 * What a cluster run may leave, and how it is found: sandboxes still READY on a node after the
 * run's namespace is gone, the namespace itself, and any namespace or pod labelled with the run.
 */
import { requestTimeout, type KubeApi } from '../../kube/api.ts';
import { namespaceExists } from '../../kube/namespace.ts';
import { LABEL_POD_NAMESPACE, LABEL_RUN } from '../../labels.ts';
import { hasPodSandboxLister, type PodSandboxLister } from '../../node/runtime-facts.ts';
import { shimsThrough } from '../../node/runtime-shims.ts';
import { leakedShims } from '../../report/shim-leaks.ts';
import { SHIM_GRACE_MS } from '../../report/gone-watch.ts';
import type { UndoStack } from '../../cleanup/undo-stack.ts';
import { pollUntil, WaitTimeoutError } from '../../wait.ts';
import type { NodeAccess } from './node-access.ts';

/** How long the run's sandboxes may take to stop on a node once the run's namespace is gone. */
const SANDBOX_STOP_TIMEOUT_MS = 60_000;

/**
 * Registers, before the namespace is made (so it runs after the namespace is gone), a wait on
 * every node until no sandbox of the run's namespace is READY, then until no runtime shim of the
 * run's sandboxes is left. What does not stop is pushed to `leaks`, for the run's leak check.
 * It runs here, not in the leak check, because a node shell may be a probe pod undone after it.
 * `sandboxIds` gives the ids the pod drivers saw; the ones the runtime lists are added to them.
 */
export function awaitSandboxesStopped(undo: UndoStack, runId: string, namespace: string, nodes: NodeAccess[], leaks: string[], sandboxIds: () => string[] = () => [], shimGraceMs = SHIM_GRACE_MS): void {
  undo.push(`sandboxes of run ${runId} stopped on ${nodes.map((n) => n.node.name).join(', ')}`, async () => {
    for (const { node, inspector, shell } of nodes) {
      const ids = new Set(sandboxIds());
      if (hasPodSandboxLister(inspector)) await sandboxesStopped(node.name, inspector, runId, namespace, ids, leaks);
      leaks.push(...(await leakedShims(() => shimsThrough(shell), ids, `on node ${node.name}`, shimGraceMs)));
    }
  });
}

/** Waits until no sandbox of the run's namespace is READY on the node; collects every id listed into `ids`. */
async function sandboxesStopped(nodeName: string, inspector: PodSandboxLister, runId: string, namespace: string, ids: Set<string>, leaks: string[]): Promise<void> {
  try {
    await pollUntil(
      async () => {
        // Only the run namespace's: a probe pod (same run label, own namespace) is still running now.
        const listed = await inspector.listPodSandboxes({ [LABEL_RUN]: runId, [LABEL_POD_NAMESPACE]: namespace });
        for (const sandbox of listed) ids.add(sandbox.id);
        const ready = listed.filter((sandbox) => sandbox.state === 'ready');
        return ready.length === 0 ? { done: true, value: undefined } : { done: false, seen: ready.map((s) => `${s.podName ?? '?'} ${s.id.slice(0, 13)}`).join(', ') };
      },
      { awaited: `no READY sandbox of run ${runId} on node ${nodeName}`, timeoutMs: SANDBOX_STOP_TIMEOUT_MS, intervalMs: 500 },
    );
  } catch (error) {
    leaks.push(error instanceof WaitTimeoutError ? `READY sandboxes of run ${runId} still on node ${nodeName}: ${error.lastSeen}` : `node ${nodeName}: sandbox check failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** After teardown: the run's namespace, and any namespace or pod labelled with the run, still there. */
export async function clusterLeaks(api: KubeApi, runId: string, namespace: string): Promise<string[]> {
  const leaks: string[] = [];
  if (await namespaceExists(api, namespace)) leaks.push(`namespace ${namespace} still exists`);
  const selector = `${LABEL_RUN}=${runId}`;
  const namespaces = await api.core.listNamespace({ labelSelector: selector }, requestTimeout());
  for (const item of namespaces.items) if (item.metadata?.name !== namespace) leaks.push(`namespace ${item.metadata?.name} (labelled with this run) still exists`);
  const pods = await api.core.listPodForAllNamespaces({ labelSelector: selector }, requestTimeout());
  for (const pod of pods.items) leaks.push(`pod ${pod.metadata?.namespace}/${pod.metadata?.name} still exists (phase ${pod.status?.phase ?? '?'})`);
  return leaks;
}
