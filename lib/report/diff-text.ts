/**
 * A ReportDiff for a person: what changed on each node (runtime, sandbox image), regressions
 * first, then status changes, evidence that changed and timings that moved. Evidence that differs
 * only in what every run makes anew (pids, ids, inodes, IPs, paths) is counted, not listed;
 * --json has every change.
 */
import type { EvidenceValue } from './evidence.ts';
import type { CheckDiff, ReportDiff, TimingChange, ValueChange } from './diff.ts';
import { describeDrift } from './sandbox-image-drift.ts';

const EVIDENCE_SHOWN = 4;

function show(value: EvidenceValue): string {
  if (value === null || value === undefined) return '(none)';
  const text = typeof value === 'string' ? JSON.stringify(value) : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function evidenceLines(changes: ValueChange[]): string[] {
  const lines = changes.slice(0, EVIDENCE_SHOWN).map((c) => `        ${c.path}: ${show(c.before)} -> ${show(c.after)}`);
  if (changes.length > EVIDENCE_SHOWN) lines.push(`        ... ${changes.length - EVIDENCE_SHOWN} more (--json lists all)`);
  return lines;
}

function timingLine(t: TimingChange): string {
  const pct = t.deltaPct === null ? '' : ` (${t.deltaPct > 0 ? '+' : ''}${t.deltaPct}%)`;
  return `${t.path}: ${t.before} -> ${t.after}${t.unit === 'ms' ? ' ms' : ''}${pct}`;
}

const STATUS_WORD: Record<CheckDiff['change'], string> = {
  regressed: 'REGRESSED',
  fixed: 'fixed',
  added: 'new',
  removed: 'removed',
  'status-changed': 'changed',
  'same-status': '',
};

/** Lines for a check; none for a check whose only changes are per-run values. */
function checkLines(check: CheckDiff): string[] {
  const lines: string[] = [];
  const evidence = check.evidence.filter((e) => !e.perRun);
  if (check.change === 'same-status' && evidence.length === 0 && check.timings.length === 0) return lines;
  const status = `${check.before ?? 'absent'} -> ${check.after ?? 'absent'}`;
  if (check.change !== 'same-status') {
    lines.push(`    ${STATUS_WORD[check.change].padEnd(9)} ${check.fullTitle}: ${status}${check.afterReason ? `: ${check.afterReason.split('\n')[0]}` : ''}`);
  } else {
    lines.push(`    ${(check.after ?? '').padEnd(9)} ${check.fullTitle}`);
  }
  if (evidence.length > 0) lines.push(`      evidence changed (${evidence.length}):`, ...evidenceLines(evidence));
  if (check.timings.length > 0) lines.push(`      timings beyond the threshold:`, ...check.timings.map((t) => `        ${timingLine(t)}`));
  return lines;
}

export function formatDiff(diff: ReportDiff, beforeFile: string, afterFile: string): string {
  const out: string[] = [];
  out.push(`before: ${beforeFile} (run ${diff.before.runId}, ${diff.before.provider}, ${diff.before.startedAt})`);
  out.push(`after:  ${afterFile} (run ${diff.after.runId}, ${diff.after.provider}, ${diff.after.startedAt})`);
  out.push(`timings are reported when they moved by >= ${diff.options.thresholdMs} ms and >= ${diff.options.thresholdPct}%`);
  for (const target of diff.targets) {
    out.push('');
    const name = target.beforeNode ? `${target.beforeNode} -> ${target.node}` : target.node;
    if (target.presentIn !== 'both') {
      out.push(`node ${name}: only in the ${target.presentIn} report (${target.presentIn === 'before' ? target.counts.before : target.counts.after} checks)`);
    } else {
      out.push(`node ${name}:`);
    }
    if (target.info.length === 0 && target.presentIn === 'both') out.push('  runtime and sandbox image: unchanged');
    for (const change of target.info) out.push(`  ${change.path}: ${show(change.before)} -> ${show(change.after)}`);
    const c = target.counts;
    const perRun = target.checks.reduce((n, check) => n + check.evidence.filter((e) => e.perRun).length, 0);
    out.push(`  checks: ${c.before} before, ${c.after} after; ${c.regressed} regressed, ${c.fixed} fixed, ${c.added} new, ${c.removed} removed, ${c.statusChanged} changed status; evidence changed in ${c.evidenceChanged}, timings moved in ${c.timingsChanged}`);
    if (perRun > 0) out.push(`  (${perRun} evidence values differ only as every run's do: pids, ids, inodes, IPs, paths, times; --json lists them)`);
    const rank: Record<CheckDiff['change'], number> = { regressed: 0, 'status-changed': 1, fixed: 2, removed: 3, added: 4, 'same-status': 5 };
    for (const check of [...target.checks].sort((x, y) => rank[x.change] - rank[y.change])) out.push(...checkLines(check));
  }
  if (diff.steps.length > 0) {
    out.push('', 'bring-up steps beyond the threshold:', ...diff.steps.map((t) => `  ${timingLine(t)}`));
  }
  for (const [when, drift] of [['before', diff.sandboxImageDrift.before], ['after', diff.sandboxImageDrift.after]] as const) {
    const line = describeDrift(drift);
    if (line) out.push('', `${when}: ${line}`);
  }
  if (diff.teardown.newLeaks.length > 0) out.push('', `NEW LEAKS after the run: ${diff.teardown.newLeaks.join('; ')}`);
  if (diff.teardown.goneLeaks.length > 0) out.push('', `leaks of the before run gone: ${diff.teardown.goneLeaks.join('; ')}`);
  if (diff.teardown.afterAborted) out.push('', `the after run was aborted: ${diff.teardown.afterAborted}`);
  out.push('');
  const problems = diff.regressions.length + diff.teardown.newLeaks.length;
  out.push(diff.regressed ? `diff: ${diff.regressions.length} check(s) regressed${diff.teardown.newLeaks.length ? `, ${diff.teardown.newLeaks.length} new leak(s)` : ''} (${problems} problem(s))` : 'diff: no regression');
  return out.join('\n') + '\n';
}
