/**
 * `pause-conformance run`: bring a target up, run the suites on it, tear everything down, check
 * for leaks, write the report. Teardown runs on success, failure and the first SIGINT or SIGTERM;
 * a second signal exits at once and names what was still registered for undo (interruption.ts).
 */
import type Mocha from 'mocha';
import { UndoStack, type UndoFailure } from '../cleanup/undo-stack.ts';
import { isUserFacing, messageOf } from '../errors.ts';
import { DEFAULT_FIXTURES_DIR } from '../pods/fixtures.ts';
import type { StartedProvider } from '../providers/provider.ts';
import { writeDerivedReports } from '../report/outputs.ts';
import { interruptionPrefix, summarize, writeReport, REPORT_SCHEMA_VERSION, type Report, type TargetReport } from '../report/report.ts';
import { newRunId } from '../runtime/run-dir.ts';
import { EXIT_INTERRUPTED, Interrupted, Interruption } from './interruption.ts';
import { packageVersion } from './package-info.ts';
import type { RunRequest } from './run-options.ts';
import { say } from './say.ts';
import { checkTargets, loadSuites } from './suite-runner.ts';
import { suitesOfRun } from './team-suites.ts';

export const EXIT_PASSED = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;

/** One run under way: what it made (undo), what it did (steps), and whether a signal stopped it. */
export interface RunState {
  runId: string;
  startedAt: Date;
  undo: UndoStack;
  steps: Report['steps'];
  interruption: Interruption;
}

/** How far the run got before teardown: the started provider, the checks' results, and why it stopped early. */
interface Outcome {
  started?: StartedProvider;
  targets: TargetReport[];
  /** Why the run stopped early (a signal, a user-facing error, a harness bug). */
  aborted?: string;
  /** A user-facing error: printed as one line on stderr, exit 2. */
  userError?: string;
}

/** A bring-up step, printed with its duration and kept for the report; none starts after a signal. */
export function stepRecorder(state: RunState): <T>(title: string, work: () => Promise<T>) => Promise<T> {
  return async (title, work) => {
    state.interruption.check();
    const t0 = Date.now();
    try {
      const result = await work();
      state.steps.push({ title, durationMs: Date.now() - t0, ok: true });
      say(`  ✓ ${title} (${Date.now() - t0} ms)`);
      return result;
    } catch (error) {
      state.steps.push({ title, durationMs: Date.now() - t0, ok: false });
      say(`  ✗ ${title} (${Date.now() - t0} ms)`);
      throw error;
    }
  };
}

