/**
 * `npm run bench`: measures what issue 14 asks of the harness on the embedded node, and says per
 * target `met` or `MISSED`:
 * - teardown detection lag p95 <= 20 ms for every event (pause gone, containers gone, sandbox not
 *   ready, netns gone, IP released, veth gone) at each concurrency, and <= 50 ms with a CPU hog on
 *   every core: how late the harness's watch (the suites' own planSandboxGone + watchGone) saw each
 *   one after the runtime or the kernel reported it (bench/ground-truth.ts);
 * - the harness's client CPU per pod (this process + the commands it waited for) <= 1.5x the raw
 *   CRI client's (bench/cpu.ts);
 * - harness/raw median lifecycle <= 1.1 at each concurrency;
 * - a quiet `npm run conformance` <= 25 s wall (run once as a child, before the bench's own node).
 * N full lifecycles (sandbox run -> ready -> containers started -> delete -> teardown complete) at
 * each concurrency, once through the harness (bench/lifecycles.ts: CriPodDriver + the suites'
 * teardown watch) and once as bare CRI calls; harness and raw blocks alternate (ABBA) so drift on
 * a shared machine falls on both. Then the same levels again under the CPU hog (bench/cpu-hog.ts).
 * Prints median/p95 per phase, pods/s, the ratios, the lag per event, one line per target and a
 * final `bench:` line with every figure. Writes reports/bench.json. Everything is torn down on
 * success, failure and Ctrl-C, then the leak check runs.
 *
 * Environment: BENCH_PODS (lifecycles per mode and concurrency, default 24; at least three full
 * blocks at high concurrency, so 48 at 16: bench/schedule.ts), BENCH_CONCURRENCY (default
 * 1,4,16), BENCH_HOG_CONCURRENCY (the levels run again under the hog, default 1,4,16; empty
 * skips them), BENCH_CONFORMANCE (1, the default, times a conformance run; 0 skips it),
 * BENCH_SUBNET (default 10.214.0.0/24), BENCH_REPORT_DIR (default reports).
 */
import { execa } from 'execa';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { UndoStack } from '../lib/cleanup/undo-stack.ts';
import type { CriClient } from '../lib/cri/client.ts';
import { isUserFacing, messageOf, UsageError } from '../lib/errors.ts';
import type { ShellNodeView } from '../lib/node/shell-node-view.ts';
import { embeddedNodeView } from '../lib/providers/local/embedded-node-view.ts';
import { startLocalNodeEvents } from '../lib/node/local-node-events.ts';
import { CriPodDriver } from '../lib/pods/cri-driver.ts';
import { loadPodManifest } from '../lib/pods/manifest.ts';
import { cleanStaleRuns } from '../lib/providers/local/local-provider.ts';
import { startEmbeddedNode } from '../lib/runtime/embedded-node.ts';
import { newRunId } from '../lib/runtime/run-dir.ts';
import { runLayout, type RunLayout } from '../lib/runtime/run-layout.ts';
import { validateSubnet } from '../lib/runtime/subnet.ts';
import { ensurePackages, LOCAL_NODE_REQUIREMENTS } from '../lib/runtime/system-deps.ts';
import { startCpuHog } from './cpu-hog.ts';
import { cpuSince, cpuSnapshot, threadCpu, threadCpuSince, THREAD_KINDS, type CpuSnapshot, type ThreadKind } from './cpu.ts';
import { GroundTruth } from './ground-truth.ts';
import { harnessLifecycle, LAG_EVENTS, rawLifecycle, rawLogRoot, TimedCriClient, type Sample } from './lifecycles.ts';
import { blockOrder, podsAt, type Mode } from './schedule.ts';
import { round, stats, type Stats } from './stats.ts';
import { LOCAL_RUNTIME_NEEDS_ROOT, requireRoot } from '../lib/providers/common/require-root.ts';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
/** Issue 14's targets. */
const TARGETS = {
  /** Detection lag p95 of every event, at every quiet level. */
  lagP95Ms: 20,
  /** The same under the CPU hog. */
  lagP95HogMs: 50,
  /** Harness client CPU per pod over the raw client's, at every quiet level. */
  cpuRatio: 1.5,
  /** Harness median lifecycle over raw's, at every quiet level. */
  lifecycleRatio: 1.1,
  /** Wall of a quiet `npm run conformance`, on 2 cores. */
  conformanceS: 25,
} as const;
const WARMUP_PODS = 2;

const say = (line: string): void => void process.stdout.write(`${line}\n`);

class Interrupted extends Error {}

interface BenchConfig {
  pods: number;
  levels: number[];
  /** The levels run again under the CPU hog (none: not measured). */
  hogLevels: number[];
  /** Whether a conformance run is timed. */
  conformance: boolean;
  subnet: string;
  reportDir: string;
}

function readLevels(name: string, text: string, allowEmpty: boolean): number[] {
  if (allowEmpty && text.trim() === '') return [];
  const levels = text.split(',').map((s) => s.trim());
  if (levels.some((l) => !/^[1-9]\d*$/.test(l))) throw new UsageError(`${name}=${text} is not a list of whole numbers`, 'it is the concurrency levels to measure', `Set e.g. ${name}=1,4,16${allowEmpty ? ` (or ${name}= to skip them)` : ''}.`);
  return levels.map(Number);
}

function readConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const pods = env['BENCH_PODS'] ?? '24';
  if (!/^[1-9]\d*$/.test(pods)) throw new UsageError(`BENCH_PODS=${pods} is not a whole number >= 1`, 'it is how many lifecycles each mode runs per concurrency', 'Set e.g. BENCH_PODS=24.');
  const levels = readLevels('BENCH_CONCURRENCY', env['BENCH_CONCURRENCY'] ?? '1,4,16', false);
  const hogLevels = readLevels('BENCH_HOG_CONCURRENCY', env['BENCH_HOG_CONCURRENCY'] ?? '1,4,16', true);
  const conformance = env['BENCH_CONFORMANCE'] ?? '1';
  if (conformance !== '0' && conformance !== '1') throw new UsageError(`BENCH_CONFORMANCE=${conformance} is neither 0 nor 1`, 'it says whether the bench times a conformance run', 'Set BENCH_CONFORMANCE=0 to skip it, 1 to time it.');
  return { pods: Number(pods), levels, hogLevels, conformance: conformance === '1', subnet: env['BENCH_SUBNET'] ?? '10.214.0.0/24', reportDir: env['BENCH_REPORT_DIR'] ?? path.join(ROOT, 'reports') };
}

