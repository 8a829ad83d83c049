/**
 * What changed between two reports, e.g. before and after a runtime upgrade: the runtime and
 * sandbox image (version, id), each check's status, the evidence that changed (a new pause pid, a
 * different sandbox image, another pause command) and timings that moved beyond a threshold.
 * Pure: reports in, a ReportDiff out; lib/cli/diff-command.ts reads the files and prints it.
 *
 * A regression is a check that passed before and now fails, is skipped or is missing, or a
 * teardown that now leaks. Timings: every number under an evidence key `timings`, every other
 * number whose key ends in `Ms`, each check's duration and each bring-up step.
 */
import type { EvidenceValue } from './evidence.ts';
import type { CheckResult, CheckStatus, Report, TargetReport } from './report.ts';
import { sandboxImageDrift, type SandboxImageDrift } from './sandbox-image-drift.ts';

export interface DiffOptions {
  /** A timing is reported when it moved by at least this many ms ... */
  thresholdMs: number;
  /** ... and by at least this percentage of the before value. */
  thresholdPct: number;
}

export const DEFAULT_DIFF_OPTIONS: DiffOptions = { thresholdMs: 100, thresholdPct: 50 };

export interface ValueChange {
  path: string;
  before: EvidenceValue;
  after: EvidenceValue;
  /**
   * True when the values differ only in what every run makes anew (pids, container and sandbox
   * ids, namespace inodes, IPs, veth names, run paths, times): expected, so listed but not shown first.
   */
  perRun?: boolean;
}

export interface TimingChange {
  path: string;
  before: number;
  after: number;
  delta: number;
  /** Relative change in percent of the before value (null when before was 0). */
  deltaPct: number | null;
  /** ms for *Ms keys and durations; otherwise the unit is whatever the evidence used (e.g. pods/s). */
  unit: 'ms' | '';
}

export type CheckChangeKind = 'regressed' | 'fixed' | 'added' | 'removed' | 'status-changed' | 'same-status';

export interface CheckDiff {
  fullTitle: string;
  before: CheckStatus | null;
  after: CheckStatus | null;
  change: CheckChangeKind;
  /** The error or skip reason after, for a check that is not passing any more. */
  afterReason?: string;
  evidence: ValueChange[];
  timings: TimingChange[];
}

export interface TargetDiff {
  /** Node name (after's, or before's when the node is gone). */
  node: string;
  /** Set when before and after name the node differently (single-target reports are paired anyway). */
  beforeNode?: string;
  /** "both", or the one report this node appears in. */
  presentIn: 'both' | 'before' | 'after';
  /** Target facts that changed: runtimeVersion, sandboxImage, sandboxImageId, kernel, ... */
  info: ValueChange[];
  /** evidenceChanged counts checks with a change beyond per-run values. */
  counts: { before: number; after: number; regressed: number; fixed: number; added: number; removed: number; statusChanged: number; evidenceChanged: number; timingsChanged: number };
  /** Only checks with some change: status, evidence or timings. */
  checks: CheckDiff[];
}

export interface ReportDiff {
  before: { runId: string; provider: string; startedAt: string; toolVersion: string };
  after: { runId: string; provider: string; startedAt: string; toolVersion: string };
  options: DiffOptions;
  targets: TargetDiff[];
  steps: TimingChange[];
  teardown: { newLeaks: string[]; goneLeaks: string[]; afterAborted?: string };
  sandboxImageDrift: { before: SandboxImageDrift; after: SandboxImageDrift };
  regressions: { node: string; fullTitle: string; before: CheckStatus | null; after: CheckStatus | null; reason?: string }[];
  regressed: boolean;
}

const INFO_FIELDS = ['provider', 'runtimeName', 'runtimeVersion', 'runtimeApiVersion', 'runtimeConfigVersion', 'ociRuntime', 'sandboxImage', 'sandboxImageId', 'kernel', 'kubeletVersion'] as const;

type Leaf = { path: string; value: EvidenceValue; key: string; inTimings: boolean };

/** Flattens evidence to leaves with dotted/indexed paths; `summary` is prose derived from the rest and is left out. */
function leaves(value: EvidenceValue, path = '', key = '', inTimings = false, out: Leaf[] = []): Leaf[] {
  if (Array.isArray(value)) {
    if (value.length === 0) out.push({ path, value: [], key, inTimings });
    value.forEach((item, i) => leaves(item, `${path}[${i}]`, key, inTimings, out));
  } else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 0) out.push({ path, value: {}, key, inTimings });
    for (const [k, v] of entries) {
      if (path === '' && k === 'summary') continue;
      leaves(v, path ? `${path}.${k}` : k, k, inTimings || k === 'timings', out);
    }
  } else {
    out.push({ path, value: value ?? null, key, inTimings });
  }
  return out;
}

