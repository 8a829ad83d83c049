/**
 * Drives the real CLI (`node bin/pause-conformance.js ...`) as a child process, the way a user
 * or CI does, and lets a test wait for a line of its output. Waiting is event-driven: a line is
 * matched the moment the child writes it, so a signal sent "after X is printed" lands right
 * after X, on a fast machine or a slow one.
 */
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './temp-dirs.ts';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = path.join(REPO, 'bin', 'pause-conformance.js');
const BIN = path.join(REPO, 'node_modules', '.bin');

/** PATH with the project's Node 24 first, as npm scripts have it. */
export function cliPath(): string {
  return `${BIN}:${process.env['PATH'] ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`;
}

export interface CliResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
}

export interface CliRun {
  child: ResultPromise;
  /** Every stdout line so far. */
  lines: string[];
  /** Resolves with the first stdout line matching `pattern` (also one already printed). */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** The run id from the first line, "pause-conformance run <id>: provider ...". */
  runId(timeoutMs?: number): Promise<string>;
  /** Sends a signal to the CLI process itself (as `kill` does; a terminal's Ctrl-C sends SIGINT). */
  signal(name: NodeJS.Signals): void;
  result: Promise<CliResult>;
}

export interface CliOptions {
  /** Runs the CLI under this wrapper, e.g. ['setpriv', '--reuid=65534', ...]. */
  wrapper?: string[];
  env?: Record<string, string>;
}

/** A fresh report directory per run, so runs never overwrite each other's reports. */
export function tempReportDir(): string {
  return tempDir('report');
}

export function startCli(args: string[], options: CliOptions = {}): CliRun {
  const command = options.wrapper ? [...options.wrapper, 'node', CLI, ...args] : ['node', CLI, ...args];
  const child = execa(command[0]!, command.slice(1), {
    cwd: REPO,
    env: { PATH: cliPath(), ...options.env },
    reject: false,
    stdin: 'ignore',
    // Never let execa kill it for us: the tests decide which signal the CLI gets and when.
    cleanup: false,
    forceKillAfterDelay: false,
  });
  const lines: string[] = [];
  const waiters = new Set<{ pattern: RegExp; resolve: (line: string) => void }>();
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString('utf8');
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const raw of parts) {
      // Colours depend on the environment (supports-color turns them on under CI=true even
      // without a TTY); the tests match on the text.
      const line = raw.replace(/\x1b\[[0-9;]*m/g, '');
      lines.push(line);
      for (const waiter of [...waiters]) {
        if (waiter.pattern.test(line)) {
          waiters.delete(waiter);
          waiter.resolve(line);
        }
      }
    }
  });
  const result: Promise<CliResult> = child.then((r) => ({
    exitCode: r.exitCode,
    signal: r.signal,
    stdout: String(r.stdout ?? ''),
    stderr: String(r.stderr ?? ''),
  }));
  let exited = false;
  void result.then(() => (exited = true));

  const waitForLine = (pattern: RegExp, timeoutMs = 60_000): Promise<string> => {
    const already = lines.find((line) => pattern.test(line));
    if (already !== undefined) return Promise.resolve(already);
    return new Promise<string>((resolve, reject) => {
      const fail = (why: string): void => {
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(new Error(`CLI line matching ${pattern} not seen: ${why} (last lines: ${lines.slice(-5).join(' | ') || 'none'})`));
      };
      const waiter = {
        pattern,
        resolve: (line: string) => {
          clearTimeout(timer);
          resolve(line);
        },
      };
      waiters.add(waiter);
      const timer = setTimeout(() => fail(`not printed within ${timeoutMs} ms`), timeoutMs);
      void result.then((r) => {
        // The 'data' events of the last chunk are delivered before the child's promise settles.
        if (waiters.has(waiter)) fail(`the CLI exited first (exit ${r.exitCode ?? 'none'}, signal ${r.signal ?? 'none'}; stderr: ${r.stderr.trim().split('\n')[0] ?? ''})`);
      });
    });
  };

  return {
    child,
    lines,
    waitForLine,
    runId: async (timeoutMs = 60_000) => {
      const line = await waitForLine(/^pause-conformance run [0-9a-f]{8}:/, timeoutMs);
      return /^pause-conformance run ([0-9a-f]{8}):/.exec(line)![1]!;
    },
    signal: (name) => {
      if (exited) throw new Error(`cannot send ${name}: the CLI has already exited`);
      child.kill(name);
    },
    result,
  };
}

/** Runs the CLI to the end. */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result;
}
