/**
 * The checks of a live runtime upgrade, in the order `pause-conformance upgrade` makes them:
 * the upgrade itself (old runtime stopped with its shims running, new one answering on the same
 * socket), each witness kept by the new runtime, a new container attempt in a pre-upgrade
 * sandbox, the step that broke pods upstream (a container restarted in a pre-upgrade pod, then
 * the new runtime restarted once more: containerd/containerd#10888, #11793, #11916), and each
 * witness torn down completely by the new runtime. Each is a CheckResult with its evidence, in
 * the report like a suite's check. A check lists every property that failed, not just the first.
 */
import type { CheckResult } from '../report/report.ts';
import type { Evidence, EvidenceValue } from '../report/evidence.ts';
import { timelineEvidence } from '../report/timeline.ts';
import type { RuntimeUpgradeResult, Target } from '../target.ts';
import { messageOf } from '../errors.ts';
import { pollUntil } from '../wait.ts';
import { execIp, observationEvidence, observeWitness, restartContainerInPlace, type Witness, type WitnessObservation } from './witnesses.ts';

export const UPGRADE_SUITE = 'the live runtime upgrade';

/** Research measured a witness's teardown by the new runtime at 1.2-1.9 s; what is left after this is left. */
const TEARDOWN_WAIT_MS = 10_000;

class Skip extends Error {}

/** Runs one check: `work` fills the evidence and returns the problems it found (none = passed). */
export async function check(title: string, work: (evidence: Evidence) => Promise<string[]>): Promise<CheckResult> {
  const startedAt = Date.now();
  const evidence: Evidence = {};
  const result: CheckResult = { suite: UPGRADE_SUITE, title, fullTitle: `${UPGRADE_SUITE} ${title}`, status: 'passed', durationMs: 0, startedAt: new Date(startedAt).toISOString(), evidence };
  try {
    const problems = await work(evidence);
    if (problems.length > 0) {
      result.status = 'failed';
      result.error = problems.join('; ');
    }
  } catch (error) {
    if (error instanceof Skip) {
      result.status = 'skipped';
      result.skipReason = error.message;
    } else {
      result.status = 'failed';
      result.error = messageOf(error);
    }
  }
  result.durationMs = Date.now() - startedAt;
  return result;
}

/** When things happened, for the witnesses' timelines (lifecycle.svg marks the upgrade on each). */
export interface UpgradeMarks {
  upgradeStarted?: number;
  upgradeDone?: number;
  containerRestarted?: number;
  runtimeRestarted?: number;
}

export async function upgradeStepCheck(target: Target, marks: UpgradeMarks): Promise<{ check: CheckResult; result?: RuntimeUpgradeResult }> {
  let result: RuntimeUpgradeResult | undefined;
  const upgrade = target.controls.upgradeRuntime;
  const check_ = await check('the old runtime stopped with its shims running, the new one started in place on the same state and socket', async (ev) => {
    if (!upgrade) throw new Skip(`the ${target.info.provider} provider was given no upgrade to make`);
    const shimsBefore = (await target.controls.runtimeShims?.()) ?? [];
    marks.upgradeStarted = Date.now();
    result = await upgrade.call(target.controls);
    marks.upgradeDone = Date.now();
    const shimsAfter = (await target.controls.runtimeShims?.()) ?? [];
    const kept = shimsBefore.filter((shim) => shimsAfter.some((now) => now.pid === shim.pid));
    ev['from'] = result.from;
    ev['to'] = result.to;
    if (result.command) ev['command'] = result.command;
    if (result.output) ev['output'] = result.output;
    ev['shimsBefore'] = shimsBefore.map((shim) => ({ pid: shim.pid, sandboxId: shim.sandboxId, binary: shim.binary ?? null }));
    ev['shimsAfter'] = shimsAfter.map((shim) => ({ pid: shim.pid, sandboxId: shim.sandboxId, binary: shim.binary ?? null }));
    ev['timings'] = { downMs: result.downMs, ...(result.stopMs !== undefined ? { stopMs: result.stopMs } : {}), ...(result.startMs !== undefined ? { startMs: result.startMs } : {}) };
    ev['summary'] = `${result.from} -> ${result.to}: down ${result.downMs} ms${result.stopMs !== undefined ? ` (stop ${result.stopMs} ms, start ${result.startMs} ms)` : ''}; ${kept.length}/${shimsBefore.length} shims still running`;
    const problems: string[] = [];
    if (target.controls.runtimeShims && kept.length !== shimsBefore.length) problems.push(`${shimsBefore.length - kept.length} of ${shimsBefore.length} shims did not survive the stop of the old runtime`);
    return problems;
  });
  return { check: check_, ...(result ? { result } : {}) };
}