/** Brings the target up and runs the suites on it; whatever goes wrong becomes the outcome, not an exception. */
async function bringUpAndCheck(request: RunRequest, state: RunState, mocha: Mocha, files: string[]): Promise<Outcome> {
  const { common: options, provider } = request;
  const outcome: Outcome = { targets: [] };
  try {
    say(`pause-conformance run ${state.runId}: provider ${provider.name}`);
    const common = { ...(options.appImage ? { appImage: options.appImage } : {}), ...(options.fixtures ? { fixtures: options.fixtures } : {}) };
    outcome.started = await provider.start({ runId: state.runId, common, undo: state.undo, step: stepRecorder(state), say });
    outcome.targets = await checkTargets(outcome.started.targets, {
      mocha,
      files,
      grep: options.grep,
      fixturesDir: options.fixtures ?? DEFAULT_FIXTURES_DIR,
      parallel: outcome.started.parallel ?? 1,
      interruption: state.interruption,
      say,
    });
    state.interruption.check();
  } catch (error) {
    if (error instanceof Interrupted || state.interruption.signal) {
      outcome.aborted = state.interruption.reason;
    } else if (isUserFacing(error)) {
      outcome.userError = error.message;
      outcome.aborted = error.message;
    } else {
      outcome.aborted = `internal error: ${messageOf(error)}`;
      process.stderr.write(`${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
    }
  }
  return outcome;
}

/** Undoes everything the run made, newest first, then asks the provider what is still there. */
export async function tearDown(state: RunState, started: StartedProvider | undefined): Promise<{ undoFailures: UndoFailure[]; leaks: string[] }> {
  say('\nteardown');
  const undoFailures = await state.undo.unwind();
  for (const failure of undoFailures) say(`  ✗ ${failure.label}: ${failure.error}`);
  let leaks: string[] = [];
  if (started) {
    leaks = await started.leaks().catch((error: unknown) => [`leak check failed: ${messageOf(error)}`]);
    say(leaks.length === 0 ? '  ✓ leak check: nothing of this run is left' : `  ✗ leak check: ${leaks.length} left: ${leaks.join('; ')}`);
  }
  return { undoFailures, leaks };
}

/** Writes report.json and what is derived from it, and prints the closing line. */
async function writeReports(report: Report, reportDir: string): Promise<void> {
  const reportFile = await writeReport(report, reportDir);
  await writeDerivedReports(report, reportDir);
  say(`\nreport: ${reportFile}`);
  const { passed, failed, skipped } = report.summary;
  // The closing line has the plain form CI log readers count: "word: N passed, N failed[, N skipped]",
  // and says first when a signal cut the run short: "conformance: interrupted by SIGINT: 3 passed, 0 failed".
  say(`conformance: ${interruptionPrefix(report)}${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
}

function exitCodeOf(report: Report, outcome: Outcome, interruption: Interruption): number {
  if (outcome.userError) {
    process.stderr.write(`pause-conformance: ${outcome.userError}\n`);
    return EXIT_USAGE;
  }
  if (interruption.signal) return EXIT_INTERRUPTED;
  const { passed, failed } = report.summary;
  let code = EXIT_PASSED;
  if (report.aborted || failed > 0 || report.teardown.undoFailures.length > 0 || report.teardown.leaks.length > 0) code = EXIT_CHECK_FAILED;
  if (passed + failed === 0 && !report.aborted) {
    say('no check ran');
    code = EXIT_CHECK_FAILED;
  }
  return code;
}

/** The report of a run that went as far as `targets`, torn down with `teardown`. */
export function reportOf(state: RunState, provider: string, targets: TargetReport[], teardown: Report['teardown'], aborted: string | undefined): Report {
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'pause-conformance', version: packageVersion(), node: process.version },
    runId: state.runId,
    provider,
    startedAt: state.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    steps: state.steps,
    targets,
    summary: summarize(targets),
    teardown,
    ...(aborted ? { aborted } : {}),
  };
}

/** Runs what the command line asked for (a test may hand in a provider of its own, e.g. two embedded nodes). */
export async function runCommand(request: RunRequest): Promise<number> {
  // Checked before anything is made: bad input changes nothing, not even the report directory.
  const files = await suitesOfRun(request.common, say);
  const mocha = await loadSuites(request.common.grep, 0, files);
  const undo = new UndoStack();
  const state: RunState = { runId: newRunId(), startedAt: new Date(), undo, steps: [], interruption: new Interruption(undo, say) };
  state.interruption.listen();
  try {
    const outcome = await bringUpAndCheck(request, state, mocha, files);
    if (outcome.userError && undo.size === 0) {
      // Refused before anything was made: one line, no teardown to speak of, no report written.
      process.stderr.write(`pause-conformance: ${outcome.userError}\n`);
      return EXIT_USAGE;
    }
    const teardown = await tearDown(state, outcome.started);
    // A signal during teardown interrupts the run too: the report must say so, as the exit code does.
    const aborted = outcome.aborted ?? state.interruption.reason;
    const report = reportOf(state, request.provider.name, outcome.targets, teardown, aborted);
    await writeReports(report, request.common.reportDir);
    return exitCodeOf(report, outcome, state.interruption);
  } finally {
    state.interruption.stop();
  }
}
