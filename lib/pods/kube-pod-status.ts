/**
 * What a Pod's status says, read the way the harness needs it: has every container started,
 * has a given container attempt exited (and with what code), what the API reports as the pod's
 * phase and IPs. Pure functions over V1Pod, checked on `kubectl get pod -o json` recorded on a
 * real node (shared/recorded: kubectl-get-pod-trio.json, 3a/3b/3c-*-kubectl-pod-*.json).
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { ContainerObservation } from './pod-driver.ts';
import type { Verdict } from '../kube/watch-until.ts';

export type { Verdict } from '../kube/watch-until.ts';

/** "containerd://abc" -> "abc" (any runtime prefix: containerd, cri-o, docker). */
export function runtimeContainerId(containerId: string | undefined): string {
  return (containerId ?? '').replace(/^[a-z0-9.+-]+:\/\//, '');
}

export function containerStatus(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return (pod.status?.containerStatuses ?? []).find((status) => status.name === name);
}

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

/** Waiting reasons that will not resolve by waiting longer (at least not within a check's time). */
const START_FAILURES = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
  'PreStartHookError',
]);

/** Raised when a pod cannot start: names the container, the reason and the kubelet's message. */
export class PodStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PodStartError';
  }
}

/** One short line: "phase Running; alpha running, beta waiting (ContainerCreating)". */
export function describePod(pod: V1Pod | undefined): string {
  if (!pod) return 'pod does not exist';
  const containers = (pod.spec?.containers ?? []).map((container) => {
    const status = containerStatus(pod, container.name);
    const state = status?.state;
    if (!status || !state) return `${container.name} no status`;
    if (state.running) return `${container.name} running (restarts ${status.restartCount})`;
    if (state.terminated) return `${container.name} exited ${state.terminated.exitCode}`;
    return `${container.name} waiting (${state.waiting?.reason ?? '?'})`;
  });
  return `phase ${pod.status?.phase ?? '?'}${pod.status?.reason ? ` (${pod.status.reason})` : ''}; ${containers.join(', ') || 'no containers'}`;
}

/**
 * Whether every container has started: running, or already exited (a container that exits at
 * once, or one in back-off after exiting). Throws PodStartError when it cannot start.
 */
export function startVerdict(pod: V1Pod | undefined, name: string): Verdict<V1Pod> {
  if (!pod) throw new PodStartError(`pod ${name} disappeared before it started`);
  const phase = pod.status?.phase;
  const names = (pod.spec?.containers ?? []).map((container) => container.name);
  for (const container of names) {
    const waiting = containerStatus(pod, container)?.state?.waiting;
    if (waiting?.reason && START_FAILURES.has(waiting.reason)) {
      throw new PodStartError(`container ${container} of pod ${name} cannot start: ${waiting.reason}${waiting.message ? `: ${waiting.message.split('\n')[0]}` : ''}`);
    }
  }
  const started = names.every((container) => {
    const status = containerStatus(pod, container);
    return Boolean(status?.state?.running || status?.state?.terminated || status?.lastState?.terminated);
  });
  if (started && names.length > 0) return { done: true, value: pod };
  if (phase === 'Failed' || phase === 'Succeeded') {
    throw new PodStartError(`pod ${name} ended before every container started: ${describePod(pod)}${pod.status?.message ? `: ${pod.status.message}` : ''}`);
  }
  return { done: false, seen: describePod(pod) };
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

export interface PodApiStatus {
  phase: string;
  /** status.podIP ('' when unset). */
  podIP: string;
  podIPs: string[];
  /** Condition type -> status ("True"/"False"). */
  conditions: Record<string, string>;
  reason?: string;
}

export function podApiStatus(pod: V1Pod): PodApiStatus {
  const status: PodApiStatus = {
    phase: pod.status?.phase ?? '',
    podIP: pod.status?.podIP ?? '',
    podIPs: (pod.status?.podIPs ?? []).map((entry) => entry.ip),
    conditions: Object.fromEntries((pod.status?.conditions ?? []).map((condition) => [condition.type, condition.status])),
  };
  if (pod.status?.reason) status.reason = pod.status.reason;
  return status;
}

export function isTerminalPhase(phase: string | undefined): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}
