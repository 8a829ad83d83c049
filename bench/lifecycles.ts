/**
 * One pod's full lifecycle, done two ways and timed at the same points:
 * - harness: CriPodDriver.create, the observations the teardown suite makes before deleting
 *   (sandbox facts, container pids, the veth's ifindex), the suites' own teardown conditions with
 *   their positive controls (planSandboxGone), then CriPodDriver.delete while watchGone waits for
 *   pause, containers, sandbox state, netns, veth, IP and the runtime's shim to be gone, exactly
 *   as suites/040-teardown.spec.ts does: the bench measures the code the suites run;
 * - raw: the CRI calls alone, in kubelet's order: RunPodSandbox, CreateContainer + StartContainer
 *   per container, StopContainer per container with the pod's grace period (kubelet's killPod,
 *   and CriPodDriver.delete's), StopPodSandbox, RemovePodSandbox. The configs come from the same translation
 *   (pure data, built before the clock starts) so both make the same pod.
 * Times are ms since the epoch (Date.now(), as the harness records them).
 */
import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { UndoStack } from '../lib/cleanup/undo-stack.ts';
import { CriClient } from '../lib/cri/client.ts';
import { stopContainersChecked } from '../lib/cri/stop-container.ts';
import type { PodSandboxConfig } from '../lib/cri/types.ts';
import type { CriPodDriver } from '../lib/pods/cri-driver.ts';
import type { PodManifest } from '../lib/pods/manifest.ts';
import { containerConfigFor, sandboxConfigFor, type SandboxIdentity } from '../lib/pods/translate.ts';
import type { Evidence } from '../lib/report/evidence.ts';
import { watchGone } from '../lib/report/gone-watch.ts';
import { planSandboxGone, type GoneCondition, type GoneTarget } from '../lib/report/sandbox-gone.ts';
import { LABEL_POD_UID } from '../lib/labels.ts';

/** A CriClient that notes when RunPodSandbox returned, per pod uid: the sandbox phase inside CriPodDriver.create. */
export class TimedCriClient extends CriClient {
  readonly sandboxReturnedAt = new Map<string, number>();
  override async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const id = await super.runPodSandbox(config, runtimeHandler);
    this.sandboxReturnedAt.set(config.metadata.uid, Date.now());
    return id;
  }
}

export interface Sample {
  startAt: number;
  sandboxAt: number;
  readyAt: number;
  deleteCalledAt: number;
  deleteReturnedAt: number;
  /** Teardown complete: harness = every condition seen; raw = RemovePodSandbox returned. */
  teardownAt: number;
  sandboxId: string;
  containerIds: string[];
  ip: string;
  netnsPath: string | undefined;
  /** Harness only: when the observations before the delete were done, and when each condition was first seen. */
  observedAt?: number;
  seenAt?: Record<string, number>;
  /** Harness only: ifindex of the pod's host-side veth (eth0's iflink). */
  vethIndex?: number;
  /**
   * Harness only, where the watch records it (evidence gone.sources): which event source woke the
   * look that saw each condition gone. Kept as the watch wrote it; nothing here depends on it.
   */
  sources?: Record<string, string>;
  /** Stops the runtime failed once and that succeeded when made again (lib/cri/stop-container.ts): the runtime's errors. */
  stopErrors?: string[];
  /** Harness only (evidence gone.confirmedAt): for conditions timed by a source's stamp, when the look that confirmed it was (ms since the epoch). */
  confirmedAt?: Record<string, number>;
}

/** The teardown events the bench times against ground truth: all of them but the shim. */
export const LAG_EVENTS = ['pauseGone', 'containersGone', 'sandboxNotReady', 'netnsGone', 'ipReleased', 'vethGone'] as const satisfies readonly GoneCondition[];

