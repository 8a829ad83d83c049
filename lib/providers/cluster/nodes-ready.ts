/**
 * The nodes a run will check are Ready before the run picks them. `kind create cluster --wait`
 * waits only for control-plane nodes and exits 0 when it times out (kind
 * pkg/cluster/internal/create/actions/waitforready/waitforready.go: the control-plane selector,
 * then "WARNING: Timed out waiting for Ready" and return nil); @testcontainers/k3s waits for
 * flannel's "Node controller sync successful" (the node has a PodCIDR), not for Ready; microk8s
 * status --wait-ready is satisfied by one Ready node. Without this wait, --nodes all would
 * quietly check the nodes that happened to be Ready, and the default node could be another.
 */
import { EnvironmentError } from '../../errors.ts';
import type { NodeSummary } from '../../kube/nodes.ts';
import { pollUntil, WaitTimeoutError } from '../../wait.ts';

/** How long nodes may take to turn Ready once their cluster answers (kind's own --wait default is 5 minutes for the control plane). */
export const NODES_READY_TIMEOUT_MS = 180_000;

const CONTROL_PLANE_ROLES = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

/**
 * The nodes the run will check, Ready or not: with --nodes (all or a selector, already applied
 * to the listing) every schedulable node listed; else the preferred node (e.g. this machine);
 * else a schedulable worker that is Ready already, or the first schedulable worker by name (the
 * control plane when there is no worker). chooseNodes then picks among them once they are Ready.
 */
export function nodesToAwait(listed: NodeSummary[], nodes: string | undefined, preferred?: string): NodeSummary[] {
  const schedulable = listed.filter((node) => node.schedulable);
  if (nodes !== undefined) return schedulable;
  if (preferred !== undefined) return listed.filter((node) => node.name === preferred);
  const workers = schedulable.filter((node) => !CONTROL_PLANE_ROLES.some((role) => role in node.labels));
  const pool = workers.length > 0 ? workers : schedulable;
  const ready = pool.find((node) => node.ready);
  return ready ? [ready] : pool.slice(0, 1);
}

function notReady(nodes: NodeSummary[]): string {
  return nodes.map((node) => `${node.name} (${node.readyCondition})`).join(', ');
}

/**
 * Lists the nodes until every node the run will check is Ready, bounded, and returns the last
 * listing. A node that does not turn Ready in time is one line naming it and its Ready condition.
 */
export async function awaitNodesReady(
  list: () => Promise<NodeSummary[]>,
  choice: { nodes?: string | undefined; preferred?: string | undefined },
  options: { timeoutMs?: number; intervalMs?: number; say?: (line: string) => void } = {},
): Promise<NodeSummary[]> {
  const timeoutMs = options.timeoutMs ?? NODES_READY_TIMEOUT_MS;
  let announced = false;
  try {
    return await pollUntil(
      async () => {
        const listed = await list();
        const waiting = nodesToAwait(listed, choice.nodes, choice.preferred).filter((node) => !node.ready);
        if (waiting.length === 0) return { done: true, value: listed };
        if (!announced) options.say?.(`  waiting (up to ${Math.round(timeoutMs / 1000)} s) for nodes to be Ready: ${notReady(waiting)}`);
        announced = true;
        return { done: false, seen: notReady(waiting) };
      },
      { awaited: 'every node the run checks Ready', timeoutMs, intervalMs: options.intervalMs ?? 1000 },
    );
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    throw new EnvironmentError(`nodes not Ready after ${Math.round(timeoutMs / 1000)} s`, error.lastSeen, 'Look at those nodes (kubectl describe node), or leave them out with --nodes SELECTOR.');
  }
}
