/**
 * The command line, from code: run() is `pause-conformance run` (the same checks, console,
 * report files, undo, leak check and signal handling: it is the same runCommand);
 * startTargets() brings a target up the way `run` does, for a program that drives it itself,
 * and hands back stop() (undo + leak check) instead of running the suites. Options are the
 * command line's, by the names the providers declare them (camelCase: subnet, nodes, keep), and
 * are checked by the same parser: a bad one throws the one-line UsageError the CLI prints.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { UndoStack, type UndoFailure } from '../lib/cleanup/undo-stack.ts';
import { Interruption } from '../lib/cli/interruption.ts';
import { runCommand, stepRecorder, tearDown, type RunState } from '../lib/cli/run-command.ts';
import { parseRunArgs, type RunRequest } from '../lib/cli/run-options.ts';
import { say } from '../lib/cli/say.ts';
import { flagName } from '../lib/options.ts';
import { loadFixtureDir } from '../lib/pods/fixtures.ts';
import { loadReport } from '../lib/report/load-report.ts';
import type { Report } from '../lib/report/report.ts';
import { newRunId } from '../lib/runtime/run-dir.ts';
import type { Target } from '../lib/target.ts';

/** What to start: a provider and its options, as `run` takes them. */
export interface StartOptions {
  /** local (default), cri, kind, microk8s, k3s, kubeconfig. */
  provider?: string;
  /** The provider's own options by their declared names: { subnet: '10.214.0.0/24' }, { nodes: 'all', keep: true }. */
  providerOptions?: Record<string, string | number | boolean | undefined>;
  /** --fixtures DIR: the pod fixtures in place of the built-in ones. */
  fixtures?: string;
  /** --app-image REF */
  appImage?: string;
}

/** A whole run: what to start, which checks, where the reports go. */
export interface RunOptions extends StartOptions {
  grep?: string;
  /** Default reports/. */
  reportDir?: string;
  /** --suites DIR: a team's own spec files, after the built-in suites. */
  suites?: string;
  /** false = --no-builtin: only the checks in `suites`. */
  builtin?: boolean;
}

export interface RunResult {
  /** What `pause-conformance run` exits with: 0 passed, 1 a check failed or something leaked, 2 refused, 130 interrupted. */
  exitCode: number;
  /** The run's report.json (also written to reportDir with junit.xml, summary.md, lifecycle.svg); none when the run was refused before it started. */
  report?: Report;
}

export interface StartedTargets extends AsyncDisposable {
  runId: string;
  /** One per node the provider brought up (one for local and cri). */
  targets: Target[];
  /** Undoes everything the start made, newest first, then runs the provider's leak check. Once; later calls get the same result. */
  stop(): Promise<{ undoFailures: UndoFailure[]; leaks: string[] }>;
}

function argvOf(options: RunOptions): string[] {
  const argv = ['--provider', options.provider ?? 'local'];
  const add = (name: string, value: string | number | boolean | undefined): void => {
    if (value === undefined || value === false) return;
    argv.push(`--${flagName(name)}`, ...(value === true ? [] : [String(value)]));
  };
  add('grep', options.grep);
  add('reportDir', options.reportDir);
  add('fixtures', options.fixtures);
  add('appImage', options.appImage);
  add('suites', options.suites);
  add('noBuiltin', options.builtin === false);
  for (const [name, value] of Object.entries(options.providerOptions ?? {})) add(name, value);
  return argv;
}

/** The request the command line would make of these options, its fixtures checked as `run` checks them. */
async function requestOf(options: RunOptions): Promise<RunRequest> {
  const request = parseRunArgs(argvOf(options));
  if (request === 'help') throw new Error('unreachable: no --help is passed');
  await loadFixtureDir(request.common.fixtures);
  return request;
}

/** `pause-conformance run` with these options. Bad input throws the CLI's one-line error before anything is made. */
export async function run(options: RunOptions = {}): Promise<RunResult> {
  const request = await requestOf(options);
  const startedAt = Date.now();
  const exitCode = await runCommand(request);
  const reportFile = path.join(request.common.reportDir, 'report.json');
  // A run refused before it started writes no report: one found there is an older run's.
  const written = await stat(reportFile).then((found) => found.mtimeMs >= startedAt, () => false);
  return { exitCode, ...(written ? { report: await loadReport(reportFile) } : {}) };
}

/**
 * Brings targets up as `run` would, without running any check. The caller owns the process: it
 * must call stop() (or hold the result in `await using`), on success and on failure; run() is the
 * way that also tears down on SIGINT/SIGTERM. A start that fails part-way undoes what it made.
 */
export async function startTargets(options: StartOptions = {}): Promise<StartedTargets> {
  const request = await requestOf(options);
  const undo = new UndoStack();
  const state: RunState = { runId: newRunId(), startedAt: new Date(), undo, steps: [], interruption: new Interruption(undo, say) };
  say(`pause-conformance start ${state.runId}: provider ${request.provider.name}`);
  const { appImage, fixtures } = request.common;
  let started;
  try {
    started = await request.provider.start({ runId: state.runId, common: { ...(appImage ? { appImage } : {}), ...(fixtures ? { fixtures } : {}) }, undo, step: stepRecorder(state), say });
  } catch (error) {
    await tearDown(state, undefined);
    throw error;
  }
  let stopped: ReturnType<StartedTargets['stop']> | undefined;
  const stop = (): ReturnType<StartedTargets['stop']> => (stopped ??= tearDown(state, started));
  return {
    runId: state.runId,
    targets: started.targets,
    stop,
    async [Symbol.asyncDispose]() {
      await stop();
    },
  };
}
