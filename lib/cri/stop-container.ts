/**
 * StopContainer as kubelet relies on it: the container stopped, whatever the call answered.
 *
 * containerd 1.6.20 can fail a StopContainer whose container did stop: the container exits on
 * SIGTERM, the CRI deletes its task (closing that task's connection to the shim) while the grace
 * period runs out, and the kill sent then meets the closing connection: "failed to kill container
 * ...: ttrpc: closed: unknown" (fixtures/recorded/containerd-1.6.20-log-stop-kill-race.txt; seen
 * in 16-pod bench runs, three times on 2026-12-03). kubelet's next sync stops such a container again
 * and finds it exited. Here the runtime is asked at once: a container it reports exited (or no
 * longer knows) has stopped, and the delete goes on with the runtime's error kept for the
 * evidence; any other answer fails the delete with the runtime's error, as before.
 */
import * as grpc from '@grpc/grpc-js';
import { CriError, type CriClient } from './client.ts';
import { containerStateOf } from './states.ts';

/** The two calls used, so the bench's raw client and the driver's share this. */
export type StopContainerClient = Pick<CriClient, 'stopContainer' | 'containerStatus'>;

/**
 * Stops the container with the grace period (seconds, as kubelet passes it). Returns undefined
 * when StopContainer succeeded, or the runtime's error line when it failed but the container
 * stopped anyway; throws the runtime's error when it did not.
 */
export async function stopContainerChecked(client: StopContainerClient, containerId: string, graceSeconds: number): Promise<string | undefined> {
  try {
    await client.stopContainer(containerId, graceSeconds);
    return undefined;
  } catch (error) {
    if (!(error instanceof CriError)) throw error;
    const after = await stateAfterFailedStop(client, containerId);
    if (after === 'exited' || after === 'gone') return `${error.message} (the container was ${after} when asked right after: stopped)`;
    throw error;
  }
}

async function stateAfterFailedStop(client: StopContainerClient, containerId: string): Promise<string> {
  try {
    return containerStateOf((await client.containerStatus(containerId, false)).status.state);
  } catch (error) {
    if (error instanceof CriError && error.code === grpc.status.NOT_FOUND) return 'gone';
    // Its own failure says nothing of the container: the stop's error stands.
    return 'unknown';
  }
}