export interface HarnessContext {
  driver: CriPodDriver;
  client: TimedCriClient;
  /** The node and what can be checked on it, as the suites' goneTarget() gives it. */
  target: GoneTarget;
  manifest: PodManifest;
  /** Called with the pod's sandbox and container ids right before the delete (the bench's ground truth follows them). */
  beforeDelete?: (sandboxId: string, containerIds: string[]) => void;
}

export async function harnessLifecycle(ctx: HarnessContext): Promise<Sample> {
  const { driver } = ctx;
  const node = ctx.target.node;
  const startAt = Date.now();
  const pod = await driver.create(ctx.manifest);
  const sandboxAt = ctx.client.sandboxReturnedAt.get(pod.uid) ?? NaN;
  ctx.client.sandboxReturnedAt.delete(pod.uid);

  // What suites/040-teardown.spec.ts observes before it deletes.
  const sandbox = await node.sandbox(pod.sandboxId);
  if (!sandbox.pausePid || !sandbox.ip) throw new Error(`sandbox ${pod.sandboxId} has no pause pid or IP (state ${sandbox.state})`);
  const pausePid = sandbox.pausePid;
  const ip = sandbox.ip;
  const netnsPath = sandbox.netnsPath;
  const containerPids = (await node.containers(pod.sandboxId)).flatMap((c) => (c.pid ? [c.pid] : []));
  const first = pod.containers[0]!.name;
  const iflink = await driver.exec(pod, first, ['cat', '/sys/class/net/eth0/iflink']);
  const vethIndex = Number(iflink.stdout.trim());
  if (iflink.exitCode !== 0 || !Number.isInteger(vethIndex)) throw new Error(`eth0 iflink in ${first}: exit ${iflink.exitCode} ${iflink.stdout}${iflink.stderr}`);
  // The suites' conditions and their positive controls, built by the same code.
  const containerIds = pod.containers.map((c) => c.id);
  const plan = await planSandboxGone(ctx.target, [{ sandboxId: pod.sandboxId, pausePid, containerPids, containerIds, ...(netnsPath ? { netnsPath } : {}), ip, vethIndex }]);
  if (plan.controlFailures.length > 0) throw new Error(`pod ${pod.name}: positive controls before the delete failed: ${plan.controlFailures.join('; ')}`);
  // Every event the bench times must be watched, or its lag would be missing, not measured.
  const unwatched = LAG_EVENTS.filter((name) => plan.conditions[name] === undefined);
  if (unwatched.length > 0) throw new Error(`pod ${pod.name}: ${unwatched.map((name) => `${name} not checked (${plan.notChecked[name] ?? 'no condition'})`).join('; ')}`);
  const observedAt = Date.now();

  ctx.beforeDelete?.(pod.sandboxId, containerIds);
  const ev: Evidence = {};
  const deleteCalledAt = Date.now();
  const watching = watchGone(plan, deleteCalledAt, ev, { timeoutMs: 60_000 });
  // If the delete throws, the watch's own failure must not surface as an unhandled rejection.
  watching.catch(() => undefined);
  const deleted = await driver.delete(pod);
  const seen = await watching;
  const seenAt = Object.fromEntries(Object.entries(seen).map(([name, ms]) => [name, deleteCalledAt + ms]));
  const sources = sourcesOf(ev);
  const confirmedAt = confirmedAtOf(ev, deleteCalledAt);
  return {
    startAt,
    sandboxAt,
    readyAt: pod.readyAtMs,
    observedAt,
    deleteCalledAt,
    deleteReturnedAt: deleted.returnedAtMs,
    // The watch's end: every condition seen, the shim included, as the suites wait for it.
    teardownAt: Math.max(...Object.values(seenAt)),
    seenAt,
    sandboxId: pod.sandboxId,
    containerIds,
    ip,
    netnsPath,
    vethIndex,
    ...(sources ? { sources } : {}),
    ...(confirmedAt ? { confirmedAt } : {}),
    ...(deleted.stopErrors ? { stopErrors: deleted.stopErrors } : {}),
  };
}