/** What differs between a witness before and after the upgrade, as problems; [] = kept. */
export function keptProblems(witness: Witness, after: WitnessObservation): string[] {
  const before = witness.before;
  const problems: string[] = [];
  if (after.sandboxState !== 'ready') problems.push(`sandbox ${before.sandboxId} is ${after.sandboxState}, not READY`);
  if (after.currentSandboxId !== undefined && after.currentSandboxId !== before.sandboxId) problems.push(`the pod's sandbox is now ${after.currentSandboxId}, not ${before.sandboxId}`);
  if (after.pausePid !== before.pausePid) problems.push(`pause pid ${before.pausePid ?? 'none'} -> ${after.pausePid ?? 'none'}`);
  if (before.pausePid && !after.pauseAlive) problems.push(`pause ${before.pausePid} is not alive`);
  if (!witness.spec.hostNetwork) {
    if (after.netnsPath !== before.netnsPath) problems.push(`netns path ${before.netnsPath ?? 'none'} -> ${after.netnsPath ?? 'none'}`);
    if (before.netnsPath && after.netnsPresent === false) problems.push(`netns ${before.netnsPath} is gone`);
    if (after.pauseNamespaces?.net !== before.pauseNamespaces?.net) problems.push(`pause net namespace ${before.pauseNamespaces?.net ?? 'none'} -> ${after.pauseNamespaces?.net ?? 'none'}`);
    if (after.ip !== before.ip) problems.push(`IP ${before.ip ?? 'none'} -> ${after.ip ?? 'none'}`);
    const seenIp = execIp(after);
    if (after.exec.ok && seenIp !== before.ip) problems.push(`eth0 inside shows ${seenIp ?? 'no address'}, the sandbox had ${before.ip ?? 'none'}`);
  }
  for (const was of before.containers) {
    const now = after.containers.find((c) => c.name === was.name);
    if (!now || now.state !== 'running') problems.push(`container ${was.name} is ${now?.state ?? 'missing'}, not running`);
    else if (now.pid !== was.pid) problems.push(`container ${was.name} pid ${was.pid ?? 'none'} -> ${now.pid ?? 'none'}`);
  }
  if (!after.exec.ok) problems.push(`exec in ${after.exec.container} failed: ${after.exec.output}`);
  return problems;
}

export async function keptCheck(target: Target, witness: Witness, marks: UpgradeMarks): Promise<{ check: CheckResult; after?: WitnessObservation }> {
  let after: WitnessObservation | undefined;
  const result = await check(`witness ${witness.spec.name} (${witness.spec.why}) is kept by the new runtime: same pause alive, same netns and IP, sandbox READY, containers RUNNING with the same pids, exec works`, async (ev) => {
    after = await observeWitness(target, witness);
    const problems = keptProblems(witness, after);
    ev['witness'] = witness.spec.name;
    ev['pod'] = witness.pod.name;
    ev['before'] = observationEvidence(witness.before);
    ev['after'] = observationEvidence(after);
    ev['timings'] = { observedAfterUpgradeMs: marks.upgradeDone ? Date.parse(after.at) - marks.upgradeDone : 0, execMs: after.exec.ms };
    ev['summary'] = problems.length === 0
      ? `pause ${after.pausePid} alive, ${witness.spec.hostNetwork ? 'host network' : `netns ${after.pauseNamespaces?.net}, IP ${after.ip}`}, ${after.containers.length} container pids unchanged, exec works`
      : problems.join('; ');
    return problems;
  });
  return { check: result, ...(after ? { after } : {}) };
}

/** Namespaces a container must share with pause in a pod (PID only when the pod shares it). */
function sharedKinds(witness: Witness): ('net' | 'ipc' | 'uts')[] {
  return witness.spec.hostNetwork ? ['ipc', 'uts'] : ['net', 'ipc', 'uts'];
}

