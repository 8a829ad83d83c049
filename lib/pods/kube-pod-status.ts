/**
 * A Pod's container statuses as the PodDriver's ContainerObservation: a container's latest
 * attempt, and whether a given attempt has exited (and with what code). Pure functions over
 * V1Pod, checked on `kubectl get pod -o json` recorded on a real node (copied into fixtures/recorded:
 * kubectl-get-pod-trio.json, 3a/3b/3c-*-kubectl-pod-*.json). What the status says about the pod
 * as a whole is lib/kube/pod-status.ts.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ContainerObservation } from './pod-driver.ts';
import type { Verdict } from '../kube/watch-until.ts';
import { containerStatus, describePod, runtimeContainerId } from '../kube/pod-status.ts';

/**
 * A container's latest attempt as the kubelet reports it. An attempt that exited and is waiting
 * to be restarted (CrashLoopBackOff) shows as exited, with lastState's exit code and id: the
 * waiting state is the next attempt, not yet made.
 */
export function observeContainerStatus(status: V1ContainerStatus | undefined, name: string): ContainerObservation {
  if (!status) return { name, id: '', attempt: 0, state: 'unknown' };
  const restartCount = status.restartCount ?? 0;
  const base = { name, attempt: restartCount, restartCount };
  const state = status.state ?? {};
  if (state.running) return { ...base, id: runtimeContainerId(status.containerID), state: 'running' };
  if (state.terminated) {
    return { ...base, id: runtimeContainerId(state.terminated.containerID ?? status.containerID), state: 'exited', exitCode: state.terminated.exitCode };
  }
  const last = status.lastState?.terminated;
  if (last) return { ...base, id: runtimeContainerId(last.containerID ?? status.containerID), state: 'exited', exitCode: last.exitCode };
  return { ...base, id: runtimeContainerId(status.containerID), state: 'created' };
}

export interface AttemptRef {
  /** Runtime id of the attempt known to be current ('' when not known). */
  id: string;
  restartCount: number;
}

/**
 * Whether the given attempt of a container has exited: its own terminated state, or lastState
 * once the kubelet has already started the next attempt (a restart can be faster than a watch
 * event, so a higher restartCount also means the known attempt ended).
 */
export function exitVerdict(pod: V1Pod | undefined, container: string, known: AttemptRef): Verdict<ContainerObservation> {
  if (!pod) return { done: false, seen: 'pod does not exist' };
  const status = containerStatus(pod, container);
  if (!status) return { done: false, seen: `no status for ${container}` };
  const terminated = status.state?.terminated;
  const last = status.lastState?.terminated;
  const restartCount = status.restartCount ?? 0;
  const exited = (id: string, exitCode: number, attempt: number): Verdict<ContainerObservation> => ({
    done: true,
    value: { name: container, id, attempt, state: 'exited', exitCode, restartCount },
  });
  if (terminated && (!known.id || runtimeContainerId(terminated.containerID ?? status.containerID) === known.id)) {
    return exited(runtimeContainerId(terminated.containerID ?? status.containerID), terminated.exitCode, restartCount);
  }
  if (last && (runtimeContainerId(last.containerID) === known.id || restartCount > known.restartCount)) {
    return exited(runtimeContainerId(last.containerID), last.exitCode, Math.max(restartCount - 1, known.restartCount));
  }
  return { done: false, seen: `${container}: ${describePod(pod)}` };
}
