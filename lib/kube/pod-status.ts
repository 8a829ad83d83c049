/**
 * What a Pod object's status says, read the way the harness needs it: has every container
 * started (or can it not start), what the API reports as the pod's phase, IPs and conditions.
 * Pure functions over V1Pod, checked on `kubectl get pod -o json` recorded on a real node
 * (recorded on real nodes, copied into fixtures/recorded: kubectl-get-pod-trio.json, 3a/3b/3c-*-kubectl-pod-*.json). Used by the kube
 * pod driver and by the probe pod that serves as a node shell.
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import type { Verdict } from './watch-until.ts';

/** "containerd://abc" -> "abc" (any runtime prefix: containerd, cri-o, docker). */
export function runtimeContainerId(containerId: string | undefined): string {
  return (containerId ?? '').replace(/^[a-z0-9.+-]+:\/\//, '');
}

export function containerStatus(pod: V1Pod, name: string): V1ContainerStatus | undefined {
  return (pod.status?.containerStatuses ?? []).find((status) => status.name === name);
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
