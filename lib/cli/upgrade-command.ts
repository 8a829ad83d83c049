/**
 * `pause-conformance upgrade`: a live, in-place runtime upgrade under running pods, checked.
 * The node comes up on FROM and every suite runs (before); witness pods are made and recorded;
 * the target's upgradeRuntime control replaces the runtime in place (the embedded node: stop one
 * containerd, start the other on the same root, state and socket; a real node: the operator's own
 * command); the witnesses are checked; every suite runs again (after) in fresh instances of the
 * suite modules, so no describe block's state carries over; then the step that broke pods
 * upstream, the witnesses' teardown by the new runtime, and the diff of before and after. One
 * report, complete whatever fails; exit 1 on a failed upgrade check, a regression or a leak.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { UndoStack } from '../cleanup/undo-stack.ts';
import { isUserFacing, messageOf } from '../errors.ts';
import { DEFAULT_FIXTURES_DIR, loadFixtureDir } from '../pods/fixtures.ts';
import { loadPodManifest } from '../pods/manifest.ts';
import type { StartedProvider } from '../providers/provider.ts';
import { diffReports } from '../report/diff.ts';
import { formatDiff } from '../report/diff-text.ts';
import { writeDerivedReports } from '../report/outputs.ts';
import { interruptionPrefix, summarize, writeReport, type CheckResult, type Report, type TargetReport } from '../report/report.ts';
import type { UpgradeReport, UpgradeSection, WitnessRow } from '../report/upgrade-section.ts';
import { newRunId } from '../runtime/run-dir.ts';
import type { Target, TargetInfo } from '../target.ts';
import { breakageCheck, keptCheck, newAttemptCheck, notRecreatedCheck, teardownCheck, upgradeStepCheck, UPGRADE_SUITE, type UpgradeMarks } from '../upgrade/upgrade-checks.ts';
import { assessUpgradePath } from '../upgrade/upgrade-path.ts';
import { makeWitness, witnessFacts, WITNESSES, type Witness, type WitnessObservation } from '../upgrade/witnesses.ts';
import { EXIT_INTERRUPTED, Interrupted, Interruption } from './interruption.ts';
import { EXIT_CHECK_FAILED, EXIT_PASSED, EXIT_USAGE, reportOf, stepRecorder, tearDown, type RunState } from './run-command.ts';
import { say } from './say.ts';
import { checkTargets, loadSuites } from './suite-runner.ts';
import { suitesOfRun } from './team-suites.ts';
import type { UpgradeRequest } from './upgrade-options.ts';

/** One upgrade check on the console, as the suites' reporter prints a check. */
function printCheck(check: CheckResult): void {
  const mark = check.status === 'passed' ? '✔' : check.status === 'failed' ? '✗' : '-';
  say(`    ${mark} ${check.title} (${check.durationMs} ms)`);
  const summary = check.evidence['summary'];
  if (check.status === 'failed') say(`        ${check.error}`);
  else if (check.status === 'skipped') say(`        skipped because: ${check.skipReason}`);
  else if (typeof summary === 'string') say(`        ${summary}`);
}

const snapshot = (info: TargetInfo): TargetInfo => structuredClone(info);

/** Everything the command found out, filled in as far as it got. */
interface UpgradeOutcome {
  started?: StartedProvider;
  before: TargetReport[];
  upgradeChecks: CheckResult[];
  after: TargetReport[];
  witnesses: Witness[];
  afterObservations: Map<string, WitnessObservation>;
  upgradeInfo?: TargetInfo;
  section: Partial<UpgradeSection>;
  aborted?: string;
  userError?: string;
}

