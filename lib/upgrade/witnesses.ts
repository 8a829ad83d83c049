/**
 * Witness pods of a runtime upgrade: long-lived pods made on the old runtime, observed before
 * and after it is replaced. Each observation records what the sandbox is made of (pause pid and
 * namespaces, netns path, IP, containers and their pids, whether exec works) and never throws:
 * after a rollback the runtime may not know the pods any more, and that is the evidence.
 * Everything goes through the Target (its PodDriver and NodeView), so the same witnesses serve
 * the embedded node (CRI) and a real node (the Kubernetes API).
 */
import { messageOf } from '../errors.ts';
import { ipv4OfDevice } from '../linux/ip-addr.ts';
import type { NamespaceIds } from '../node/node-view.ts';
import type { PodManifest } from '../pods/manifest.ts';
import type { PodRef } from '../pods/pod-driver.ts';
import type { EvidenceValue } from '../report/evidence.ts';
import type { WitnessFacts } from '../report/upgrade-section.ts';
import type { Target } from '../target.ts';
import { pollUntil } from '../wait.ts';

export interface WitnessSpec {
  /** Name in the report: trio, shared-pid, host-network, restarted. */
  name: string;
  /** Pod fixture it is made from. */
  fixture: string;
  /** What it stands for. */
  why: string;
  /** A container restarted (a new attempt in the same sandbox) before the upgrade. */
  restartedContainer?: string;
  hostNetwork?: boolean;
}

export const WITNESSES: WitnessSpec[] = [
  { name: 'trio', fixture: 'trio', why: 'three containers sharing the sandbox\'s net, IPC and UTS namespaces' },
  { name: 'shared-pid', fixture: 'shared-pid', why: 'a shared PID namespace: pause is PID 1 of the pod' },
  { name: 'host-network', fixture: 'host-network', why: "the node's network namespace: no netns or IP of its own", hostNetwork: true },
  { name: 'restarted', fixture: 'restart-always', why: 'a container restarted in its sandbox before the upgrade (attempt 1)', restartedContainer: 'flap' },
];

export interface ContainerSeen {
  name: string;
  id: string;
  attempt: number;
  state: string;
  pid?: number;
  restartCount?: number;
  /** net/ipc/uts inodes of its process. */
  namespaces?: NamespaceIds;
}

export interface WitnessObservation {
  at: string;
  sandboxId: string;
  /** What the pod driver says the pod's sandbox is now (a kubelet may have made a new one). */
  currentSandboxId?: string;
  sandboxState: string;
  attempt?: number;
  pausePid?: number;
  pauseAlive?: boolean;
  pauseNamespaces?: NamespaceIds;
  netnsPath?: string;
  netnsPresent?: boolean;
  ip?: string;
  containers: ContainerSeen[];
  /** `ip -4 -o addr show dev eth0` (or hostname on host-network pods) in the first container. */
  exec: { container: string; ok: boolean; output: string; ms: number };
  /** The runtime's shims serving this sandbox (where the target can list them). */
  shimPids?: number[];
  /** What could not be read, one line each. */
  errors: string[];
}

export interface Witness {
  spec: WitnessSpec;
  pod: PodRef;
  /** The pod's host-side veth, followed for the teardown check (not for host-network pods). */
  veth?: { ifindex: number; name?: string };
  before: WitnessObservation;
}

async function attempt<T>(errors: string[], what: string, work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    errors.push(`${what}: ${messageOf(error).split('\n')[0]}`);
    return undefined;
  }
}

/** What the sandbox and its containers are now, as the node and the pod driver see them. */
export async function observeWitness(target: Target, witness: { spec: WitnessSpec; pod: PodRef }): Promise<WitnessObservation> {
  const { pod, spec } = witness;
  const errors: string[] = [];
  const node = target.node;
  const currentSandboxId = await attempt(errors, 'current sandbox', () => target.pods.currentSandboxId(pod));
  const sandbox = await attempt(errors, `sandbox ${pod.sandboxId}`, () => node.sandbox(pod.sandboxId));
  const observation: WitnessObservation = { at: new Date().toISOString(), sandboxId: pod.sandboxId, sandboxState: sandbox?.state ?? 'unknown', containers: [], exec: { container: '', ok: false, output: '', ms: 0 }, errors };
  if (currentSandboxId !== undefined) observation.currentSandboxId = currentSandboxId;
  if (sandbox) {
    observation.attempt = sandbox.attempt;
    if (sandbox.pausePid) observation.pausePid = sandbox.pausePid;
    if (sandbox.netnsPath) observation.netnsPath = sandbox.netnsPath;
    if (sandbox.ip) observation.ip = sandbox.ip;
  }
  if (observation.pausePid) {
    const pid = observation.pausePid;
    observation.pauseAlive = (await attempt(errors, `pause ${pid} alive`, () => node.processAlive(pid))) ?? false;
    if (observation.pauseAlive) {
      const namespaces = await attempt(errors, `namespaces of pause ${pid}`, () => node.namespaces(pid));
      if (namespaces) observation.pauseNamespaces = namespaces;
    }
  }
  if (observation.netnsPath) {
    const netnsPath = observation.netnsPath;
    const present = await attempt(errors, `netns ${netnsPath}`, () => node.pathExists(netnsPath));
    if (present !== undefined) observation.netnsPresent = present;
  }
  for (const ref of pod.containers) {
    const seen: ContainerSeen = { name: ref.name, id: ref.id, attempt: ref.attempt, state: 'unknown' };
    const driverView = await attempt(errors, `container ${ref.name}`, () => target.pods.container(pod, ref.name));
    if (driverView) {
      seen.state = driverView.state;
      seen.id = driverView.id;
      seen.attempt = driverView.attempt;
      if (driverView.restartCount !== undefined) seen.restartCount = driverView.restartCount;
    }
    const facts = await attempt(errors, `container ${ref.name} on the node`, () => node.container(seen.id));
    if (facts?.pid) {
      seen.pid = facts.pid;
      const pid = facts.pid;
      const namespaces = await attempt(errors, `namespaces of ${ref.name} (${pid})`, () => node.namespaces(pid));
      if (namespaces) seen.namespaces = { net: namespaces.net, ipc: namespaces.ipc, uts: namespaces.uts, pid: namespaces.pid };
    }
    observation.containers.push(seen);
  }
  const first = pod.containers[0]?.name ?? '';
  const command = spec.hostNetwork ? ['hostname'] : ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'];
  const t0 = Date.now();
  const exec = await attempt(errors, `exec in ${first}`, () => target.pods.exec(pod, first, command, 10));
  observation.exec = {
    container: first,
    ok: exec?.exitCode === 0,
    output: exec ? (exec.exitCode === 0 ? exec.stdout.trim() : `exit ${exec.exitCode}: ${exec.stderr.trim()}`) : (errors.at(-1) ?? ''),
    ms: Date.now() - t0,
  };
  const shims = target.controls.runtimeShims;
  if (shims) {
    const listed = await attempt(errors, 'shims', () => shims());
    if (listed) observation.shimPids = listed.filter((shim) => shim.sandboxId === pod.sandboxId).map((shim) => shim.pid);
  }
  return observation;
}