/** The node view the harness lifecycles watch through: as the local provider builds it (lib/providers/local). */
async function harnessNodeView(client: CriClient, layout: RunLayout, undo: UndoStack): Promise<{ view: ShellNodeView; events: string }> {
  // As the local provider builds its node: the change sources, closed through the undo.
  const events = await startLocalNodeEvents({ containerdSocket: layout.socket, containerdNamespace: 'k8s.io', criEndpoint: layout.socket });
  undo.push('stop the change sources (event stream, inotify, ip monitor, pidfd)', () => events.close());
  const described = Object.entries(events.sources()).map(([kind, state]) => `${kind}: ${'source' in state ? state.source : `none (${state.none})`}`).join('; ');
  return { view: embeddedNodeView(client, layout, events), events: described };
}

/** The quiet conformance run: what `npm run conformance` runs, timed as a child of the bench. */
interface ConformanceRun {
  /** Why there is no figure, when there is none. */
  notMeasured?: string;
  wallS?: number;
  exitCode?: number;
  lastLine?: string;
  summary?: { passed: number; failed: number; skipped: number };
}


const PHASES = ['sandbox', 'containers', 'ready', 'delete', 'teardown', 'lifecycle'] as const;
type Phase = (typeof PHASES)[number];

function phaseOf(sample: Sample, phase: Phase): number {
  switch (phase) {
    case 'sandbox':
      return sample.sandboxAt - sample.startAt;
    case 'containers':
      return sample.readyAt - sample.sandboxAt;
    case 'ready':
      return sample.readyAt - sample.startAt;
    case 'delete':
      return sample.deleteReturnedAt - sample.deleteCalledAt;
    case 'teardown':
      return sample.teardownAt - sample.deleteCalledAt;
    case 'lifecycle':
      // The harness's observations between ready and delete are the checks' work, not the lifecycle's.
      return sample.readyAt - sample.startAt + (sample.teardownAt - sample.deleteCalledAt);
  }
}

type LagEvent = (typeof LAG_EVENTS)[number];

interface Lag {
  /** Per event: the harness's first sight minus the ground truth, ms, over the level's harness pods. */
  byEvent: Record<LagEvent, Stats>;
  /** Per event: harness pods whose ground truth (or whose sight of it) is missing, left out of byEvent. */
  missingGroundTruth: Record<LagEvent, number>;
  /** The level's lag figure: the highest p95 over the six events, and which event it was. */
  worstP95: number;
  worstEvent: LagEvent;
  /** The watch's end (every condition seen, the shim too) minus the last of the pod's six events. */
  complete: Stats;
  /**
   * sandboxNotReady against the sandbox task's /tasks/delete instead of its exit: containerd 1.6
   * deletes the task, then marks the sandbox NOTREADY, so this is nearly the harness's own share.
   */
  sandboxNotReadyVsTaskDelete: Stats;
  /**
   * sandboxNotReady against the sandbox's bundle removal (the ground truth until 2026-12-03): the
   * CRI turns the sandbox after it, 10-140 ms later at 16 pods, so this holds the CRI's own delay.
   */
  sandboxNotReadyVsBundle: Stats;
  /** The ground truth's own bracket of the CRI's turn (first "not ready" answer minus last "ready" ask), and its asks per pod. */
  notReadyBracket: Stats;
  notReadyAsks: Stats;
  /**
   * sandboxNotReady against the ground truth's first "not ready" answer (the latest the turn can
   * have been, as told to an idle asker at least 2 ms apart): the harness's own share of the lag,
   * the CRI's round trip left out. Not judged: the judged truth is the earliest the turn can have
   * been, so the lag there holds the bracket too.
   */
  sandboxNotReadyVsFirstAnswer: Stats;
  /** containersGone against the last task bundle's removal: the CRI's own handling of the exits included. */
  containersGoneVsTaskBundles: Stats;
  /** Per event timed by its source's stamp: the look that confirmed it, ms after the stamp. */
  confirmedAfterStamp: Partial<Record<LagEvent, Stats>>;
  /** When the shim was seen gone, ms after the delete call (no ground truth: not a lag). */
  shimGoneAfterDelete: Stats;
  /** Per event, how many pods each event source woke the look that saw it gone, where the watch records it. */
  seenBy?: Record<string, Record<string, number>>;
}

interface LevelResult {
  concurrency: number;
  /** Run with the CPU hog: busy loops on every core. */
  hog: boolean;
  /** cpuByThreadMsPerPod: the bench process's share by kind of thread (bench/cpu.ts threadCpu), per pod. */
  /** stopErrors: what the runtime answered to stops that failed and succeeded when made again (lib/cri/stop-container.ts). */
  modes: Record<Mode, { pods: number; wallMs: number; podsPerS: number; phases: Record<Phase, Stats>; cpuMsPerPod: CpuSnapshot; cpuByThreadMsPerPod: Record<ThreadKind, number>; stopErrors: string[] }>;
  ratios: Record<Phase, number>;
  /** Harness client CPU per pod (bench + its commands) over raw's. */
  cpuRatio: number;
  observe: Stats;
  lag: Lag;
  /** What else was going on: the machine's 1-minute load average at the end, the bench's own event-loop delay, the hog's busy loops. */
  context: { loadAverage1m: number; eventLoopDelayP99Ms: number; hogLoops: number };
}