async function runPhases(request: UpgradeRequest, state: RunState, outcome: UpgradeOutcome): Promise<void> {
  const { common } = request;
  const fixturesDir = common.fixtures ?? DEFAULT_FIXTURES_DIR;
  // Instance 0 for the before part, instance 1 (modules imported afresh) for the after part.
  // A team's suites (--suites) run before and after the upgrade too, like the built-in ones.
  const files = await suitesOfRun(common, say);
  const beforeSuites = await loadSuites(common.grep, 0, files);
  const afterSuites = await loadSuites(common.grep, 1, files);
  say(`pause-conformance upgrade ${state.runId}: provider ${request.provider.name}, ${request.from} -> ${request.to}`);
  const commonOptions = { ...(common.appImage ? { appImage: common.appImage } : {}), ...(common.fixtures ? { fixtures: common.fixtures } : {}) };
  outcome.started = await request.provider.start({ runId: state.runId, common: commonOptions, undo: state.undo, step: stepRecorder(state), say, ...(request.upgradeTo ? { upgradeTo: request.upgradeTo } : {}) });
  const targets = outcome.started.targets;
  if (targets.length !== 1) throw new Error(`the upgrade check runs on one node; the provider brought up ${targets.length} (select one with --nodes)`);
  const target: Target = targets[0]!;
  const suiteOptions = { grep: common.grep, files, fixturesDir, parallel: 1, interruption: state.interruption, say };

  say(`\nbefore the upgrade: every suite on ${target.info.runtimeName} ${target.info.runtimeVersion}${target.info.ociRuntime ? `, ${target.info.ociRuntime}` : ''}`);
  const beforeInfo = snapshot(target.info);
  outcome.before = (await checkTargets([target], { ...suiteOptions, mocha: beforeSuites })).map((report) => ({ ...report, info: beforeInfo, phase: 'before' as const }));
  state.interruption.check();

  say(`\n${UPGRADE_SUITE}`);
  say('  witness pods made on the old runtime:');
  for (const spec of WITNESSES) {
    state.interruption.check();
    const witness = await makeWitness(target, spec, await loadPodManifest(path.join(fixturesDir, `${spec.fixture}.yaml`)));
    outcome.witnesses.push(witness);
    const b = witness.before;
    say(`    ${spec.name}: sandbox ${b.sandboxId.slice(0, 12)}, pause ${b.pausePid}, ${spec.hostNetwork ? 'host network' : `IP ${b.ip}, ${b.pauseNamespaces?.net}`}, containers ${b.containers.map((c) => `${c.name}#${c.attempt}=${c.pid}`).join(' ')}${b.shimPids ? `, shim ${b.shimPids.join(' ')}` : ''}`);
  }
  const marks: UpgradeMarks = {};
  const record = (check: CheckResult): void => {
    outcome.upgradeChecks.push(check);
    printCheck(check);
  };
  const upgradeStartedAt = new Date().toISOString();
  const step = await upgradeStepCheck(target, marks);
  record(step.check);
  outcome.section.upgrade = {
    ok: step.check.status === 'passed',
    startedAt: upgradeStartedAt,
    finishedAt: new Date().toISOString(),
    ...(step.check.error ? { error: step.check.error } : {}),
    ...(step.result ? { downMs: step.result.downMs, ...(step.result.stopMs !== undefined ? { stopMs: step.result.stopMs } : {}), ...(step.result.startMs !== undefined ? { startMs: step.result.startMs } : {}) } : {}),
    ...(step.result?.command ? { command: step.result.command } : {}),
    ...(step.result?.output ? { output: step.result.output } : {}),
  };
  if (step.result) {
    outcome.section.runtimeBefore = step.result.from;
    outcome.section.runtimeAfter = step.result.to;
  }
  for (const witness of outcome.witnesses) {
    const kept = await keptCheck(target, witness, marks);
    record(kept.check);
    if (kept.after) outcome.afterObservations.set(witness.spec.name, kept.after);
  }
  const restarted = outcome.witnesses.find((witness) => witness.spec.restartedContainer);
  if (restarted) record(await newAttemptCheck(target, restarted, marks));
  state.interruption.check();

  if (step.result) {
    say(`\nafter the upgrade: every suite on ${target.info.runtimeName} ${target.info.runtimeVersion}${target.info.ociRuntime ? `, ${target.info.ociRuntime}` : ''}`);
    const afterInfo = snapshot(target.info);
    outcome.after = (await checkTargets([target], { ...suiteOptions, mocha: afterSuites })).map((report) => ({ ...report, info: afterInfo, phase: 'after' as const }));
  } else {
    say('\nafter the upgrade: not run, the upgrade itself failed (see its check)');
  }
  state.interruption.check();

  say(`\n${UPGRADE_SUITE}: the upstream breakage step, then every witness torn down by the new runtime`);
  if (restarted) record(await breakageCheck(target, restarted, marks));
  // Only a kubelet can recreate a sandbox; at the CRI level the harness itself would have to.
  if (target.capabilities.kubelet) for (const witness of outcome.witnesses) record(await notRecreatedCheck(target, witness, outcome.afterObservations.get(witness.spec.name)));
  for (const witness of outcome.witnesses) record(await teardownCheck(target, witness, marks));
  outcome.upgradeInfo = snapshot(target.info);
}

function witnessRows(outcome: UpgradeOutcome): WitnessRow[] {
  return outcome.witnesses.map((witness) => {
    const after = outcome.afterObservations.get(witness.spec.name);
    const keptCheck = outcome.upgradeChecks.find((check) => check.title.startsWith(`witness ${witness.spec.name} `));
    return {
      name: witness.spec.name,
      why: witness.spec.why,
      hostNetwork: witness.spec.hostNetwork === true,
      pod: witness.pod.name,
      sandboxId: witness.pod.sandboxId,
      before: witnessFacts(witness.before),
      ...(after ? { after: witnessFacts(after) } : {}),
      kept: keptCheck?.status === 'passed',
    };
  });
}

/** A report of one phase, for `pause-conformance diff` and the diff in the upgrade section. */
function phaseReport(base: Report, targets: TargetReport[], teardown: Report['teardown']): Report {
  return { ...base, targets: targets.map(({ phase: _phase, ...target }) => target), summary: summarize(targets), teardown };
}

export async function upgradeCommand(request: UpgradeRequest): Promise<number> {
  await loadFixtureDir(request.common.fixtures);
  const t0 = Date.now();
  const undo = new UndoStack();
  const state: RunState = { runId: newRunId(), startedAt: new Date(), undo, steps: [], interruption: new Interruption(undo, say) };
  state.interruption.listen();
  const outcome: UpgradeOutcome = { before: [], upgradeChecks: [], after: [], witnesses: [], afterObservations: new Map(), section: {} };
  try {
    try {
      await runPhases(request, state, outcome);
    } catch (error) {
      if (error instanceof Interrupted || state.interruption.signal) outcome.aborted = state.interruption.reason;
      else if (isUserFacing(error)) {
        outcome.userError = error.message;
        outcome.aborted = error.message;
      } else {
        outcome.aborted = `internal error: ${messageOf(error)}`;
        process.stderr.write(`${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
      }
    }
    if (outcome.userError && undo.size === 0) {
      process.stderr.write(`pause-conformance: ${outcome.userError}\n`);
      return EXIT_USAGE;
    }
    const teardown = await tearDown(state, outcome.started);
    const aborted = outcome.aborted ?? state.interruption.reason;
    const upgradeTarget: TargetReport[] = outcome.upgradeChecks.length > 0 ? [{ info: outcome.upgradeInfo ?? outcome.after[0]?.info ?? outcome.before[0]!.info, checks: outcome.upgradeChecks, phase: 'upgrade' }] : [];
    const targets = [...outcome.before, ...upgradeTarget, ...outcome.after];
    const base = reportOf(state, request.provider.name, targets, teardown, aborted);
    const beforeReport = phaseReport(base, outcome.before, { undoFailures: [], leaks: [] });
    const afterReport = phaseReport(base, outcome.after, teardown);
    const diff = outcome.before.length > 0 && outcome.after.length > 0 ? diffReports(beforeReport, afterReport) : undefined;
    const runtimeBefore = outcome.section.runtimeBefore ?? (outcome.before[0] ? `${outcome.before[0].info.runtimeName} ${outcome.before[0].info.runtimeVersion}` : request.from);
    const runtimeAfter = outcome.section.runtimeAfter ?? (outcome.after[0] ? `${outcome.after[0].info.runtimeName} ${outcome.after[0].info.runtimeVersion}` : request.to);
    const beforeVersion = outcome.before[0]?.info.runtimeVersion ?? request.from;
    const afterVersion = outcome.after[0]?.info.runtimeVersion ?? outcome.upgradeInfo?.runtimeVersion ?? request.to;
    const upgradeChecksFailed = outcome.upgradeChecks.filter((check) => check.status === 'failed').length;
    const regressions = diff?.regressions.length ?? 0;
    let exitCode = EXIT_PASSED;
    if (aborted || upgradeChecksFailed > 0 || regressions > 0 || teardown.leaks.length > 0 || teardown.undoFailures.length > 0) exitCode = EXIT_CHECK_FAILED;
    if (outcome.userError) exitCode = EXIT_USAGE;
    else if (state.interruption.signal) exitCode = EXIT_INTERRUPTED;
    const section: UpgradeSection = {
      from: request.from,
      to: request.to,
      runtimeBefore,
      runtimeAfter,
      path: assessUpgradePath(beforeVersion, afterVersion),
      upgrade: outcome.section.upgrade ?? { ok: false, startedAt: base.finishedAt, finishedAt: base.finishedAt, error: aborted ?? 'not reached' },
      witnesses: witnessRows(outcome),
      ...(diff ? { diff } : {}),
      wallMs: Date.now() - t0,
      verdict: { upgradeChecksFailed, regressions, leaks: teardown.leaks.length, exitCode },
    };
    const report: UpgradeReport = { ...base, upgrade: section };
    const reportDir = request.common.reportDir;
    const reportFile = await writeReport(report, reportDir);
    await writeDerivedReports(report, reportDir);
    await mkdir(reportDir, { recursive: true });
    await writeFile(path.join(reportDir, 'before.json'), JSON.stringify(beforeReport, null, 2) + '\n');
    await writeFile(path.join(reportDir, 'after.json'), JSON.stringify(afterReport, null, 2) + '\n');
    say(`\nupgrade path ${section.path.from} -> ${section.path.to}: ${section.path.verdict} (${section.path.why})`);
    if (diff) say(`\ndiff of the suites before and after (${path.join(reportDir, 'before.json')} -> after.json):\n${formatDiff(diff, 'before.json', 'after.json').trimEnd()}`);
    say(`\nreport: ${reportFile}`);
    say(`upgrade ${section.upgrade.ok ? 'made' : 'FAILED'}: ${runtimeBefore} -> ${runtimeAfter}; witnesses kept ${section.witnesses.filter((row) => row.kept).length}/${section.witnesses.length}; ${upgradeChecksFailed} upgrade check(s) failed, ${regressions} regression(s), ${teardown.leaks.length} leak(s); ${(section.wallMs / 1000).toFixed(1)} s`);
    const { passed, failed, skipped } = report.summary;
    say(`conformance: ${interruptionPrefix(report)}${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
    if (outcome.userError) process.stderr.write(`pause-conformance: ${outcome.userError}\n`);
    return exitCode;
  } finally {
    state.interruption.stop();
  }
}