/**
 * Starts a new attempt of `container` in its sandbox: the container is told to exit (the
 * fixtures' flap container exits 3 once /tmp/exit-now exists), then the CRI driver starts the
 * next attempt as a kubelet would, or the kubelet does it under a kube driver. Resolves with the
 * new attempt running; throws with what it saw otherwise.
 */
export async function restartContainerInPlace(target: Target, pod: PodRef, container: string, timeoutMs = 60_000): Promise<{ attempt: number; id: string; ms: number }> {
  const t0 = Date.now();
  const before = await target.pods.container(pod, container);
  const told = await target.pods.exec(pod, container, ['touch', '/tmp/exit-now'], 10);
  if (told.exitCode !== 0) throw new Error(`exec touch /tmp/exit-now in ${container} exited ${told.exitCode}: ${told.stderr.trim()}`);
  const restart = target.pods.restartContainer;
  if (restart) {
    await target.pods.waitForExit(pod, container, timeoutMs);
    await restart.call(target.pods, pod, container);
  }
  const now = await pollUntil(
    async () => {
      const seen = await target.pods.container(pod, container);
      return seen.attempt > before.attempt && seen.state === 'running' ? { done: true, value: seen } : { done: false, seen: `attempt ${seen.attempt} ${seen.state}` };
    },
    { awaited: `a new attempt of container ${container} of pod ${pod.name} running (was attempt ${before.attempt})`, timeoutMs, intervalMs: 100 },
  );
  return { attempt: now.attempt, id: now.id, ms: Date.now() - t0 };
}

/** Makes one witness and records it; its pod's undo is the pod driver's (registered before the pod exists). */
export async function makeWitness(target: Target, spec: WitnessSpec, manifest: PodManifest): Promise<Witness> {
  const pod = await target.pods.create(manifest);
  if (spec.restartedContainer) await restartContainerInPlace(target, pod, spec.restartedContainer);
  let veth: Witness['veth'];
  if (!spec.hostNetwork && target.capabilities.linksVisible) {
    const iflink = await target.pods.exec(pod, pod.containers[0]!.name, ['cat', '/sys/class/net/eth0/iflink'], 10);
    const ifindex = Number(iflink.stdout.trim());
    if (iflink.exitCode === 0 && Number.isInteger(ifindex)) {
      const link = await target.node.link(ifindex);
      veth = { ifindex, ...(link ? { name: link.name } : {}) };
    }
  }
  const witness: Witness = { spec, pod, before: await observeWitness(target, { spec, pod }) };
  if (veth) witness.veth = veth;
  return witness;
}

/** The IPv4 address an exec of `ip -4 -o addr show dev eth0` printed, if any. */
export function execIp(observation: WitnessObservation): string | undefined {
  return observation.exec.ok ? ipv4OfDevice(observation.exec.output, 'eth0') : undefined;
}

/** An observation as report evidence (plain values only). */
export function observationEvidence(observation: WitnessObservation): EvidenceValue {
  return JSON.parse(JSON.stringify(observation)) as EvidenceValue;
}

/** The few facts the report's witness table compares. */
export function witnessFacts(observation: WitnessObservation): WitnessFacts {
  const facts: WitnessFacts = {
    at: observation.at,
    sandboxState: observation.sandboxState,
    containerPids: Object.fromEntries(observation.containers.map((c) => [`${c.name}#${c.attempt}`, c.pid ?? null])),
    containerStates: Object.fromEntries(observation.containers.map((c) => [`${c.name}#${c.attempt}`, c.state])),
    execWorks: observation.exec.ok,
  };
  if (observation.pausePid !== undefined) facts.pausePid = observation.pausePid;
  if (observation.pauseAlive !== undefined) facts.pauseAlive = observation.pauseAlive;
  if (observation.netnsPath) facts.netnsPath = observation.netnsPath;
  if (observation.pauseNamespaces?.net) facts.netns = observation.pauseNamespaces.net;
  if (observation.ip) facts.ip = observation.ip;
  if (observation.shimPids) facts.shimPids = observation.shimPids;
  return facts;
}
