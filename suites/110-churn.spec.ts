/**
 * Suite: scale and churn. Creates and deletes N two-container pods, C at a time, then proves the
 * node is clean: every pod IP released from IPAM, no netns bind mount left, no pause or app
 * process left, no runtime shim left. Each was seen present before its pod's delete. Per-pod timings (create -> running, delete call -> return) and pods/s go to the
 * evidence. Defaults fit a 2-core machine; PC_CHURN_PODS and PC_CHURN_CONCURRENCY override them.
 */
import { expect } from 'chai';
import { UsageError } from '../lib/errors.ts';
import { evidence, skipBecause } from '../lib/report/evidence.ts';
import { step } from '../lib/report/steps.ts';
import type { PodRef } from '../lib/pods/pod-driver.ts';
import { planSandboxGone, type GonePlan } from '../lib/report/sandbox-gone.ts';
import { pollUntil } from '../lib/wait.ts';
import { fixture, target } from './context.ts';
import { goneTarget, observeContainer, observePause, optionalFacts } from './observe.ts';

const DEFAULT_PODS = 12;
const DEFAULT_CONCURRENCY = 3;

/** Read when the suite file loads, so a bad value is one line and exit 2 before any check runs. */
function countFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^[1-9]\d{0,3}$/.test(raw)) throw new UsageError(`${name}=${raw} is not a whole number from 1 to 9999`, 'it sets the size of the churn suite', `Unset it (defaults: ${DEFAULT_PODS} pods, ${DEFAULT_CONCURRENCY} at a time) or pass e.g. ${name}=6.`);
  return Number(raw);
}

/** What one churned pod had on the node while it ran. */
interface ChurnedPod {
  index: number;
  name: string;
  sandboxId: string;
  ip: string;
  netnsPath?: string;
  pausePid: number;
  apps: { pid: number }[];
  /** Its teardown conditions, built (and their positive controls passed) before its delete. */
  plan: GonePlan;
  createToRunningMs: number;
  deleteMs: number;
  /** Stops the runtime failed and that succeeded when made again (lib/cri/stop-container.ts). */
  stopErrors?: string[];
}