const isTiming = (leaf: Leaf): boolean => typeof leaf.value === 'number' && (leaf.inTimings || /Ms$/.test(leaf.key));

function timingChange(path: string, before: number, after: number, unit: 'ms' | '', options: DiffOptions): TimingChange | undefined {
  const delta = after - before;
  const deltaPct = before === 0 ? null : Math.round((delta / Math.abs(before)) * 1000) / 10;
  const bigEnough = unit === 'ms' ? Math.abs(delta) >= options.thresholdMs : delta !== 0;
  const relativeEnough = deltaPct === null ? delta !== 0 : Math.abs(deltaPct) >= options.thresholdPct;
  return bigEnough && relativeEnough ? { path, before, after, delta, deltaPct, unit } : undefined;
}

function same(a: EvidenceValue, b: EvidenceValue): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Keys whose numbers each run gets anew: process ids (pid, pausePid, appPids; not ppid or exitCode) and link indexes. */
const PER_RUN_NUMBER_KEY = /^pids?$|[a-z]Pids?$|^ifindex$|[a-z]Index$/;

/**
 * A value with what each run makes anew replaced by placeholders, so two runs of an unchanged
 * runtime compare equal. Image digests (sha256:...) are kept: a different one is a real change.
 */
function normalized(value: EvidenceValue, key: string, runIds: string[]): string {
  if (typeof value === 'number' && PER_RUN_NUMBER_KEY.test(key)) return '<per-run number>';
  if (typeof value !== 'string') return JSON.stringify(value);
  let text = value;
  for (const runId of runIds) if (runId) text = text.split(runId).join('<run>');
  return text
    .replace(/\b\d{4}-\d{2}-\d{2}T[\d:.]+Z\b/g, '<time>')
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, '<uuid>')
    .replace(/(?<!sha256:)\b[0-9a-f]{12,}\b/g, '<id>')
    .replace(/\b(net|ipc|uts|pid|mnt|user|cgroup|time):\[\d+\]/g, '$1:[<inode>]')
    .replace(/\b\d{1,3}(\.\d{1,3}){3}\b/g, '<ip>')
    .replace(/\bveth[0-9a-f]{8}\b/g, '<veth>')
    .replace(/^(\s*)\d+\b/gm, '$1<pid>');
}

function diffEvidence(before: CheckResult, after: CheckResult, options: DiffOptions, runIds: string[]): { evidence: ValueChange[]; timings: TimingChange[] } {
  const b = new Map(leaves(before.evidence ?? {}).map((leaf) => [leaf.path, leaf]));
  const a = new Map(leaves(after.evidence ?? {}).map((leaf) => [leaf.path, leaf]));
  const evidence: ValueChange[] = [];
  const timings: TimingChange[] = [];
  const duration = timingChange('durationMs', before.durationMs, after.durationMs, 'ms', options);
  if (duration) timings.push(duration);
  for (const path of new Set([...b.keys(), ...a.keys()])) {
    const was = b.get(path);
    const now = a.get(path);
    if (was && now && isTiming(was) && isTiming(now)) {
      const change = timingChange(path, was.value as number, now.value as number, /Ms$/.test(now.key) ? 'ms' : '', options);
      if (change) timings.push(change);
    } else if (!same(was?.value ?? null, now?.value ?? null) || !was !== !now) {
      const change: ValueChange = { path, before: was ? was.value : null, after: now ? now.value : null };
      if (was && now && normalized(was.value, was.key, runIds) === normalized(now.value, now.key, runIds)) change.perRun = true;
      evidence.push(change);
    }
  }
  return { evidence, timings };
}

function checkChange(before: CheckStatus | null, after: CheckStatus | null): CheckChangeKind {
  if (before === null) return 'added';
  if (before === 'passed' && after !== 'passed') return 'regressed';
  if (after === null) return 'removed';
  if (before !== 'passed' && after === 'passed') return 'fixed';
  return before === after ? 'same-status' : 'status-changed';
}

