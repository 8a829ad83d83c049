/**
 * `pause-conformance run`: bring a target up, run the suites on it, write the report, tear
 * everything down, check for leaks. Teardown runs on success, failure and the first SIGINT or
 * SIGTERM; a second signal exits at once and names what was still registered for undo.
 */
import Mocha from 'mocha';
import { pathToFileURL } from 'node:url';
import { UndoStack } from '../cleanup/undo-stack.ts';
import { isUserFacing, messageOf, UsageError } from '../errors.ts';
import { collectChecks } from '../report/collector.ts';
import { ConsoleReporter } from '../report/console-reporter.ts';
import { writeDerivedReports } from '../report/outputs.ts';
import { summarize, writeReport, REPORT_SCHEMA_VERSION, type Report, type TargetReport } from '../report/report.ts';
import { newRunId } from '../runtime/run-dir.ts';
import type { StartedProvider } from '../providers/provider.ts';
import type { RunRequest } from './run-options.ts';
import type { Target } from '../target.ts';
import { runSuitesOn } from '../run-context.ts';
import { DEFAULT_FIXTURES_DIR } from '../pods/fixtures.ts';
import { suiteFiles } from './suite-files.ts';
import { packageVersion } from './package-info.ts';

export const EXIT_PASSED = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

class Interrupted extends Error {
  constructor(signal: string) {
    super(`interrupted by ${signal}`);
    this.name = 'Interrupted';
  }
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

/**
 * Loads the suite files into `mocha` as new module instances (a query on their URL), doing what
 * Mocha#loadFilesAsync does around each file. Mocha itself loads .ts files with require(), whose
 * cache would hand every instance the same, already evaluated modules.
 */
async function loadFreshInstances(mocha: Mocha, files: string[], instance: number): Promise<void> {
  for (const file of files) {
    mocha.suite.emit('pre-require', globalThis, file, mocha);
    const loaded: unknown = await import(`${pathToFileURL(file).href}?instance=${instance}`);
    mocha.suite.emit('require', loaded, file, mocha);
    mocha.suite.emit('post-require', globalThis, file, mocha);
  }
}

/**
 * Loads the suites into a Mocha of their own. Instance 0 is loaded at start to check --grep;
 * with --parallel each further target gets instance n, whose suite modules are imported afresh
 * (a query on their URL), so no two runs share a describe block's state. Sequential targets
 * rerun instance 0 (cleanReferencesAfterRun(false)).
 */
async function loadSuites(grep: string | undefined, instance = 0): Promise<Mocha> {
  const mocha = new Mocha({ reporter: ConsoleReporter, timeout: 120_000, ...(grep ? { grep } : {}) });
  if (instance === 0) {
    for (const file of suiteFiles()) mocha.addFile(file);
    await mocha.loadFilesAsync();
  } else {
    await loadFreshInstances(mocha, suiteFiles(), instance);
  }
  mocha.cleanReferencesAfterRun(false);
  if (grep !== undefined) {
    const pattern = new RegExp(grep);
    const matching = (suite: Mocha.Suite): number =>
      suite.tests.filter((test) => pattern.test(test.fullTitle())).length + suite.suites.reduce((sum, child) => sum + matching(child), 0);
    if (matching(mocha.suite) === 0) {
      throw new UsageError(`--grep ${grep} matches no check`, 'it is matched against each check\'s full title', 'Use a part of a title that `npm run conformance` prints.');
    }
  }
  return mocha;
}

/** Runs the suites on one target; `prefix` marks every console line when runs overlap. */
async function runSuites(mocha: Mocha, target: Target, fixturesDir: string, prefix: string, runners: Set<Mocha.Runner>): Promise<TargetReport> {
  mocha.reporter(ConsoleReporter, { prefix });
  const checks = await runSuitesOn(
    { target, fixturesDir },
    () =>
      new Promise<TargetReport['checks']>((resolve) => {
        const runner = mocha.run(() => {
          runners.delete(runner);
          resolve(collected);
        });
        const collected = collectChecks(runner, (line) => say(prefix + line));
        runners.add(runner);
      }),
  );
  return { info: target.info, checks };
}

/** Runs `work` on every item, at most `limit` at a time, keeping the items' order in the result. */
async function inPool<T, R>(items: T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Runs what the command line asked for (a test may hand in a provider of its own, e.g. two embedded nodes). */
export async function runCommand(request: RunRequest): Promise<number> {
  const { common: options, provider } = request;
  // Checked before anything is made: bad input changes nothing, not even the report directory.
  const mocha = await loadSuites(options.grep);
  const runId = newRunId();
  const startedAt = new Date();
  const undo = new UndoStack();
  const steps: Report['steps'] = [];
  const targets: TargetReport[] = [];
  let interrupted: string | undefined;
  let aborted: string | undefined;
  const runners = new Set<Mocha.Runner>();
  let started: StartedProvider | undefined;

  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupted) {
      say(`second ${signal}: exiting now; still registered for cleanup: ${undo.labels.join('; ') || 'nothing'}`);
      process.exit(EXIT_INTERRUPTED);
    }
    interrupted = signal;
    say(`${signal}: stopping the run and cleaning up (send it again to exit at once)`);
    for (const runner of runners) runner.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const step = async <T>(title: string, work: () => Promise<T>): Promise<T> => {
    if (interrupted) throw new Interrupted(interrupted);
    const t0 = Date.now();
    try {
      const result = await work();
      steps.push({ title, durationMs: Date.now() - t0, ok: true });
      say(`  ✓ ${title} (${Date.now() - t0} ms)`);
      return result;
    } catch (error) {
      steps.push({ title, durationMs: Date.now() - t0, ok: false });
      say(`  ✗ ${title} (${Date.now() - t0} ms)`);
      throw error;
    }
  };

  let exitCode = EXIT_PASSED;
  let userError: string | undefined;
  try {
    say(`pause-conformance run ${runId}: provider ${provider.name}`);
    started = await provider.start({ runId, common: { ...(options.appImage ? { appImage: options.appImage } : {}), ...(options.fixtures ? { fixtures: options.fixtures } : {}) }, undo, step, say });
    const all = started.targets;
    const parallel = Math.min(started.parallel ?? 1, all.length);
    if (parallel > 1) say(`\n${all.length} nodes, ${parallel} at a time: each line of a node's checks starts with [node name]`);
    // Instance 0 serves every target when they run one after another; overlapping runs each need their own.
    const instances = parallel > 1 ? [mocha, ...(await Promise.all(all.slice(1).map((_, i) => loadSuites(options.grep, i + 1))))] : [mocha];
    targets.push(
      ...(await inPool(all, parallel, async (target, index) => {
        if (interrupted) throw new Interrupted(interrupted);
        const prefix = parallel > 1 ? `[${target.info.nodeName}] ` : '';
        say(`\n${prefix}target ${target.info.nodeName}: ${target.info.runtimeName} ${target.info.runtimeVersion}, sandbox image ${target.info.sandboxImage}`);
        return runSuites(instances[parallel > 1 ? index : 0]!, target, options.fixtures ?? DEFAULT_FIXTURES_DIR, prefix, runners);
      })),
    );
    if (interrupted) throw new Interrupted(interrupted);
  } catch (error) {
    if (error instanceof Interrupted || interrupted) {
      aborted = `interrupted by ${interrupted}`;
    } else if (isUserFacing(error)) {
      userError = error.message;
      aborted = error.message;
    } else {
      aborted = `internal error: ${messageOf(error)}`;
      process.stderr.write(`${error instanceof Error && error.stack ? error.stack : String(error)}\n`);
    }
  }

  if (userError && undo.size === 0) {
    // Refused before anything was made: one line, no teardown to speak of, no report written.
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.stderr.write(`pause-conformance: ${userError}\n`);
    return EXIT_USAGE;
  }

  say('\nteardown');
  const undoFailures = await undo.unwind();
  // A signal during teardown interrupts the run too: the report must say so, as the exit code does.
  if (interrupted && !aborted) aborted = `interrupted by ${interrupted}`;
  for (const failure of undoFailures) say(`  ✗ ${failure.label}: ${failure.error}`);
  let leaks: string[] = [];
  if (started) {
    leaks = await started.leaks().catch((error: unknown) => [`leak check failed: ${messageOf(error)}`]);
    say(leaks.length === 0 ? '  ✓ leak check: nothing of this run is left' : `  ✗ leak check: ${leaks.length} left: ${leaks.join('; ')}`);
  }

  const summary = summarize(targets);
  const report: Report = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'pause-conformance', version: packageVersion(), node: process.version },
    runId,
    provider: provider.name,
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    steps,
    targets,
    summary,
    teardown: { undoFailures, leaks },
    ...(aborted ? { aborted } : {}),
  };
  const reportFile = await writeReport(report, options.reportDir);
  await writeDerivedReports(report, options.reportDir);
  say(`\nreport: ${reportFile}`);
  // The closing line has the plain form CI log readers count: "word: N passed, N failed[, N skipped]".
  say(`conformance: ${summary.passed} passed, ${summary.failed} failed${summary.skipped ? `, ${summary.skipped} skipped` : ''}`);

  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  if (userError) {
    process.stderr.write(`pause-conformance: ${userError}\n`);
    return EXIT_USAGE;
  }
  if (interrupted) return EXIT_INTERRUPTED;
  if (aborted || summary.failed > 0 || undoFailures.length > 0 || leaks.length > 0) exitCode = EXIT_CHECK_FAILED;
  if (summary.passed + summary.failed === 0 && !aborted) {
    say('no check ran');
    exitCode = EXIT_CHECK_FAILED;
  }
  return exitCode;
}
