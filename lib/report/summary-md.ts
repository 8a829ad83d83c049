/**
 * reports/summary.md from report.json: what a person reads first in a CI job summary. The target
 * (runtime, sandbox image, kernel), a table per suite, then what needs action: failed checks with
 * their error and evidence, skipped checks with their reasons, teardown problems and leaks.
 * Every check's one-line evidence follows, folded, for the case where all passed but someone asks why.
 */
import { interruptionPrefix, type CheckResult, type Report, type TargetReport } from './report.ts';
import { describeDrift, sandboxImageDrift } from './sandbox-image-drift.ts';
import { upgradeOf, type UpgradeSection, type WitnessFacts } from './upgrade-section.ts';

/** A table cell: pipes escaped, line breaks as <br>, so a message cannot break the table. */
export function cell(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
}

/** Inline code that survives backticks in the text. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return longest > 0 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}

/** A fenced block longer than any backtick run inside it. */
function block(text: string, language = ''): string {
  const longest = Math.max(2, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longest + 1);
  return `${fence}${language}\n${text}\n${fence}`;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function headline(report: Report): string {
  const { passed, failed, skipped } = report.summary;
  const { leaks, undoFailures } = report.teardown;
  const ok = failed === 0 && !report.aborted && leaks.length === 0 && undoFailures.length === 0 && passed > 0;
  const parts = [`${passed} passed`, `${failed} failed`, `${skipped} skipped`];
  if (leaks.length > 0) parts.push(`${leaks.length} leaked`);
  return `# ${ok ? '✅' : '❌'} pause-conformance: ${interruptionPrefix(report)}${parts.join(', ')}`;
}

const PHASE_TITLE = { before: ', before the upgrade', upgrade: ': the upgrade and its witnesses', after: ', after the upgrade' } as const;

function targetSection(target: TargetReport, multiTarget: boolean): string[] {
  const info = target.info;
  const lines = [`## Target ${code(info.nodeName)} (${info.provider})${target.phase ? PHASE_TITLE[target.phase] : ''}`, '', '| | |', '|---|---|'];
  lines.push(`| runtime | ${cell(`${info.runtimeName} ${info.runtimeVersion}`)} (CRI ${cell(info.runtimeApiVersion)}) |`);
  if (info.ociRuntime) lines.push(`| OCI runtime | ${cell(info.ociRuntime)} |`);
  if (info.runtimeConfigVersion) lines.push(`| runtime config | version ${cell(info.runtimeConfigVersion)} |`);
  lines.push(`| sandbox image | ${code(info.sandboxImage)}${info.sandboxImageId ? ` ${code(info.sandboxImageId)}` : ''} |`);
  lines.push(`| kernel | ${cell(info.kernel)} |`);
  if (info.kubeletVersion) lines.push(`| kubelet | ${cell(info.kubeletVersion)} |`);
  for (const [key, value] of Object.entries(info.details ?? {})) lines.push(`| ${cell(key)} | ${cell(String(value))} |`);
  lines.push('', '| Suite | Passed | Failed | Skipped | Time in checks |', '|---|---:|---:|---:|---:|');
  const suites = new Map<string, CheckResult[]>();
  for (const check of target.checks) suites.set(check.suite, [...(suites.get(check.suite) ?? []), check]);
  for (const [suite, checks] of suites) {
    const n = (status: CheckResult['status']): number => checks.filter((c) => c.status === status).length;
    const failed = n('failed');
    lines.push(`| ${failed > 0 ? '❌ ' : ''}${cell(suite)} | ${n('passed')} | ${failed > 0 ? `**${failed}**` : '0'} | ${n('skipped')} | ${seconds(checks.reduce((sum, c) => sum + c.durationMs, 0))} |`);
  }
  if (suites.size === 0) lines.push('| (no check ran) | 0 | 0 | 0 | |');
  const where = target.phase ? PHASE_TITLE[target.phase].replace(/^[,:] /, ' — ') : multiTarget ? ` on ${code(info.nodeName)}` : '';

  const failed = target.checks.filter((c) => c.status === 'failed');
  if (failed.length > 0) {
    lines.push('', `### Failed checks${where}`);
    for (const check of failed) {
      lines.push('', `#### ❌ ${check.suite} › ${check.title}`, '', block(check.error ?? 'failed'));
      const summary = check.evidence['summary'];
      if (typeof summary === 'string') lines.push('', `Evidence: ${summary}`);
      lines.push('', block(JSON.stringify(check.evidence, null, 2), 'json'));
    }
  }
  const skipped = target.checks.filter((c) => c.status === 'skipped');
  if (skipped.length > 0) {
    lines.push('', `### Skipped checks${where}`, '');
    for (const check of skipped) lines.push(`- ${check.suite} › ${check.title}: ${check.skipReason ?? 'no reason given'}`);
  }
  if (target.checks.length > 0) {
    lines.push('', '<details><summary>Evidence of every check</summary>', '', '| | Check | Evidence |', '|---|---|---|');
    const mark = { passed: '✅', failed: '❌', skipped: '⏭️' } as const;
    for (const check of target.checks) {
      const summary = check.evidence['summary'];
      lines.push(`| ${mark[check.status]} | ${cell(`${check.suite} › ${check.title}`)} | ${cell(typeof summary === 'string' ? summary : check.skipReason ?? '')} |`);
    }
    lines.push('', '</details>');
  }
  return lines;
}

function factsCell(facts: WitnessFacts | undefined, hostNetwork: boolean): string {
  if (!facts) return 'not observed';
  const pids = Object.entries(facts.containerPids).map(([name, pid]) => `${name} ${pid ?? '–'} (${facts.containerStates[name] ?? '?'})`).join(', ');
  const net = hostNetwork ? 'host network' : `IP ${facts.ip ?? '–'}, ${facts.netns ?? 'netns –'}`;
  return cell(`${facts.sandboxState}; pause ${facts.pausePid ?? '–'}${facts.pauseAlive === false ? ' (dead)' : ''}; ${net}; ${pids}; exec ${facts.execWorks ? 'works' : 'fails'}${facts.shimPids ? `; shim ${facts.shimPids.join(' ') || '–'}` : ''}`);
}

/** The upgrade: what to what, whether containerd supports that path, and each witness before and after. */
export function upgradeSection(upgrade: UpgradeSection): string[] {
  const u = upgrade.upgrade;
  const lines = ['## The runtime upgrade', ''];
  lines.push(`${u.ok ? '✅' : '❌'} ${cell(upgrade.runtimeBefore)} → ${cell(upgrade.runtimeAfter)}${u.downMs !== undefined ? `: runtime down ${u.downMs} ms${u.stopMs !== undefined ? ` (old stopped in ${u.stopMs} ms, new answering in ${u.startMs} ms)` : ''}` : ''}${u.error ? `: ${cell(u.error)}` : ''}.`);
  if (u.command) lines.push('', `Command run on the node: ${code(u.command.join(' '))}`);
  lines.push('', `Upgrade path ${upgrade.path.from} → ${upgrade.path.to}: **${upgrade.path.verdict}** (${cell(upgrade.path.why)}). End of life: ${Object.entries(upgrade.path.endOfLife).map(([minor, when]) => `${minor} ${when}`).join('; ')}.`);
  lines.push('', '| Witness | Kept | Before | After |', '|---|---|---|---|');
  for (const row of upgrade.witnesses) {
    lines.push(`| ${cell(row.name)} (${code(row.sandboxId.slice(0, 12))}) | ${row.kept ? '✅' : '❌'} | ${factsCell(row.before, row.hostNetwork)} | ${factsCell(row.after, row.hostNetwork)} |`);
  }
  const v = upgrade.verdict;
  lines.push('', `Verdict: ${v.upgradeChecksFailed} upgrade check(s) failed, ${v.regressions} regression(s) in the suites after, ${v.leaks} leak(s); exit ${v.exitCode}; ${(upgrade.wallMs / 1000).toFixed(1)} s in all.`);
  if (upgrade.diff) {
    const regressed = upgrade.diff.regressions.map((r) => `- REGRESSED ${cell(r.fullTitle)}: ${r.before ?? 'absent'} → ${r.after ?? 'absent'}${r.reason ? `: ${cell(r.reason.split('\n')[0] ?? '')}` : ''}`);
    const fixed = upgrade.diff.targets.flatMap((t) => t.checks.filter((c) => c.change === 'fixed').map((c) => `- fixed ${cell(c.fullTitle)}`));
    const info = upgrade.diff.targets.flatMap((t) => t.info.map((change) => `- ${change.path}: ${cell(JSON.stringify(change.before))} → ${cell(JSON.stringify(change.after))}`));
    lines.push('', 'Suites before → after:', '', ...(info.length ? info : ['- runtime facts unchanged']), ...regressed, ...fixed);
    if (regressed.length === 0) lines.push('- no check regressed');
  }
  return lines;
}

export function renderSummary(report: Report): string {
  const lines = [headline(report), ''];
  lines.push(
    `Run ${code(report.runId)}, provider ${code(report.provider)}, ${report.startedAt} → ${report.finishedAt} (${seconds(Date.parse(report.finishedAt) - Date.parse(report.startedAt))}), ${report.tool.name} ${report.tool.version} on Node ${report.tool.node}.`,
  );
  if (report.aborted) lines.push('', `**The run ended early:** ${report.aborted}`);
  const drift = describeDrift(sandboxImageDrift(report.targets));
  if (drift) lines.push('', `**⚠️ ${drift}**`);
  if (report.steps.length > 0) {
    lines.push('', `Bring-up: ${report.steps.map((s) => `${s.ok ? '' : '❌ '}${s.title} ${s.durationMs} ms`).join(' · ')}`);
  }
  const upgrade = upgradeOf(report);
  if (upgrade) lines.push('', ...upgradeSection(upgrade));
  for (const target of report.targets) lines.push('', ...targetSection(target, report.targets.length > 1));
  const { undoFailures, leaks } = report.teardown;
  lines.push('', '## Teardown', '');
  if (undoFailures.length === 0 && leaks.length === 0) lines.push('✅ Every undo ran and the leak check found nothing of this run left.');
  for (const failure of undoFailures) lines.push(`- ❌ undo failed: ${failure.label}: ${failure.error}`);
  for (const leak of leaks) lines.push(`- ❌ leaked: ${leak}`);
  return lines.join('\n') + '\n';
}