/** ev.gone.confirmedAt (ms from the delete call), as ms since the epoch. */
function confirmedAtOf(ev: Evidence, deleteCalledAt: number): Record<string, number> | undefined {
  const gone = ev['gone'];
  if (typeof gone !== 'object' || gone === null || Array.isArray(gone)) return undefined;
  const confirmed = gone['confirmedAt'];
  if (typeof confirmed !== 'object' || confirmed === null || Array.isArray(confirmed)) return undefined;
  const entries = Object.entries(confirmed).filter((entry): entry is [string, number] => typeof entry[1] === 'number');
  return entries.length > 0 ? Object.fromEntries(entries.map(([name, ms]) => [name, deleteCalledAt + ms])) : undefined;
}

/**
 * ev.gone.sources where the watch records it, if it is a map of strings. The name is the one the
 * issue's plan gave it; `seenBy` is read too, the name the watch's work in progress uses.
 */
function sourcesOf(ev: Evidence): Record<string, string> | undefined {
  const gone = ev['gone'];
  if (typeof gone !== 'object' || gone === null || Array.isArray(gone)) return undefined;
  const sources = gone['sources'] ?? gone['seenBy'];
  if (typeof sources !== 'object' || sources === null || Array.isArray(sources)) return undefined;
  const entries = Object.entries(sources).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

export interface RawContext {
  client: CriClient;
  manifest: PodManifest;
  image: string;
  runId: string;
  namespace: string;
  logRoot: string;
  cgroupParent: string;
  undo: UndoStack;
}

export async function rawLifecycle(ctx: RawContext): Promise<Sample> {
  const { client, manifest } = ctx;
  const identity: SandboxIdentity = { namespace: ctx.namespace, uid: randomUUID(), attempt: 0, runId: ctx.runId, logRoot: ctx.logRoot, cgroupParent: ctx.cgroupParent };
  const sandboxConfig = sandboxConfigFor(manifest, identity);
  const containerConfigs = manifest.spec.containers.map((container) => containerConfigFor(manifest, container, identity, 0, ctx.image));
  // Not part of the sequence: the bench's own safety net, so a failure or Ctrl-C leaves nothing.
  const undo = ctx.undo.push(`raw pod ${identity.uid}`, async () => {
    for (const sandbox of await client.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: identity.uid } })) {
      await client.stopPodSandbox(sandbox.id);
      await client.removePodSandbox(sandbox.id);
    }
  });

  const startAt = Date.now();
  // kubelet makes the pod's log directory before RunPodSandbox.
  await mkdir(sandboxConfig.logDirectory, { recursive: true, mode: 0o700 });
  const sandboxId = await client.runPodSandbox(sandboxConfig);
  const sandboxAt = Date.now();
  const containerIds: string[] = [];
  for (const config of containerConfigs) {
    const id = await client.createContainer(sandboxId, config, sandboxConfig);
    await client.startContainer(id);
    containerIds.push(id);
  }
  const readyAt = Date.now();
  const deleteCalledAt = Date.now();
  // kubelet's killPod: every container stopped with the pod's grace period, then the sandbox.
  const grace = manifest.spec.terminationGracePeriodSeconds ?? 30;
  // As the driver does: a stop the runtime failed is made once more, as kubelet's next sync makes it; its error is noted.
  const stopErrors = await stopContainersChecked(client, containerIds, grace);
  await client.stopPodSandbox(sandboxId);
  await client.removePodSandbox(sandboxId);
  const deleteReturnedAt = Date.now();
  undo.release();
  return { startAt, sandboxAt, readyAt, deleteCalledAt, deleteReturnedAt, teardownAt: deleteReturnedAt, sandboxId, containerIds, ip: '', netnsPath: undefined, ...(stopErrors.length > 0 ? { stopErrors } : {}) };
}

/** Where the raw pods' logs go: below the run directory, as the harness's. */
export function rawLogRoot(runDir: string): string {
  return path.join(runDir, 'raw-pod-logs');
}