export async function newAttemptCheck(target: Target, witness: Witness, marks: UpgradeMarks): Promise<CheckResult> {
  const container = witness.spec.restartedContainer ?? witness.pod.containers[0]!.name;
  return check(`a new container attempt in pre-upgrade sandbox ${witness.spec.name} runs and joins its namespaces`, async (ev) => {
    const restarted = await restartContainerInPlace(target, witness.pod, container, 30_000);
    marks.containerRestarted = Date.now();
    const now = await observeWitness(target, witness);
    const seen = now.containers.find((c) => c.name === container);
    const problems: string[] = [];
    for (const kind of sharedKinds(witness)) {
      if (!seen?.namespaces?.[kind] || seen.namespaces[kind] !== now.pauseNamespaces?.[kind]) problems.push(`${kind} namespace of the new attempt ${seen?.namespaces?.[kind] ?? 'unknown'}, pause's ${now.pauseNamespaces?.[kind] ?? 'unknown'}`);
    }
    if (seen?.state !== 'running') problems.push(`the new attempt is ${seen?.state ?? 'missing'}`);
    ev['container'] = container;
    ev['attempt'] = restarted.attempt;
    ev['containerId'] = restarted.id;
    ev['observation'] = observationEvidence(now);
    ev['timings'] = { restartMs: restarted.ms };
    ev['summary'] = problems.length === 0 ? `attempt ${restarted.attempt} of ${container} running in ${restarted.ms} ms, ${sharedKinds(witness).map((kind) => `${kind} ${seen?.namespaces?.[kind]}`).join(', ')} = pause's` : problems.join('; ');
    return problems;
  });
}

/** containerd/containerd#10888, #11793, #11916: a container restarted in a pre-upgrade pod, then the new runtime restarted once more. */
export async function breakageCheck(target: Target, witness: Witness, marks: UpgradeMarks): Promise<CheckResult> {
  return check(`after a container restart in pre-upgrade pod ${witness.spec.name} and one more restart of the new runtime, the pod still runs: same pause, exec works, no extra shim (containerd#10888, #11793, #11916)`, async (ev) => {
    const restartRuntime = target.controls.restartRuntime;
    if (!restartRuntime) throw new Skip(`the ${target.info.provider} provider cannot restart the runtime on this target`);
    const before = await observeWitness(target, witness);
    const { downMs } = await restartRuntime.call(target.controls);
    marks.runtimeRestarted = Date.now();
    const after = await pollUntil(
      async () => {
        const seen = await observeWitness(target, witness);
        return seen.sandboxState === 'ready' || seen.sandboxState === 'gone' || seen.sandboxState === 'notready' ? { done: true, value: seen } : { done: false, seen: `sandbox ${seen.sandboxState}` };
      },
      { awaited: `sandbox of witness ${witness.spec.name} seen by the restarted runtime`, timeoutMs: 30_000, intervalMs: 100 },
    );
    const problems: string[] = [];
    if (after.sandboxState !== 'ready') problems.push(`sandbox is ${after.sandboxState}, not READY`);
    if (after.pausePid !== witness.before.pausePid || !after.pauseAlive) problems.push(`pause ${witness.before.pausePid} -> ${after.pausePid ?? 'none'}${after.pauseAlive ? '' : ' (not alive)'}`);
    for (const container of after.containers) if (container.state !== 'running') problems.push(`container ${container.name} (attempt ${container.attempt}) is ${container.state}`);
    if (!after.exec.ok) problems.push(`exec failed: ${after.exec.output}`);
    for (const name of witness.pod.containers.map((c) => c.name)) {
      const exec = await target.pods.exec(witness.pod, name, ['true'], 10).catch((error: unknown) => ({ exitCode: -1, stdout: '', stderr: messageOf(error) }));
      if (exec.exitCode !== 0) problems.push(`exec in ${name} failed: ${exec.stderr.trim() || `exit ${exec.exitCode}`}`);
    }
    const extra = (after.shimPids ?? []).filter((pid) => !(before.shimPids ?? []).includes(pid));
    if (before.shimPids && after.shimPids && (after.shimPids.length > Math.max(1, before.shimPids.length) || extra.length > 0 && before.shimPids.length > 0)) {
      problems.push(`shims of the sandbox ${JSON.stringify(before.shimPids)} -> ${JSON.stringify(after.shimPids)}`);
    }
    ev['before'] = observationEvidence(before);
    ev['after'] = observationEvidence(after);
    ev['timings'] = { runtimeDownMs: downMs };
    ev['summary'] = problems.length === 0 ? `runtime down ${downMs} ms; pause ${after.pausePid} alive, ${after.containers.length} containers running, exec works in each, shims ${JSON.stringify(after.shimPids ?? 'not listed')}` : problems.join('; ');
    return problems;
  });
}