async function main(): Promise<number> {
  let config: BenchConfig;
  try {
    config = readConfig(process.env);
  } catch (error) {
    if (!isUserFacing(error)) throw error;
    process.stderr.write(`bench: ${error.message}\n`);
    return 2;
  }
  const runId = newRunId();
  const layout = runLayout(runId);
  const undo = new UndoStack();
  let interrupted: string | undefined;
  /** Passes the first signal on to a child that runs in a process group of its own (the conformance run). */
  let forwardSignal: (() => void) | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      say(`second ${signal}: exiting now; still registered for cleanup: ${undo.labels.join('; ') || 'nothing'}`);
      process.exit(130);
    }
    interrupted = signal;
    say(`${signal}: finishing the pods in flight, then tearing everything down (send it again to exit at once)`);
    forwardSignal?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const step = async <T>(title: string, work: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const result = await work();
    say(`  ✓ ${title} (${Date.now() - t0} ms)`);
    return result;
  };

  say(`bench ${runId}: ${config.pods} pod lifecycles per mode at concurrency ${config.levels.join(', ')} (BENCH_PODS, BENCH_CONCURRENCY), then under a cpu hog at ${config.hogLevels.join(', ') || 'none'} (BENCH_HOG_CONCURRENCY); conformance run ${config.conformance ? 'timed' : 'not timed'} (BENCH_CONFORMANCE)`);
  const levels: LevelResult[] = [];
  let conformance: ConformanceRun = { notMeasured: 'BENCH_CONFORMANCE=0' };
  let harnessEvents = '';
  let groundTruthNotes: Record<string, string> = {};
  let failure: unknown;
  let leaks: string[] = [];
  let nodeLeaks: (() => Promise<string[]>) | undefined;
  let info: Record<string, string> = {};
  try {
    requireRoot('the bench', LOCAL_RUNTIME_NEEDS_ROOT);
    await step('system packages present', () => ensurePackages(LOCAL_NODE_REQUIREMENTS, say));
    const subnet = await validateSubnet(config.subnet).catch((error: unknown) => {
      // The check speaks of --subnet; here the value comes from BENCH_SUBNET.
      throw isUserFacing(error) ? new UsageError(`BENCH_SUBNET=${config.subnet} cannot be used`, error.message.replace(/\. Pass e\.g\..*$|\. Pick a free range.*$/, ''), 'Set BENCH_SUBNET to a free IPv4 range, e.g. BENCH_SUBNET=10.215.0.0/24.') : error;
    });
    await step('leftovers of killed runs checked', () => cleanStaleRuns(say));
    if (config.conformance) {
      // Before the bench's own node exists: nothing of the bench runs beside it.
      conformance = await step('quiet conformance run timed (the command of npm run conformance, before the bench\'s node starts)', () =>
        timeConformance(undo, (forward) => void (forwardSignal = forward)),
      );
      printConformance(conformance);
      if (interrupted) throw new Interrupted('interrupted');
    }
    const node = await startEmbeddedNode({ layout, subnet: subnet.text, undo, step });
    nodeLeaks = () => node.leaks();
    const version = await node.client.version();
    info = { runtime: `${version.runtimeName} ${version.runtimeVersion}`, kernel: os.release(), cpus: String(os.availableParallelism()), node: process.version };

    const harnessClient = new TimedCriClient(`unix://${layout.socket}`);
    undo.push('close the harness CRI client', async () => harnessClient.close());
    const ipamDir = path.join(layout.cniIpamDir, layout.networkName);
    const driver = new CriPodDriver(harnessClient, {
      runId,
      namespace: `pause-conformance-bench-${runId}`,
      logRoot: path.join(layout.dir, 'pod-logs'),
      logRootIsLocal: true,
      cgroupParent: layout.cgroupParent,
      imageFor: () => node.appImage,
      undo,
    });
    const taskDir = layout.taskDir;
    const nodeView = await harnessNodeView(harnessClient, layout, undo);
    harnessEvents = nodeView.events;
    // What the local provider's target says of this node (lib/providers/local): no kubelet, CRI-level attempts, IPAM and links visible.
    const target = { node: nodeView.view, capabilities: { kubelet: false, containerAttempts: true, ipamVisible: true, linksVisible: true }, runtimeName: version.runtimeName };
    const manifest = await loadPodManifest(path.join(ROOT, 'fixtures', 'pods', 'trio.yaml'));
    const truth = new GroundTruth();
    const harness = (): Promise<Sample> => harnessLifecycle({ driver, client: harnessClient, target, manifest, beforeDelete: (sandboxId, ids) => {
      truth.followCriStatus(layout.criRootDir, ids);
      truth.followSandbox(layout.taskDir, sandboxId);
    } });
    const raw = (): Promise<Sample> =>
      rawLifecycle({ client: node.client, manifest, image: node.appImage, runId, namespace: `pause-conformance-bench-raw-${runId}`, logRoot: rawLogRoot(layout.dir), cgroupParent: layout.cgroupParent, undo });
    await step('ground truth: containerd exit events, inotify on the netns and IPAM directories, ip monitor of host links (seen a test veth go), sandbox states asked of the CRI from each bundle\'s removal', async () => {
      // Both exist once the first pod is made; made here so the watches can start before it.
      await mkdir(layout.netnsDir, { recursive: true, mode: 0o700 });
      await mkdir(ipamDir, { recursive: true, mode: 0o700 });
      await mkdir(taskDir, { recursive: true, mode: 0o711 });
      await truth.start(layout.socket, [layout.netnsDir, ipamDir, taskDir], undo);
    });
    groundTruthNotes = { ...truth.notes };

    const interruptedCheck = (): boolean => interrupted !== undefined;
    await step(`warm-up: ${WARMUP_PODS} pods each way, not counted`, async () => {
      await runBatch(WARMUP_PODS, 1, harness, interruptedCheck);
      await runBatch(WARMUP_PODS, 1, raw, interruptedCheck);
    });
    for (const concurrency of config.levels) {
      const result = await measureLevel(podsAt(config.pods, concurrency), concurrency, undefined, { harness, raw }, truth, { netnsDir: layout.netnsDir, ipamDir, taskDir }, interruptedCheck, node.containerdPid());
      printLevel(result);
      levels.push(result);
    }
    for (const concurrency of config.hogLevels) {
      // Started just before the level, stopped right after it (and by the undo stack on failure).
      const hog = startCpuHog(undo);
      let result: LevelResult;
      try {
        result = await measureLevel(podsAt(config.pods, concurrency), concurrency, hog.loops, { harness, raw }, truth, { netnsDir: layout.netnsDir, ipamDir, taskDir }, interruptedCheck, node.containerdPid());
      } finally {
        await hog.stop();
      }
      printLevel(result);
      levels.push(result);
    }
  } catch (error) {
    failure = error;
  }

  say('\nteardown');
  // The run directory goes with the undo: a failure's containerd log is kept beside the report,
  // where the runtime said why (a "ttrpc: closed" from a StopContainer at 16 pods had none).
  if (failure && !(failure instanceof Interrupted) && !isUserFacing(failure)) {
    const kept = path.join(config.reportDir, `containerd-${runId}.log`);
    await mkdir(config.reportDir, { recursive: true })
      .then(() => copyFile(layout.logFile, kept))
      .then(
        () => say(`  containerd's log kept: ${kept}`),
        (error: unknown) => say(`  containerd's log not kept: ${messageOf(error)}`),
      );
  }
  const undoFailures = await undo.unwind();
  for (const f of undoFailures) say(`  ✗ ${f.label}: ${f.error}`);
  if (nodeLeaks) {
    leaks = await nodeLeaks().catch((error: unknown) => [`leak check failed: ${messageOf(error)}`]);
    say(leaks.length === 0 ? '  ✓ leak check: nothing of this run is left' : `  ✗ leak check: ${leaks.length} left: ${leaks.join('; ')}`);
  }
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  if (failure && isUserFacing(failure)) {
    process.stderr.write(`bench: ${failure.message}\n`);
    return 2;
  }
  if (failure && !(failure instanceof Interrupted)) {
    // A Ctrl-C reaches the commands of the pods in flight too (same process group): their failure is the signal's.
    if (interrupted) say(`a pod in flight failed after ${interrupted}: ${messageOf(failure)}`);
    else process.stderr.write(`bench failed: ${failure instanceof Error && failure.stack ? failure.stack : String(failure)}\n`);
  }
  if (failure || levels.length < config.levels.length + config.hogLevels.length) {
    say(interrupted ? `bench interrupted by ${interrupted}: no final line` : 'bench did not finish: no final line');
    return interrupted ? 130 : 1;
  }
  const verdict = summarize(levels, conformance);
  const file = path.join(config.reportDir, 'bench.json');
  await mkdir(config.reportDir, { recursive: true });
  const report = {
    schemaVersion: 2,
    runId,
    finishedAt: new Date().toISOString(),
    config,
    machine: info,
    harnessNodeEvents: harnessEvents,
    groundTruth: groundTruthNotes,
    targets: TARGETS,
    ...verdict.json,
    finalLine: verdict.finalLine,
    conformance,
    levels,
    teardown: { undoFailures, leaks },
  };
  await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  say(`\nreport: ${file}`);
  say(verdict.finalLine);
  return undoFailures.length > 0 || leaks.length > 0 ? 1 : 0;
}

