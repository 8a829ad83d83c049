/**
 * A PodDriver makes, acts on and deletes the fixtures' pods on one target. Two kinds exist:
 * cri (gRPC, translating manifests as kubelet does) and kube (the Kubernetes API). Both hand back
 * the node-side ids (sandbox id, container ids) so the NodeView can observe what they made.
 */
import type { PodManifest } from './manifest.ts';
import type { ContainerRunState } from '../cri/states.ts';
import type { CommandResult } from '../command-result.ts';
import type { PodApiStatus } from '../kube/pod-status.ts';
import type { CriAnswer } from '../cri/answer.ts';

export interface ContainerRef {
  name: string;
  /** Runtime container id of the current attempt. */
  id: string;
  attempt: number;
}

export interface PodRef {
  /** Name as made on the target (made unique per run by the driver). */
  name: string;
  namespace: string;
  uid: string;
  /** Runtime id of the pod's current sandbox on the node. */
  sandboxId: string;
  containers: ContainerRef[];
  /** The manifest as it was applied (after the driver made names unique). */
  manifest: PodManifest;
  /** When creation was asked for, and when every container was seen running (ms since epoch). */
  createdAtMs: number;
  readyAtMs: number;
}

export interface ContainerObservation {
  name: string;
  id: string;
  attempt: number;
  state: ContainerRunState;
  exitCode?: number;
  /** For kubelet-run pods: the container's restartCount. */
  restartCount?: number;
}

/** What a command run in a container gave back. */
export type ExecResult = CommandResult;

export interface DeleteResult {
  /** When the delete was called and when the driver's own delete returned (ms since epoch). */
  calledAtMs: number;
  returnedAtMs: number;
  /** Pods with an API object (Kubernetes): when the API's DELETE call returned (the object is then terminating, not gone). */
  apiReturnedAtMs?: number;
  /** ... and when a watch saw the object gone. */
  objectGoneAtMs?: number;
  /**
   * Errors the runtime answered to a container's stop that succeeded when made again, as kubelet's
   * next sync makes it (lib/cri/stop-container.ts): kept for the evidence.
   */
  stopErrors?: string[];
}

export interface PodDriver {
  /** Creates the pod and waits until every container is running (or has run, for ones that exit at once). */
  create(manifest: PodManifest, options?: { timeoutMs?: number }): Promise<PodRef>;
  exec(pod: PodRef, container: string, command: string[], timeoutSeconds?: number): Promise<ExecResult>;
  /** Current state of one container of the pod (latest attempt). */
  container(pod: PodRef, container: string): Promise<ContainerObservation>;
  /** Waits until the named container's latest attempt has exited; returns its observation. */
  waitForExit(pod: PodRef, container: string, timeoutMs?: number): Promise<ContainerObservation>;
  /**
   * Starts a new attempt of the container in the same sandbox, as kubelet does on restart.
   * Only where the driver is the one restarting (CRI); kube drivers leave this to the kubelet.
   */
  restartContainer?(pod: PodRef, container: string): Promise<ContainerRef>;
  /** The sandbox id the pod has now (a kubelet may replace it after pause dies). */
  currentSandboxId(pod: PodRef): Promise<string | undefined>;
  /** Deletes the pod: stops and removes its containers and sandbox (or the API object). */
  delete(pod: PodRef): Promise<DeleteResult>;
  /** Removes every pod this driver made that is still there (teardown, also after failures). */
  deleteAll(): Promise<void>;
  /**
   * The sandbox calls themselves, answers included, where the driver makes them (CRI). Absent
   * where a kubelet makes them (kube drivers): there they are the kubelet's, not the harness's.
   */
  sandboxCalls?: SandboxCalls;
  /**
   * Every sandbox id of this driver's pods it has seen (made, or found after a kubelet replaced
   * one): the run's leak check looks for a runtime shim still serving any of them.
   */
  sandboxIds(): string[];
}

/** A sandbox without containers, made as critest makes its own. */
export interface BareSandbox {
  id: string;
  name: string;
  uid: string;
}

/**
 * StopPodSandbox, RemovePodSandbox and PodSandboxStatus as bare CRI calls whose answer (gRPC
 * status, message, time) is returned, never thrown: what the runtime answers is what is checked.
 */
export interface SandboxCalls {
  /** Runs a sandbox with no container; its removal is registered (run's undo) before it exists. */
  run(name: string): Promise<BareSandbox>;
  stop(sandboxId: string): Promise<CriAnswer>;
  remove(sandboxId: string): Promise<CriAnswer>;
  /** PodSandboxStatus, with the state it reports when it answers OK (SANDBOX_READY, SANDBOX_NOTREADY). */
  status(sandboxId: string): Promise<CriAnswer & { state?: string }>;
  /** Removes whatever is left of the sandbox (found by its label, so a removed one is no error) and its undo. */
  discard(sandbox: BareSandbox): Promise<void>;
}

/** A PodDriver whose pods have an API object: status.phase, status.podIP(s), conditions. */
export interface ApiStatusSource {
  apiStatus(pod: PodRef): Promise<PodApiStatus>;
  /** Waits (Watch) until the API status satisfies `accept`; returns it with the time it was seen. */
  waitForApiStatus(pod: PodRef, awaited: string, accept: (status: PodApiStatus) => boolean, timeoutMs: number): Promise<PodApiStatus & { seenAtMs: number }>;
}

export function hasApiStatus(driver: PodDriver): driver is PodDriver & ApiStatusSource {
  return typeof (driver as Partial<ApiStatusSource>).apiStatus === 'function' && typeof (driver as Partial<ApiStatusSource>).waitForApiStatus === 'function';
}