/** Stop + remove by the new runtime, then every part of the sandbox seen gone (bounded wait), each timed. */
export async function teardownCheck(target: Target, witness: Witness, marks: UpgradeMarks): Promise<CheckResult> {
  return check(`stop + remove of witness ${witness.spec.name} by the new runtime tears it down completely: pause, containers, netns, veth, IPAM entry, shim`, async (ev) => {
    const node = target.node;
    const last = await observeWitness(target, witness);
    const pausePids = [...new Set([witness.before.pausePid, last.pausePid].filter((pid): pid is number => !!pid))];
    const appPids = [...new Set([...witness.before.containers, ...last.containers].map((c) => c.pid).filter((pid): pid is number => !!pid))];
    const netnsPath = witness.before.netnsPath;
    const ip = witness.before.ip;
    const gone: Record<string, number> = {};
    const conditions: Record<string, () => Promise<boolean>> = {
      pauseGone: async () => { for (const pid of pausePids) if (await node.processAlive(pid)) return false; return true; },
      containersGone: async () => { for (const pid of appPids) if (await node.processAlive(pid)) return false; return true; },
    };
    if (netnsPath) conditions['netnsGone'] = async () => !(await node.pathExists(netnsPath));
    if (witness.veth) conditions['vethGone'] = async () => (await node.link(witness.veth!.ifindex)) === undefined;
    if (ip && target.capabilities.ipamVisible) conditions['ipReleased'] = async () => (await node.ipAllocated(ip)) !== true;
    const shims = target.controls.runtimeShims;
    if (shims) conditions['shimGone'] = async () => !(await shims()).some((shim) => shim.sandboxId === witness.pod.sandboxId);
    // What was gone before the delete (after a rollback: pause and the containers) is said so, not timed from it.
    const goneBeforeDelete: string[] = [];
    for (const [name, isGone] of Object.entries(conditions)) if (await isGone()) goneBeforeDelete.push(name);
    const problems: string[] = [];
    const calledAt = Date.now();
    let returnedAt: number | undefined;
    try {
      const deleted = await target.pods.delete(witness.pod);
      returnedAt = deleted.returnedAtMs;
    } catch (error) {
      problems.push(`delete failed: ${messageOf(error)}`);
    }
    const left = await pollUntil(
      async () => {
        const remaining: string[] = [];
        for (const [name, isGone] of Object.entries(conditions)) {
          if (gone[name] !== undefined || goneBeforeDelete.includes(name)) continue;
          if (await isGone()) gone[name] = Date.now();
          else remaining.push(name);
        }
        return remaining.length === 0 ? { done: true, value: [] as string[] } : { done: false, seen: remaining.join(', ') };
      },
      { awaited: `witness ${witness.spec.name} torn down`, timeoutMs: TEARDOWN_WAIT_MS, intervalMs: 50 },
    ).catch(() => Object.keys(conditions).filter((name) => gone[name] === undefined && !goneBeforeDelete.includes(name)));
    const shimsLeft = shims && left.includes('shimGone') ? (await shims()).filter((shim) => shim.sandboxId === witness.pod.sandboxId) : [];
    for (const name of left) {
      if (name === 'shimGone') problems.push(`shim ${shimsLeft.map((shim) => `pid ${shim.pid} (${shim.binary ?? 'binary unknown'})`).join(', ')} of sandbox ${witness.pod.sandboxId} still running ${TEARDOWN_WAIT_MS / 1000} s after the delete`);
      else problems.push(`${name.replace(/Gone$|Released$/, '')} not gone ${TEARDOWN_WAIT_MS / 1000} s after the delete`);
    }
    const notChecked: Record<string, string> = {};
    if (!netnsPath) notChecked['netns'] = witness.spec.hostNetwork ? 'hostNetwork: the node\'s namespace' : 'the runtime reported no netns path';
    if (!witness.veth) notChecked['veth'] = witness.spec.hostNetwork ? 'hostNetwork: no veth' : 'links not visible on this target';
    if (!ip || !target.capabilities.ipamVisible) notChecked['ipam'] = !ip ? 'no pod IP (hostNetwork)' : 'the IPAM store is not visible on this target';
    if (!shims) notChecked['shim'] = 'this target cannot list the runtime\'s shims';
    ev['checked'] = { pausePids, appPids, netnsPath: netnsPath ?? null, veth: witness.veth ? { ifindex: witness.veth.ifindex, name: witness.veth.name ?? null } : null, ip: ip ?? null, sandboxId: witness.pod.sandboxId };
    ev['notChecked'] = notChecked;
    ev['goneBeforeDelete'] = goneBeforeDelete;
    ev['left'] = left;
    const timings: Record<string, number> = {};
    for (const [name, at] of Object.entries(gone)) timings[`${name}Ms`] = at - calledAt;
    if (returnedAt) timings['deleteReturnedMs'] = returnedAt - calledAt;
    ev['timings'] = timings;
    const events: Record<string, number> = { created: witness.pod.createdAtMs, ready: witness.pod.readyAtMs, deleteCalled: calledAt, ...gone };
    // The upgrade and the runtime's restart happened under every witness; a container restart only in its own.
    for (const [name, at] of Object.entries(marks)) if (typeof at === 'number' && (name !== 'containerRestarted' || witness.spec.restartedContainer)) events[name] = at;
    if (returnedAt) events['deleteReturned'] = returnedAt;
    ev['timeline'] = timelineEvidence(`witness ${witness.spec.name}`, events);
    ev['summary'] = problems.length === 0 ? `${goneBeforeDelete.length ? `already gone before the delete: ${goneBeforeDelete.join(', ')}; ` : ''}${Object.keys(gone).join(', ')} within ${Math.max(0, ...Object.values(gone).map((at) => at - calledAt))} ms of the delete${Object.keys(notChecked).length ? `; not checked: ${Object.entries(notChecked).map(([k, v]) => `${k} (${v})`).join(', ')}` : ''}` : problems.join('; ');
    return problems;
  });
}

