/**
 * The run's leak check, shim part, for every provider: a runtime shim whose -id is one of the
 * run's sandboxes, still running once the run's pods are gone, is a leak (containerd 2.1.9 leaves
 * the shim of a sandbox whose pause was killed: containerd/containerd#10421). A shim may still be
 * exiting when the check starts, so it waits, bounded, and says how long.
 */
import { describeRuntimeShim, type RuntimeShim } from '../node/runtime-shims.ts';
import { pollUntil, WaitTimeoutError } from '../wait.ts';
import { SHIM_GRACE_MS } from './gone-watch.ts';

/**
 * Lines naming each shim of `sandboxIds` that `list` still shows after `graceMs`; [] when none.
 * `where` names the node in each line ("on node kind-control-plane"). A list that fails is one
 * line saying the shims could not be checked, never "no leak".
 */
export async function leakedShims(list: () => Promise<RuntimeShim[]>, sandboxIds: ReadonlySet<string>, where: string, graceMs = SHIM_GRACE_MS): Promise<string[]> {
  if (sandboxIds.size === 0) return [];
  const startedAt = Date.now();
  let left: RuntimeShim[] = [];
  try {
    await pollUntil(
      async () => {
        left = (await list()).filter((shim) => sandboxIds.has(shim.sandboxId));
        return left.length === 0 ? { done: true, value: undefined } : { done: false, seen: left.map((shim) => `shim ${shim.pid}`).join(', ') };
      },
      { awaited: `no shim of the run's ${sandboxIds.size} sandboxes ${where}`, timeoutMs: graceMs, intervalMs: 100 },
    );
    return [];
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) return [`shims ${where} could not be checked: ${error instanceof Error ? error.message : String(error)}`];
    const waitedMs = Date.now() - startedAt;
    return left.map((shim) => `${describeRuntimeShim(shim)} ${where}: still running after the run's pods were deleted (waited ${waitedMs} ms)`);
  }
}
