/**
 * StopContainer as kubelet relies on it: a stop the runtime failed is made again, once, as
 * kubelet's next sync of the pod makes it, and only a second failure fails the delete.
 *
 * containerd 1.6.20 can fail a StopContainer whose container did stop. When the grace period
 * runs out it sends the kill; the container exits, and the CRI's exit handling deletes its task,
 * which closes that task's connection to the shim, before the kill's answer has come back over
 * it: "failed to kill container ...: ttrpc: closed: unknown"
 * (fixtures/recorded/containerd-1.6.20-log-stop-kill-race*.txt; three times in 16-pod bench runs
 * on 2026-12-03, under the CPU hog and without). Right after the failure the CRI may still call
 * the container running, its exit being handled; a second StopContainer waits for that, as
 * StopContainer does, and returns once the container is exited (at once if it already is).
 * The first error is kept for the evidence, never dropped.
 */
import { CriError, type CriClient } from './client.ts';

/** The one call used, so the bench's raw client and the driver's share this. */
export type StopContainerClient = Pick<CriClient, 'stopContainer'>;

/**
 * Stops the container with the grace period (seconds, as kubelet passes it). Returns undefined
 * when StopContainer succeeded, or the runtime's error line when it failed and a second
 * StopContainer then succeeded; throws when that failed too. An error that is not the runtime's
 * answer (no CriError) is thrown at once.
 */
export async function stopContainerChecked(client: StopContainerClient, containerId: string, graceSeconds: number): Promise<string | undefined> {
  try {
    await client.stopContainer(containerId, graceSeconds);
    return undefined;
  } catch (error) {
    if (!(error instanceof CriError)) throw error;
    await client.stopContainer(containerId, graceSeconds);
    return `${error.message} (a second StopContainer, as kubelet's next sync makes, returned: stopped)`;
  }
}

/**
 * Stops every container at once, as kubelet's killPod does, each as stopContainerChecked: the
 * runtime's errors of the stops that succeeded when made again, in no particular order.
 */
export async function stopContainersChecked(client: StopContainerClient, containerIds: string[], graceSeconds: number): Promise<string[]> {
  const stopped = await Promise.all(containerIds.map((id) => stopContainerChecked(client, id, graceSeconds)));
  return stopped.filter((error): error is string => error !== undefined);
}
