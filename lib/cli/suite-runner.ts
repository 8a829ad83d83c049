/**
 * Runs the suites (Mocha) on the targets a provider brought up: one after another, or with
 * --parallel several at once, each in its own instance of the suite modules and inside the run
 * context (lib/run-context.ts) that gives its checks their target and fixtures.
 */
import Mocha from 'mocha';
import { execa } from 'execa';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UsageError } from '../errors.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import { collectChecks } from '../report/collector.ts';
import { ConsoleReporter } from '../report/console-reporter.ts';
import type { TargetReport } from '../report/report.ts';
import { deletesSettled, runSuitesOn } from '../run-context.ts';
import type { Target } from '../target.ts';
import type { Interruption } from './interruption.ts';
import { SUITES_DIR, suiteFiles } from './suite-files.ts';

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Where a spec that failed to load went wrong, as file:line. A TypeScript syntax error names its
 * line on the stack's first line, a runtime error in a frame (either as the spec's path or URL);
 * V8 keeps the line of a JavaScript syntax error off the error object, so `node --check` says it.
 */
async function whereItFailed(file: string, error: unknown): Promise<string> {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const own = new RegExp(`(?:${escaped(pathToFileURL(file).href)}|${escaped(file)}):(\\d+)`).exec(stack);
  if (own) return `${file}:${own[1]}`;
  // Else the first place in the team's own code (a helper of theirs), not in Node, a package or this harness.
  const ours = [path.join(PACKAGE_ROOT, 'lib'), path.join(PACKAGE_ROOT, 'dist'), 'node:internal', '/node_modules/'];
  const other = /(?:file:\/\/)?(\/[^\s:)]+):(\d+)/.exec(stack.split('\n').filter((line) => !ours.some((place) => line.includes(place))).join('\n'));
  if (other) return `${file} (at ${decodeURIComponent(other[1]!)}:${other[2]})`;
  if (error instanceof SyntaxError) {
    const checked = await execa(process.execPath, ['--check', file], { reject: false, timeout: 30_000 });
    const line = new RegExp(`^${escaped(file)}:(\\d+)`, 'm').exec(checked.stderr)?.[1];
    if (line) return `${file}:${line}`;
  }
  return file;
}

/**
 * Loads the suite files into `mocha`, doing what Mocha#loadFilesAsync does around each file.
 * Instance n > 0 imports new module instances (a query on their URL): import()'s cache would
 * hand every instance the same, already evaluated modules. A team's spec (any file outside the
 * built-in suites) that cannot be loaded (a syntax error, TypeScript Node cannot strip, a missing
 * export, an error thrown while its describe blocks are declared) is one line, exit 2.
 */
async function loadInto(mocha: Mocha, files: string[], instance: number): Promise<void> {
  for (const file of files) {
    mocha.suite.emit('pre-require', globalThis, file, mocha);
    const url = pathToFileURL(file).href;
    let loaded: unknown;
    try {
      loaded = await import(instance === 0 ? url : `${url}?instance=${instance}`);
    } catch (error) {
      if (path.dirname(file) === SUITES_DIR) throw error;
      const message = error instanceof Error ? (error.message.split('\n').find((line) => line.trim() !== '') ?? '').trim() : String(error);
      throw new UsageError(`--suites: ${await whereItFailed(file, error)} cannot be loaded`, message.replace(/\.$/, ''), 'Fix the spec file, then run it again.');
    }
    mocha.suite.emit('require', loaded, file, mocha);
    mocha.suite.emit('post-require', globalThis, file, mocha);
  }
}

/**
 * Loads the suites (`files`: the built-in ones, and a team's after them) into a Mocha of their
 * own. Instance 0 is loaded at start to check --grep; with --parallel each further target gets
 * instance n, whose suite modules are imported afresh, so no two runs share a describe block's
 * state. Sequential targets rerun instance 0 (cleanReferencesAfterRun(false)).
 */
export async function loadSuites(grep: string | undefined, instance = 0, files = suiteFiles()): Promise<Mocha> {
  // forbidOnly: a stray `.only` left in a suite would otherwise run that one check and report the run
  // as complete; with it, loading the file fails and says why.
  const mocha = new Mocha({ reporter: ConsoleReporter, timeout: 120_000, forbidOnly: true, ...(grep ? { grep } : {}) });
  await loadInto(mocha, files, instance);
  // usePod deletes a suite's pod while the next suite starts: the run ends only once each is gone.
  mocha.suite.afterAll('the pods of finished suites are deleted', deletesSettled);
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
async function runSuites(mocha: Mocha, target: Target, fixturesDir: string, prefix: string, runners: Set<Mocha.Runner>, say: (line: string) => void): Promise<TargetReport> {
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

export interface SuiteRunOptions {
  /** The suites loaded at start (instance 0), which also served to check --grep. */
  mocha: Mocha;
  /** The spec files instance 0 was loaded from: every further instance loads the same. */
  files: string[];
  grep: string | undefined;
  fixturesDir: string;
  /** How many targets may be checked at once (the started provider says). */
  parallel: number;
  interruption: Interruption;
  say: (line: string) => void;
}

/** Runs the suites on every target, `parallel` at a time; one report part per target, in their order. */
export async function checkTargets(targets: Target[], options: SuiteRunOptions): Promise<TargetReport[]> {
  const parallel = Math.min(options.parallel, targets.length);
  if (parallel > 1) options.say(`\n${targets.length} nodes, ${parallel} at a time: each line of a node's checks starts with [node name]`);
  // Instance 0 serves every target when they run one after another; overlapping runs each need their own.
  const instances = parallel > 1 ? [options.mocha, ...(await Promise.all(targets.slice(1).map((_, i) => loadSuites(options.grep, i + 1, options.files))))] : [options.mocha];
  return inPool(targets, parallel, async (target, index) => {
    options.interruption.check();
    const prefix = parallel > 1 ? `[${target.info.nodeName}] ` : '';
    options.say(`\n${prefix}target ${target.info.nodeName}: ${target.info.runtimeName} ${target.info.runtimeVersion}, sandbox image ${target.info.sandboxImage}`);
    return runSuites(instances[parallel > 1 ? index : 0]!, target, options.fixturesDir, prefix, options.interruption.runners, options.say);
  });
}
