/**
 * Suite: scale and churn. Creates and deletes N two-container pods, C at a time, then proves the
 * node is clean: every pod IP released from IPAM, no netns bind mount left, no pause or app
 * process left. Per-pod timings (create -> running, delete call -> return) and pods/s go to the
 * evidence. Defaults fit a 2-core machine; PC_CHURN_PODS and PC_CHURN_CONCURRENCY override them.
 */
import { expect } from 'chai';
import { UsageError } from '../lib/errors.ts';
import { evidence, skipBecause } from '../lib/report/evidence.ts';
import type { PodRef } from '../lib/pods/pod-driver.ts';
import type { NamespaceIds } from '../lib/node/node-view.ts';
import { pollUntil } from '../lib/wait.ts';
import { fixture, target } from './context.ts';
import { observeContainer, observePause } from './observe.ts';

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
  pauseCommand?: string;
  pauseNet?: string;
  apps: { pid: number; net?: string }[];
  createToRunningMs: number;
  deleteMs: number;
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

  /** True while pid is still the same process: alive, same command line, same net namespace. */
  const stillThere = async (pid: number, command: string | undefined, net: string | undefined): Promise<boolean> => {
    const node = target().node;
    if (!(await node.processAlive(pid))) return false;
    // pid_max can be small (32768 here): a live pid must also match what it was to count as a leftover.
    if (command !== undefined && (await node.processCommand(pid)) !== command) return false;
    if (net !== undefined) {
      const now: NamespaceIds = await node.namespaces(pid).catch(() => ({}));
      if (now.net !== net) return false;
    }
    return true;
  };

  it('N multi-container pods are created and deleted at concurrency C', async function () {
    const ev = evidence(this);
    const manifest = await fixture('churn');
    const startedAt = Date.now();
    await pool(pods, concurrency, async (index) => {
      const copy = structuredClone(manifest);
      copy.metadata.name = `churn-${index}`;
      const pod = await target().pods.create(copy);
      live.add(pod);
      const pause = await observePause(target(), pod);
      const apps = await Promise.all(pod.containers.map((c) => observeContainer(target(), pod, c.name)));
      const deleted = await target().pods.delete(pod);
      live.delete(pod);
      const record: ChurnedPod = {
        index,
        name: pod.name,
        sandboxId: pod.sandboxId,
        ip: pause.sandbox.ip ?? '',
        pausePid: pause.pid,
        apps: apps.map((a) => ({ pid: a.pid, ...(a.namespaces.net ? { net: a.namespaces.net } : {}) })),
        createToRunningMs: pod.readyAtMs - pod.createdAtMs,
        deleteMs: deleted.returnedAtMs - deleted.calledAtMs,
      };
      if (pause.sandbox.netnsPath) record.netnsPath = pause.sandbox.netnsPath;
      if (pause.command) record.pauseCommand = pause.command;
      if (pause.namespaces.net) record.pauseNet = pause.namespaces.net;
      churned.push(record);
    });
    const wallMs = Date.now() - startedAt;
    churned.sort((a, b) => a.index - b.index);
    const podsPerSecond = Math.round((pods / (wallMs / 1000)) * 100) / 100;
    const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b);
    const median = (values: number[]): number => sorted(values)[Math.floor(values.length / 2)] ?? 0;
    ev['pods'] = pods;
    ev['concurrency'] = concurrency;
    ev['perPod'] = churned.map((p) => ({ name: p.name, sandboxId: p.sandboxId, ip: p.ip, pausePid: p.pausePid, createToRunningMs: p.createToRunningMs, deleteMs: p.deleteMs }));
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
    if (!target().capabilities.ipamVisible) skipBecause(this, `the ${target().info.provider} provider cannot see the node's IPAM store`);
    if (churned.length === 0) throw new Error('no churned pods to check (the churn check failed)');
    const ev = evidence(this);
    const node = target().node;
    const ips = [...new Set(churned.map((p) => p.ip))];
    // A kubelet may still be finishing a delete on the node: wait, with a deadline.
    const startedAt = Date.now();
    await pollUntil(
      async () => {
        const held = [];
        for (const ip of ips) if ((await node.ipAllocated(ip)) !== false) held.push(ip);
        return held.length === 0 ? { done: true, value: undefined } : { done: false, seen: `still allocated: ${held.join(', ')}` };
      },
      { awaited: `all ${ips.length} churn IPs released`, timeoutMs: 30_000, intervalMs: 50 },
    );
    ev['ips'] = ips;
    ev['timings'] = { waitedMs: Date.now() - startedAt };
    ev['summary'] = `${ips.length} distinct IPs of ${churned.length} pods, none allocated any more`;
  });

  it('no netns, pause process or app process was left', async function () {
    if (churned.length === 0) throw new Error('no churned pods to check (the churn check failed)');
    const ev = evidence(this);
    const node = target().node;
    const startedAt = Date.now();
    const left = await pollUntil(
      async () => {
        const remaining: string[] = [];
        for (const p of churned) {
          if (p.netnsPath && (await node.pathExists(p.netnsPath))) remaining.push(`${p.name} netns ${p.netnsPath}`);
          if (await stillThere(p.pausePid, p.pauseCommand, p.pauseNet)) remaining.push(`${p.name} pause ${p.pausePid}`);
          for (const app of p.apps) if (await stillThere(app.pid, undefined, app.net)) remaining.push(`${p.name} app ${app.pid}`);
        }
        return remaining.length === 0 ? { done: true, value: remaining } : { done: false, seen: remaining.join(', ') };
      },
      { awaited: `nothing left of ${churned.length} churned pods`, timeoutMs: 30_000, intervalMs: 50 },
    );
    ev['checked'] = {
      netnsPaths: churned.filter((p) => p.netnsPath).length,
      pausePids: churned.map((p) => p.pausePid),
      appPids: churned.flatMap((p) => p.apps.map((a) => a.pid)),
    };
    ev['left'] = left;
    ev['timings'] = { waitedMs: Date.now() - startedAt };
    ev['summary'] = `${churned.length} pods: ${churned.filter((p) => p.netnsPath).length} netns, ${churned.length} pause and ${churned.reduce((n, p) => n + p.apps.length, 0)} app processes all gone`;
    expect(left).to.deep.equal([]);
  });
});