/** On a kubelet's node: the kubelet did not replace the witness's sandbox across the upgrade. */
export async function notRecreatedCheck(target: Target, witness: Witness, after: WitnessObservation | undefined): Promise<CheckResult> {
  return check(`the kubelet did not recreate witness ${witness.spec.name}'s sandbox (same sandbox and attempt, no restart it was not asked for)`, async (ev) => {
    if (!target.capabilities.kubelet) throw new Skip('no kubelet runs these pods: the harness is the CRI client and recreates nothing');
    if (!after) throw new Skip('the witness could not be observed after the upgrade (see its check)');
    const problems: string[] = [];
    if (after.currentSandboxId !== witness.before.sandboxId) problems.push(`sandbox ${witness.before.sandboxId} -> ${after.currentSandboxId ?? 'none'}`);
    if (after.attempt !== witness.before.attempt) problems.push(`attempt ${witness.before.attempt} -> ${after.attempt}`);
    for (const was of witness.before.containers) {
      const now = after.containers.find((c) => c.name === was.name);
      if (now?.restartCount !== undefined && was.restartCount !== undefined && now.restartCount !== was.restartCount) problems.push(`container ${was.name} restartCount ${was.restartCount} -> ${now.restartCount}`);
    }
    const counts: Record<string, EvidenceValue> = {};
    for (const c of after.containers) counts[c.name] = c.restartCount ?? null;
    ev['sandbox'] = { before: witness.before.sandboxId, after: after.currentSandboxId ?? null, attemptBefore: witness.before.attempt ?? null, attemptAfter: after.attempt ?? null };
    ev['restartCountAfter'] = counts;
    ev['summary'] = problems.length === 0 ? `sandbox ${witness.before.sandboxId.slice(0, 12)} attempt ${after.attempt}, restart counts unchanged` : problems.join('; ');
    return problems;
  });
}