function diffTarget(before: TargetReport | undefined, after: TargetReport | undefined, options: DiffOptions, runIds: string[]): TargetDiff {
  const node = after?.info.nodeName ?? before!.info.nodeName;
  const info: ValueChange[] = [];
  if (before && after) {
    for (const field of INFO_FIELDS) {
      const was = before.info[field] ?? null;
      const now = after.info[field] ?? null;
      if (was !== now) info.push({ path: field, before: was, after: now });
    }
  }
  const beforeChecks = new Map((before?.checks ?? []).map((c) => [c.fullTitle, c]));
  const afterChecks = new Map((after?.checks ?? []).map((c) => [c.fullTitle, c]));
  const checks: CheckDiff[] = [];
  const counts = { before: beforeChecks.size, after: afterChecks.size, regressed: 0, fixed: 0, added: 0, removed: 0, statusChanged: 0, evidenceChanged: 0, timingsChanged: 0 };
  for (const title of new Set([...beforeChecks.keys(), ...afterChecks.keys()])) {
    const was = beforeChecks.get(title);
    const now = afterChecks.get(title);
    const change = checkChange(was?.status ?? null, now?.status ?? null);
    const changes = was && now ? diffEvidence(was, now, options, runIds) : { evidence: [], timings: [] };
    const check: CheckDiff = { fullTitle: title, before: was?.status ?? null, after: now?.status ?? null, change, ...changes };
    const reason = now?.error ?? now?.skipReason;
    if (now && now.status !== 'passed' && reason) check.afterReason = reason;
    if (change === 'regressed') counts.regressed++;
    else if (change === 'fixed') counts.fixed++;
    else if (change === 'added') counts.added++;
    else if (change === 'removed') counts.removed++;
    else if (change === 'status-changed') counts.statusChanged++;
    if (changes.evidence.some((e) => !e.perRun)) counts.evidenceChanged++;
    if (changes.timings.length > 0) counts.timingsChanged++;
    if (change !== 'same-status' || changes.evidence.length > 0 || changes.timings.length > 0) checks.push(check);
  }
  const target: TargetDiff = { node, presentIn: before && after ? 'both' : before ? 'before' : 'after', info, counts, checks };
  if (before && after && before.info.nodeName !== after.info.nodeName) target.beforeNode = before.info.nodeName;
  return target;
}

/** Pairs targets by node name; two single-target reports are paired whatever their node names. */
function pairTargets(before: TargetReport[], after: TargetReport[]): [TargetReport | undefined, TargetReport | undefined][] {
  if (before.length === 1 && after.length === 1) return [[before[0], after[0]]];
  const pairs: [TargetReport | undefined, TargetReport | undefined][] = [];
  const afterByNode = new Map(after.map((t) => [t.info.nodeName, t]));
  for (const t of before) {
    pairs.push([t, afterByNode.get(t.info.nodeName)]);
    afterByNode.delete(t.info.nodeName);
  }
  for (const t of afterByNode.values()) pairs.push([undefined, t]);
  return pairs;
}

export function diffReports(before: Report, after: Report, options: DiffOptions = DEFAULT_DIFF_OPTIONS): ReportDiff {
  const runIds = [before.runId, after.runId];
  const targets = pairTargets(before.targets, after.targets).map(([b, a]) => diffTarget(b, a, options, runIds));
  const beforeSteps = new Map((before.steps ?? []).map((s) => [s.title, s.durationMs]));
  const steps: TimingChange[] = [];
  for (const step of after.steps ?? []) {
    const was = beforeSteps.get(step.title);
    const change = was === undefined ? undefined : timingChange(step.title, was, step.durationMs, 'ms', options);
    if (change) steps.push(change);
  }
  const beforeLeaks = new Set(before.teardown.leaks);
  const afterLeaks = new Set(after.teardown.leaks);
  const teardown: ReportDiff['teardown'] = {
    newLeaks: [...afterLeaks].filter((leak) => !beforeLeaks.has(leak)),
    goneLeaks: [...beforeLeaks].filter((leak) => !afterLeaks.has(leak)),
  };
  if (after.aborted) teardown.afterAborted = after.aborted;
  const regressions: ReportDiff['regressions'] = [];
  for (const target of targets) {
    for (const check of target.checks) {
      if (check.change !== 'regressed') continue;
      regressions.push({ node: target.node, fullTitle: check.fullTitle, before: check.before, after: check.after, ...(check.afterReason ? { reason: check.afterReason } : {}) });
    }
  }
  const header = (report: Report): ReportDiff['before'] => ({ runId: report.runId, provider: report.provider, startedAt: report.startedAt, toolVersion: report.tool?.version ?? '' });
  return {
    before: header(before),
    after: header(after),
    options,
    targets,
    steps,
    teardown,
    sandboxImageDrift: { before: sandboxImageDrift(before.targets), after: sandboxImageDrift(after.targets) },
    regressions,
    regressed: regressions.length > 0 || teardown.newLeaks.length > 0,
  };
}