/** Runs `count` lifecycles with `concurrency` in flight; stops taking new ones when interrupted. */
async function runBatch(count: number, concurrency: number, lifecycle: () => Promise<Sample>, interrupted: () => boolean): Promise<{ samples: Sample[]; wallMs: number }> {
  const samples: Sample[] = [];
  let started = 0;
  let failed: unknown;
  const t0 = Date.now();
  const worker = async (): Promise<void> => {
    while (started < count && failed === undefined && !interrupted()) {
      started++;
      try {
        samples.push(await lifecycle());
      } catch (error) {
        failed ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  if (failed !== undefined) throw failed;
  if (interrupted()) throw new Interrupted('interrupted');
  return { samples, wallMs: Date.now() - t0 };
}

async function measureLevel(
  pods: number,
  concurrency: number,
  hogLoops: number | undefined,
  lifecycles: Record<Mode, () => Promise<Sample>>,
  truth: GroundTruth,
  dirs: { netnsDir: string; ipamDir: string; taskDir: string },
  interrupted: () => boolean,
  containerdPid: number,
): Promise<LevelResult> {
  const order = blockOrder(pods, concurrency);
  const under = hogLoops === undefined ? '' : ` under a cpu hog (${hogLoops} busy loops at nice 0, one per core)`;
  say(`\nconcurrency ${concurrency}${under}: ${pods} pods through the harness, ${pods} as raw CRI calls, in alternating blocks ${order.map(([mode, count]) => `${mode === 'harness' ? 'H' : 'R'}${count}`).join(' ')}`);
  const loopDelay = monitorEventLoopDelay({ resolution: 5 });
  loopDelay.enable();
  const zero: CpuSnapshot = { benchMs: 0, commandsMs: 0, containerdMs: 0 };
  const noThreads = (): Record<ThreadKind, number> => Object.fromEntries(THREAD_KINDS.map((kind) => [kind, 0])) as Record<ThreadKind, number>;
  const collected: Record<Mode, { samples: Sample[]; wallMs: number; cpu: CpuSnapshot; threads: Record<ThreadKind, number> }> = {
    harness: { samples: [], wallMs: 0, cpu: { ...zero }, threads: noThreads() },
    raw: { samples: [], wallMs: 0, cpu: { ...zero }, threads: noThreads() },
  };
  for (const [mode, count] of order) {
    if (count === 0) continue;
    const threadsBefore = threadCpu(truth.workerThreadId);
    const cpuBefore = cpuSnapshot(containerdPid, truth.workerCpuMs());
    const batch = await runBatch(count, concurrency, lifecycles[mode], interrupted);
    const used = cpuSince(cpuBefore, cpuSnapshot(containerdPid, truth.workerCpuMs()));
    const threadsUsed = threadCpuSince(threadsBefore, threadCpu(truth.workerThreadId));
    const into = collected[mode];
    into.samples.push(...batch.samples);
    into.wallMs += batch.wallMs;
    into.cpu = { benchMs: into.cpu.benchMs + used.benchMs, commandsMs: into.cpu.commandsMs + used.commandsMs, containerdMs: into.cpu.containerdMs + used.containerdMs };
    for (const kind of THREAD_KINDS) into.threads[kind] += threadsUsed[kind];
  }
  const modes = {} as LevelResult['modes'];
  for (const mode of ['harness', 'raw'] as const) {
    const { samples, wallMs, cpu, threads } = collected[mode];
    const phases = Object.fromEntries(PHASES.map((phase) => [phase, stats(samples.map((s) => phaseOf(s, phase)))])) as Record<Phase, Stats>;
    const perPod = (ms: number): number => round(ms / samples.length);
    const cpuMsPerPod = { benchMs: perPod(cpu.benchMs), commandsMs: perPod(cpu.commandsMs), containerdMs: perPod(cpu.containerdMs) };
    const cpuByThreadMsPerPod = Object.fromEntries(THREAD_KINDS.map((kind) => [kind, perPod(threads[kind])])) as Record<ThreadKind, number>;
    modes[mode] = { pods: samples.length, wallMs, podsPerS: round((samples.length * 1000) / wallMs, 2), phases, cpuMsPerPod, cpuByThreadMsPerPod, stopErrors: samples.flatMap((sample) => sample.stopErrors ?? []) };
  }
  const ratios = Object.fromEntries(PHASES.map((phase) => [phase, round(modes.harness.phases[phase].median / modes.raw.phases[phase].median, 2)])) as Record<Phase, number>;
  // The client's CPU: this process and the commands it waited for; containerd's is the runtime's, not the client's.
  const clientPerPod = (mode: Mode): number => (collected[mode].cpu.benchMs + collected[mode].cpu.commandsMs) / collected[mode].samples.length;
  const cpuRatio = round(clientPerPod('harness') / clientPerPod('raw'), 2);
  loopDelay.disable();
  const context = { loadAverage1m: round(os.loadavg()[0]!, 1), eventLoopDelayP99Ms: round(loopDelay.percentile(99) / 1e6, 1), hogLoops: hogLoops ?? 0 };
  const observe = stats(collected.harness.samples.map((s) => s.deleteCalledAt - s.readyAt));
  return { concurrency, hog: hogLoops !== undefined, modes, ratios, cpuRatio, observe, lag: detectionLag(collected.harness.samples, truth, dirs.netnsDir, dirs.ipamDir, dirs.taskDir), context };
}

/**
 * How late the harness saw teardown: for each harness pod and each of the six events, the time
 * its watch first saw the condition true minus the time the runtime or the kernel reported it
 * (GroundTruth):
 * - pauseGone: the shim's exited_at of the sandbox task (the harness counts a zombie as gone, the
 *   shim stamps the reap, so this one can be negative);
 * - containersGone: the CRI recorded the last container's exit (its status file rewritten with
 *   FinishedAt, <cri root>/containers/<id>/status, seen by inotify in the worker): from then on it
 *   answers "exited", which is what the harness asks. Against the task bundle's removal instead
 *   (<state>/io.containerd.runtime.v2.task/k8s.io/<id>, the end of containerd's task delete), the
 *   lag also holds the CRI's own handling of the exit, which it does one exit at a time (hundreds
 *   of ms at 16 pods): printed beside it, not judged;
 * - sandboxNotReady: when the CRI turned the sandbox NOTREADY. It keeps that state in memory only,
 *   so the bench's worker asks it (PodSandboxStatus, back to back, at least 2 ms apart) from the
 *   sandbox task's bundle removal on; the truth is when the last ask that got "ready" was sent, the
 *   earliest the turn can have been (the first "not ready" answer is the latest; both are printed).
 *   Until 2026-12-03 the truth was the bundle's removal ("the CRI turns it right after": 6 ms at
 *   rest); at 16 pods the CRI still answered "ready" 10-140 ms after it, so that lag held the CRI's
 *   own delay (printed beside it, not judged);
 * - netnsGone, ipReleased: inotify saw the netns bind mount and the IP's file unlinked;
 * - vethGone: `ip monitor` saw the host-side veth (by ifindex) deleted.
 * A pod without ground truth for an event is counted per event, not guessed.
 */
/** The latest of some times, or undefined when one of them is missing. */
function latest(times: Array<number | undefined>): number | undefined {
  return times.length === 0 || times.some((t) => t === undefined) ? undefined : Math.max(...(times as number[]));
}

function detectionLag(samples: Sample[], truth: GroundTruth, netnsDir: string, ipamDir: string, taskDir: string): Lag {
  const lags = Object.fromEntries(LAG_EVENTS.map((e) => [e, [] as number[]])) as Record<LagEvent, number[]>;
  const missing = Object.fromEntries(LAG_EVENTS.map((e) => [e, 0])) as Record<LagEvent, number>;
  const complete: number[] = [];
  const notReadyVsDelete: number[] = [];
  const notReadyVsBundle: number[] = [];
  const bracket: number[] = [];
  const asks: number[] = [];
  const notReadyVsAnswer: number[] = [];
  const containersVsBundles: number[] = [];
  /** Per event timed by a source's stamp: how long after the stamp the look that confirmed it came. */
  const confirmLags = Object.fromEntries(LAG_EVENTS.map((e) => [e, [] as number[]])) as Record<LagEvent, number[]>;
  const shim: number[] = [];
  const seenBy: Record<string, Record<string, number>> = {};
  for (const sample of samples) {
    const exited = truth.exitedAt(sample.sandboxId);
    const real: Record<LagEvent, number | undefined> = {
      pauseGone: exited,
      containersGone: latest(sample.containerIds.map((id) => truth.exitRecordedAt(id))),
      sandboxNotReady: truth.notReadyAt(sample.sandboxId)?.afterMs,
      netnsGone: sample.netnsPath ? truth.unlinkedAfter(netnsDir, path.basename(sample.netnsPath), sample.deleteCalledAt) : undefined,
      ipReleased: truth.unlinkedAfter(ipamDir, sample.ip, sample.deleteCalledAt),
      vethGone: sample.vethIndex === undefined ? undefined : truth.linkDeletedAfter(sample.vethIndex, sample.deleteCalledAt),
    };
    let whole = true;
    for (const event of LAG_EVENTS) {
      const seen = sample.seenAt?.[event];
      const at = real[event];
      if (seen === undefined || at === undefined) {
        missing[event]++;
        whole = false;
        continue;
      }
      lags[event].push(seen - at);
      const source = sample.sources?.[event];
      if (source !== undefined) {
        const counts = (seenBy[event] ??= {});
        counts[source] = (counts[source] ?? 0) + 1;
      }
    }
    if (whole) complete.push(sample.teardownAt - Math.max(...LAG_EVENTS.map((e) => real[e]!)));
    for (const event of LAG_EVENTS) {
      const confirmed = sample.confirmedAt?.[event];
      const seen = sample.seenAt?.[event];
      if (confirmed !== undefined && seen !== undefined) confirmLags[event].push(confirmed - seen);
    }
    const bundlesGone = latest(sample.containerIds.map((id) => truth.unlinkedAfter(taskDir, id, sample.deleteCalledAt)));
    if (bundlesGone !== undefined && sample.seenAt?.['containersGone'] !== undefined) containersVsBundles.push(sample.seenAt['containersGone'] - bundlesGone);
    const bundleGone = truth.unlinkedAfter(taskDir, sample.sandboxId, sample.deleteCalledAt);
    if (bundleGone !== undefined && sample.seenAt?.['sandboxNotReady'] !== undefined) notReadyVsBundle.push(sample.seenAt['sandboxNotReady'] - bundleGone);
    const turned = truth.notReadyAt(sample.sandboxId);
    if (turned) {
      bracket.push(turned.byMs - turned.afterMs);
      asks.push(turned.asks);
      if (sample.seenAt?.['sandboxNotReady'] !== undefined) notReadyVsAnswer.push(sample.seenAt['sandboxNotReady'] - turned.byMs);
    }
    const sandboxDeleted = truth.deletedAt(sample.sandboxId);
    if (sandboxDeleted !== undefined && sample.seenAt?.['sandboxNotReady'] !== undefined) notReadyVsDelete.push(sample.seenAt['sandboxNotReady'] - sandboxDeleted);
    if (sample.seenAt?.['shimGone'] !== undefined) shim.push(sample.seenAt['shimGone'] - sample.deleteCalledAt);
  }
  const byEvent = Object.fromEntries(LAG_EVENTS.map((e) => [e, stats(lags[e])])) as Record<LagEvent, Stats>;
  // NaN (an event with no measured pod) ranks highest: a level with an unmeasured event has no lag figure.
  const worstEvent = LAG_EVENTS.reduce((worst, e) => (Number.isNaN(byEvent[e].p95) || byEvent[e].p95 > byEvent[worst].p95 ? e : worst), LAG_EVENTS[0]);
  return {
    byEvent,
    missingGroundTruth: missing,
    worstP95: byEvent[worstEvent].p95,
    worstEvent,
    complete: stats(complete),
    sandboxNotReadyVsTaskDelete: stats(notReadyVsDelete),
    sandboxNotReadyVsBundle: stats(notReadyVsBundle),
    notReadyBracket: stats(bracket),
    notReadyAsks: stats(asks),
    sandboxNotReadyVsFirstAnswer: stats(notReadyVsAnswer),
    containersGoneVsTaskBundles: stats(containersVsBundles),
    confirmedAfterStamp: Object.fromEntries(LAG_EVENTS.filter((e) => confirmLags[e].length > 0).map((e) => [e, stats(confirmLags[e])])),
    shimGoneAfterDelete: stats(shim),
    ...(Object.keys(seenBy).length > 0 ? { seenBy } : {}),
  };
}

function printLevel(result: LevelResult): void {
  const { harness, raw } = result.modes;
  say(`  throughput: harness ${harness.podsPerS} pods/s (${harness.pods} in ${(harness.wallMs / 1000).toFixed(1)} s), raw ${raw.podsPerS} pods/s (${raw.pods} in ${(raw.wallMs / 1000).toFixed(1)} s)`);
  for (const mode of ['harness', 'raw'] as const) {
    const errors = result.modes[mode].stopErrors;
    if (errors.length > 0) say(`  ${mode}: ${errors.length} StopContainer call(s) failed and succeeded when made again, as kubelet's next sync makes them; first: ${errors[0]}`);
  }
  say(`  machine: load average ${result.context.loadAverage1m} on ${os.availableParallelism()} cpus${result.hog ? ` with ${result.context.hogLoops} busy loops` : ''}; bench event-loop delay p99 ${result.context.eventLoopDelayP99Ms} ms`);
  const cpu = (c: CpuSnapshot): string => `bench ${c.benchMs} + its commands ${c.commandsMs} + containerd ${c.containerdMs}`;
  say(`  cpu ms per pod: harness: ${cpu(harness.cpuMsPerPod)}; raw: ${cpu(raw.cpuMsPerPod)}; client (bench + commands) harness/raw ${result.cpuRatio.toFixed(2)}`);
  const byThread = (t: Record<ThreadKind, number>): string => THREAD_KINDS.map((kind) => `${kind} ${t[kind]}`).join(', ');
  say(`    the bench's share by thread (main: calls and the sources' lines; workers: the harness's inotify thread and its asks of the CRI; v8: GC and compiling; pool: libuv): harness ${byThread(harness.cpuByThreadMsPerPod)}; raw ${byThread(raw.cpuByThreadMsPerPod)}`);
  const rows = PHASES.map((phase) => {
    const h = harness.phases[phase];
    const r = raw.phases[phase];
    return [phase, `${round(h.median)}`, `${round(h.p95)}`, `${round(r.median)}`, `${round(r.p95)}`, result.ratios[phase].toFixed(2)];
  });
  rows.push(['observe*', `${round(result.observe.median)}`, `${round(result.observe.p95)}`, '-', '-', '-']);
  const header = ['phase (ms)', 'harness median', 'p95', 'raw median', 'p95', 'ratio'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  for (const row of [header, ...rows]) say(`  ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ')}`);
  say('  * observe: the teardown suite\'s look at the pod before deleting it (sandbox, pids, veth, positive controls); harness only, not in "lifecycle"');
  const lag = result.lag;
  say('  teardown detection lag, ms (harness saw it - runtime/kernel reported it), median / p95 / max:');
  for (const event of LAG_EVENTS) {
    const s = lag.byEvent[event];
    const missing = lag.missingGroundTruth[event];
    const by = lag.seenBy?.[event];
    say(`    ${event.padEnd(15)} ${`${round(s.median)}`.padStart(5)} / ${`${round(s.p95)}`.padStart(5)} / ${`${round(s.max)}`.padStart(5)}${missing ? `   ${missing} pod(s) without ground truth` : ''}${by ? `   seen by ${Object.entries(by).map(([source, n]) => `${source} ${n}`).join(', ')}` : ''}`);
  }
  say(`    worst p95: ${round(lag.worstP95)} ms (${lag.worstEvent}); complete ${round(lag.complete.median)}/${round(lag.complete.p95)} ms`);
  say(`    not judged: containersGone against the last task bundle's removal (the CRI's handling of the exits in) ${round(lag.containersGoneVsTaskBundles.median)}/${round(lag.containersGoneVsTaskBundles.p95)} ms; sandboxNotReady against the sandbox's /tasks/delete (containerd's handling left out) ${round(lag.sandboxNotReadyVsTaskDelete.median)}/${round(lag.sandboxNotReadyVsTaskDelete.p95)} ms, against its bundle's removal (the CRI's delay in) ${round(lag.sandboxNotReadyVsBundle.median)}/${round(lag.sandboxNotReadyVsBundle.p95)} ms; the ground truth's bracket of the CRI's turn ${round(lag.notReadyBracket.median)}/${round(lag.notReadyBracket.p95)} ms (${round(lag.notReadyAsks.median)}/${round(lag.notReadyAsks.p95)} asks), and sandboxNotReady against its first "not ready" answer (the CRI's round trip left out) ${round(lag.sandboxNotReadyVsFirstAnswer.median)}/${round(lag.sandboxNotReadyVsFirstAnswer.p95)} ms; shimGone seen ${round(lag.shimGoneAfterDelete.median)}/${round(lag.shimGoneAfterDelete.p95)} ms after the delete call (no ground truth)`);
  const confirmed = Object.entries(lag.confirmedAfterStamp).map(([event, s]) => `${event} ${round(s.median)}/${round(s.p95)}`);
  if (confirmed.length > 0) say(`    timed by their source's stamp, the look that confirmed it came after it (ms, median/p95): ${confirmed.join(', ')}`);
}

type Verdict = 'met' | 'MISSED' | 'not measured';

interface TargetOutcome {
  /** Per level (or the one figure), as printed. */
  figures: { at: string; value: number }[];
  limit: number;
  verdict: Verdict;
  /** Why it is not measured, or what is missing. */
  note?: string;
}

/**
 * `met` when every figure is at or under the limit (as printed: the line never contradicts its
 * own numbers) and nothing is missing; `MISSED` when a figure is over it; otherwise (no figure,
 * or ground truth missing for some pods) `not measured`.
 */
function judge(figures: { at: string; value: number }[], limit: number, missing?: string): TargetOutcome {
  if (figures.some((f) => f.value > limit)) return { figures, limit, verdict: 'MISSED', ...(missing ? { note: missing } : {}) };
  if (figures.length === 0 || figures.some((f) => Number.isNaN(f.value)) || missing) return { figures, limit, verdict: 'not measured', note: missing ?? 'no figure' };
  return { figures, limit, verdict: 'met' };
}

function lagOutcome(levels: LevelResult[], limit: number, none: string): TargetOutcome {
  if (levels.length === 0) return { figures: [], limit, verdict: 'not measured', note: none };
  const missing = levels.flatMap((l) => LAG_EVENTS.filter((e) => l.lag.missingGroundTruth[e] > 0).map((e) => `${e} @${l.concurrency}: ${l.lag.missingGroundTruth[e]} pod(s)`));
  return judge(levels.map((l) => ({ at: `@${l.concurrency}`, value: round(l.lag.worstP95) })), limit, missing.length > 0 ? `without ground truth: ${missing.join(', ')}` : undefined);
}

function summarize(levels: LevelResult[], conformance: ConformanceRun): { finalLine: string; json: Record<string, unknown> } {
  const quiet = levels.filter((l) => !l.hog);
  const hog = levels.filter((l) => l.hog);
  const outcomes = {
    lagP95Ms: lagOutcome(quiet, TARGETS.lagP95Ms, 'no quiet level'),
    lagP95HogMs: lagOutcome(hog, TARGETS.lagP95HogMs, 'BENCH_HOG_CONCURRENCY is empty'),
    cpuRatio: judge(quiet.map((l) => ({ at: `@${l.concurrency}`, value: l.cpuRatio })), TARGETS.cpuRatio),
    lifecycleRatio: judge(quiet.map((l) => ({ at: `@${l.concurrency}`, value: l.ratios.lifecycle })), TARGETS.lifecycleRatio),
    conformanceS:
      conformance.wallS === undefined
        ? ({ figures: [], limit: TARGETS.conformanceS, verdict: 'not measured', note: conformance.notMeasured ?? 'no figure' } satisfies TargetOutcome)
        : judge([{ at: '', value: conformance.wallS }], TARGETS.conformanceS),
  };
  const verdictText = (o: TargetOutcome, unit: string): string => `<= ${o.limit}${unit}: ${o.verdict}${o.note ? ` (${o.note})` : ''}`;
  const list = (o: TargetOutcome, unit: string, fixed?: number): string =>
    o.figures.length === 0 ? '-' : o.figures.map((f) => `${fixed === undefined ? f.value : f.value.toFixed(fixed)}${unit}${f.at ? ` ${f.at}` : ''}`).join(', ');
  const worstEvents = (ls: LevelResult[]): string => (ls.length === 0 ? '' : ` (worst event: ${ls.map((l) => `${l.lag.worstEvent} @${l.concurrency}`).join(', ')})`);

  say('\nsummary: the targets of issue 14');
  say(`  detection lag p95, worst of the six events, quiet: ${list(outcomes.lagP95Ms, ' ms')}${worstEvents(quiet)}; ${verdictText(outcomes.lagP95Ms, ' ms')}`);
  say(`  detection lag p95, worst of the six events, cpu hog on every core: ${list(outcomes.lagP95HogMs, ' ms')}${worstEvents(hog)}; ${verdictText(outcomes.lagP95HogMs, ' ms')}`);
  say(`  client cpu per pod (bench + its commands), harness/raw: ${list(outcomes.cpuRatio, '', 2)}; ${verdictText(outcomes.cpuRatio, '')}`);
  say(`  median lifecycle, harness/raw: ${list(outcomes.lifecycleRatio, '', 2)}; ${verdictText(outcomes.lifecycleRatio, '')}`);
  if (hog.length > 0) say(`    under the hog (not judged: the targets are for a quiet machine): cpu ${hog.map((l) => `${l.cpuRatio.toFixed(2)} @${l.concurrency}`).join(', ')}; lifecycle ${hog.map((l) => `${l.ratios.lifecycle.toFixed(2)} @${l.concurrency}`).join(', ')}`);
  const conformanceFacts = conformance.wallS === undefined ? '' : ` (exit ${conformance.exitCode}: ${conformance.lastLine ?? 'no output'})`;
  say(`  quiet conformance run, wall: ${list(outcomes.conformanceS, ' s', 1)}${conformanceFacts}; ${verdictText(outcomes.conformanceS, ' s')}`);
  // Context, not targets: what a pod sees on its own (lowest concurrency) and what the machine does at the top.
  const single = quiet.reduce((low, l) => (l.concurrency < low.concurrency ? l : low));
  const top = quiet.find((l) => l.concurrency === 16) ?? quiet.at(-1)!;
  const p95Ready = single.modes.harness.phases.ready.p95;
  say(`  throughput (harness): ${quiet.map((l) => `${l.modes.harness.podsPerS} pods/s @${l.concurrency}`).join(', ')}; ready (create -> every container running) p95 at concurrency ${single.concurrency}: ${round(p95Ready)} ms`);

  const slash = (o: TargetOutcome, fixed?: number): string => (o.figures.length === 0 ? '-' : o.figures.map((f) => (fixed === undefined ? `${f.value}` : f.value.toFixed(fixed))).join('/'));
  const short = (o: TargetOutcome, unit = ''): string => `(<=${o.limit}${unit} ${o.verdict})`;
  const finalLine = [
    `bench: lag_p95_ms=${slash(outcomes.lagP95Ms)} ${short(outcomes.lagP95Ms)}`,
    `lag_p95_hog_ms=${slash(outcomes.lagP95HogMs)} ${short(outcomes.lagP95HogMs)}`,
    `cpu_ratio=${slash(outcomes.cpuRatio, 2)} ${short(outcomes.cpuRatio)}`,
    `lifecycle_ratio=${slash(outcomes.lifecycleRatio, 2)} ${short(outcomes.lifecycleRatio)}`,
    `conformance_s=${slash(outcomes.conformanceS, 1)} ${short(outcomes.conformanceS)}`,
  ].join(' ');
  return {
    finalLine,
    json: {
      outcomes,
      allMet: Object.values(outcomes).every((o) => o.verdict === 'met'),
      // As schema 1 had them: context figures.
      ratio: Math.max(...quiet.map((l) => l.ratios.lifecycle)),
      p95ReadyMs: { [single.concurrency]: round(p95Ready) },
      podsPerS: { [top.concurrency]: top.modes.harness.podsPerS },
    },
  };
}

/**
 * Times `node bin/pause-conformance.js run --provider local` (npm run conformance without npm's
 * own start-up) with a report directory of its own, removed afterwards. The child runs in a
 * process group of its own so a Ctrl-C reaches it once, through the bench (`forward`): it then
 * tears its node down itself. Its figure counts only when it ran to its end: a report without
 * `aborted` and exit 0 (all passed) or 1 (a check failed: the runtime's finding, not the wall's).
 */
async function timeConformance(undo: UndoStack, forward: (f: (() => void) | undefined) => void): Promise<ConformanceRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pause-conformance-bench-'));
  const removal = undo.push(`remove ${dir}`, () => rm(dir, { recursive: true, force: true }));
  const reportDir = path.join(dir, 'reports');
  const t0 = performance.now();
  const child = execa(process.execPath, [path.join(ROOT, 'bin', 'pause-conformance.js'), 'run', '--provider', 'local', '--report-dir', reportDir], {
    cwd: ROOT,
    reject: false,
    stdin: 'ignore',
    detached: true,
    maxBuffer: 64 * 1024 * 1024,
  });
  const running = undo.push('the conformance run (SIGINT, then its own teardown)', async () => {
    child.kill('SIGINT');
    await child;
  });
  forward(() => child.kill('SIGINT'));
  const result = await child;
  const wallS = round((performance.now() - t0) / 1000, 1);
  forward(undefined);
  running.release();
  const lastLine = (text: string): string | undefined => text.trim().split('\n').at(-1)?.trim() || undefined;
  const line = lastLine(result.stdout) ?? lastLine(result.stderr);
  let report: { aborted?: string; summary?: { passed: number; failed: number; skipped: number } } | undefined;
  try {
    report = JSON.parse(await readFile(path.join(reportDir, 'report.json'), 'utf8')) as typeof report;
  } catch {
    report = undefined;
  }
  await removal.run();
  const facts = { exitCode: result.exitCode ?? -1, ...(line ? { lastLine: line } : {}), ...(report?.summary ? { summary: report.summary } : {}) };
  if (result.exitCode !== 0 && result.exitCode !== 1) return { ...facts, notMeasured: `the run did not finish: exit ${result.exitCode ?? result.signal}${line ? `, "${line}"` : ''}` };
  if (!report) return { ...facts, notMeasured: 'the run wrote no report.json' };
  if (report.aborted) return { ...facts, notMeasured: `the run aborted: ${report.aborted}` };
  return { ...facts, wallS };
}

function printConformance(run: ConformanceRun): void {
  if (run.wallS !== undefined) say(`  conformance run: ${run.wallS.toFixed(1)} s wall, exit ${run.exitCode}: ${run.lastLine ?? 'no output'}`);
  else say(`  conformance run not measured: ${run.notMeasured}`);
}

process.exit(await main());