/** Runs work(i) for i in [0, count) with at most `concurrency` at a time; rejects with the first failure. */
async function pool(count: number, concurrency: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

describe('scale and churn: many pods made and deleted, nothing left', function () {
  const churned: ChurnedPod[] = [];
  const live = new Set<PodRef>();
  const pods = countFromEnv('PC_CHURN_PODS', DEFAULT_PODS);
  const concurrency = countFromEnv('PC_CHURN_CONCURRENCY', DEFAULT_CONCURRENCY);

  after(async function () {
    // Only pods a failed churn left behind; the churn itself deletes every pod it makes.
    for (const pod of live) await target().pods.delete(pod).catch(() => undefined);
  });

  it('N multi-container pods are created and deleted at concurrency C', async function () {
    const ev = evidence(this);
    const manifest = await fixture('churn');
    const startedAt = Date.now();
    await step(this, `make, observe and delete ${pods} pods, ${concurrency} at a time`, () => pool(pods, concurrency, async (index) => {
      const copy = structuredClone(manifest);
      copy.metadata.name = `churn-${index}`;
      const pod = await target().pods.create(copy);
      live.add(pod);
      const pause = await observePause(target(), pod);
      const apps = await Promise.all(pod.containers.map((c) => observeContainer(target(), pod, c.name)));
      // Looked at before the delete: a wrong path or pid would be "gone" in the later checks at once.
      const plan = await planSandboxGone(goneTarget(target()), [{ sandboxId: pod.sandboxId, pausePid: pause.pid, containerPids: apps.map((a) => a.pid), containerIds: apps.map((a) => a.id), ...optionalFacts(pause.sandbox) }]);
      if (plan.controlFailures.length > 0) throw new Error(`${pod.name}: ${plan.controlFailures.join('; ')}`);
      const deleted = await target().pods.delete(pod);
      live.delete(pod);
      const record: ChurnedPod = {
        index,
        name: pod.name,
        sandboxId: pod.sandboxId,
        ip: pause.sandbox.ip ?? '',
        pausePid: pause.pid,
        apps: apps.map((a) => ({ pid: a.pid })),
        plan,
        createToRunningMs: pod.readyAtMs - pod.createdAtMs,
        deleteMs: deleted.returnedAtMs - deleted.calledAtMs,
      };
      if (pause.sandbox.netnsPath) record.netnsPath = pause.sandbox.netnsPath;
      if (deleted.stopErrors) record.stopErrors = deleted.stopErrors;
      churned.push(record);
    }));
    const wallMs = Date.now() - startedAt;
    churned.sort((a, b) => a.index - b.index);
    const podsPerSecond = Math.round((pods / (wallMs / 1000)) * 100) / 100;
    const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);
    const median = (values: number[]): number => sorted(values)[Math.floor(values.length / 2)] ?? 0;
    ev['pods'] = pods;
    ev['concurrency'] = concurrency;
    ev['perPod'] = churned.map((p) => ({ name: p.name, sandboxId: p.sandboxId, ip: p.ip, pausePid: p.pausePid, createToRunningMs: p.createToRunningMs, deleteMs: p.deleteMs, ...(p.stopErrors ? { stopErrors: p.stopErrors } : {}) }));
    ev['timings'] = {
      wallMs,
      podsPerSecond,
      medianCreateToRunningMs: median(churned.map((p) => p.createToRunningMs)),
      maxCreateToRunningMs: Math.max(...churned.map((p) => p.createToRunningMs)),
      medianDeleteMs: median(churned.map((p) => p.deleteMs)),
      maxDeleteMs: Math.max(...churned.map((p) => p.deleteMs)),
    };
    ev['distinctIps'] = new Set(churned.map((p) => p.ip)).size;
    ev['summary'] = `${pods} pods at concurrency ${concurrency} in ${wallMs} ms (${podsPerSecond} pods/s); median create->running ${median(churned.map((p) => p.createToRunningMs))} ms, delete ${median(churned.map((p) => p.deleteMs))} ms`;
    expect(churned.length, 'pods made and deleted').to.equal(pods);
    for (const p of churned) expect(p.ip, `${p.name} had a pod IP`).to.match(/^\d+\.\d+\.\d+\.\d+$/);
  });

  it('every pod IP was released', async function () {
    if (churned.length === 0) throw new Error('no churned pods to check (the churn check failed)');
    const notChecked = churned[0]!.plan.notChecked.ipReleased;
    if (notChecked) skipBecause(this, `not checked: ${notChecked}`);
    const ev = evidence(this);
    // A kubelet may still be finishing a delete on the node: wait, with a deadline. A probe with no
    // clear answer fails at once with what the shell said.
    const startedAt = Date.now();
    await pollUntil(
      async () => {
        const held: string[] = [];
        for (const p of churned) if (!(await p.plan.conditions.ipReleased!())) held.push(`${p.name} ${p.ip}`);
        return held.length === 0 ? { done: true, value: undefined } : { done: false, seen: `still allocated: ${held.join(', ')}` };
      },
      { awaited: `all ${churned.length} churn IPs released`, timeoutMs: 30_000, intervalMs: 50 },
    );
    const ips = [...new Set(churned.map((p) => p.ip))];
    ev['ips'] = ips;
    ev['timings'] = { waitedMs: Date.now() - startedAt };
    ev['summary'] = `${ips.length} distinct IPs of ${churned.length} pods, each seen allocated before its delete, none allocated any more`;
  });

  it('no netns, pause process, app process or runtime shim was left', async function () {
    if (churned.length === 0) throw new Error('no churned pods to check (the churn check failed)');
    const ev = evidence(this);
    const checked = ['pauseGone', 'containersGone', 'netnsGone', 'shimGone'] as const;
    const startedAt = Date.now();
    const left = await pollUntil(
      async () => {
        const remaining: string[] = [];
        for (const p of churned) {
          for (const name of checked) {
            const condition = p.plan.conditions[name];
            if (condition && !(await condition())) remaining.push(`${p.name} ${name}: ${(p.plan.left()[name] ?? []).join(', ')}`);
          }
        }
        return remaining.length === 0 ? { done: true, value: remaining } : { done: false, seen: remaining.join('; ') };
      },
      { awaited: `nothing left of ${churned.length} churned pods`, timeoutMs: 30_000, intervalMs: 50 },
    );
    const notChecked = Object.fromEntries(checked.flatMap((name) => churned.filter((p) => p.plan.notChecked[name]).map((p) => [`${p.name} ${name}`, p.plan.notChecked[name]!])));
    ev['checked'] = {
      netnsPaths: churned.filter((p) => p.netnsPath).length,
      pausePids: churned.map((p) => p.pausePid),
      appPids: churned.flatMap((p) => p.apps.map((a) => a.pid)),
      shims: churned.flatMap((p) => p.plan.shims.map((shim) => ({ pid: shim.pid, sandboxId: shim.sandboxId, socket: shim.socket ?? null }))),
    };
    ev['notChecked'] = notChecked;
    ev['left'] = left;
    ev['timings'] = { waitedMs: Date.now() - startedAt };
    const shims = churned.reduce((n, p) => n + p.plan.shims.length, 0);
    ev['summary'] = `${churned.length} pods: ${churned.filter((p) => p.netnsPath).length} netns, ${churned.length} pause, ${churned.reduce((n, p) => n + p.apps.length, 0)} app processes and ${shims} shims all gone${Object.keys(notChecked).length ? `; not checked: ${Object.entries(notChecked).map(([k, v]) => `${k} (${v})`).join('; ')}` : ''}`;
    expect(left).to.deep.equal([]);
  });
});
