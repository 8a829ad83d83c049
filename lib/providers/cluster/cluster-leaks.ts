/**
 * What a cluster run may leave, and how it is found: sandboxes still READY on a node after the
 * run's namespace is gone, the namespace itself, and any namespace or pod labelled with the run.
 */
import { requestTimeout, type KubeApi } from '../../kube/api.ts';
import { namespaceExists } from '../../kube/namespace.ts';
import { LABEL_POD_NAMESPACE, LABEL_RUN } from '../../labels.ts';
import { hasPodSandboxLister } from '../../node/runtime-facts.ts';
import type { UndoStack } from '../../cleanup/undo-stack.ts';
import { pollUntil, WaitTimeoutError } from '../../wait.ts';
import type { NodeAccess } from './node-access.ts';

/** How long the run's sandboxes may take to stop on a node once the run's namespace is gone. */
const SANDBOX_STOP_TIMEOUT_MS = 60_000;

/**
 * Registers, before the namespace is made (so it runs after the namespace is gone), a wait on
 * every node until no sandbox of the run's namespace is READY. What does not stop is pushed to
 * `leaks`, for the run's leak check.
 */
export function awaitSandboxesStopped(undo: UndoStack, runId: string, namespace: string, nodes: NodeAccess[], leaks: string[]): void {
  undo.push(`sandboxes of run ${runId} stopped on ${nodes.map((n) => n.node.name).join(', ')}`, async () => {
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
        leaks.push(error instanceof WaitTimeoutError ? `READY sandboxes of run ${runId} still on node ${node.name}: ${error.lastSeen}` : `node ${node.name}: sandbox check failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  });
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
