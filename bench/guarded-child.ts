/**
 * A long-running helper command of the bench (the ground truth's `ctr events` and `ip monitor`,
 * the CPU hog's busy loops) that cannot outlive the bench: it runs in the background of a small sh that waits for EOF
 * on its stdin, a pipe from us, and then kills it. Our end of that pipe closes on stop(), on exit,
 * and also when the bench is SIGKILLed, so no helper is left whatever ends the bench.
 *
 * The sh ignores SIGINT: a Ctrl-C in the terminal goes to the whole process group, and a
 * background command of a non-interactive sh ignores SIGINT, so the sh dying on it would orphan
 * the command. It ends on EOF only (or SIGTERM, which reaches the command too when sent to the
 * group). It waits for the command it killed, so stop() returning means the command is gone.
 */
import { execa, type ResultPromise } from 'execa';

type Child = ResultPromise<{ buffer: false; reject: false; stdin: 'pipe'; stderr: 'pipe' }>;

export interface GuardedChild {
  /** The guarding sh's pid. */
  readonly pid: number | undefined;
  /** Calls `onLine` for each whole line the command prints on stdout. */
  onLine(onLine: (line: string) => void): void;
  /** What the command said on stderr so far (the end of it). */
  stderr(): string;
  /** Set once the sh has ended: how. */
  ended(): string | undefined;
  /** Closes the sh's stdin and waits until it and the command are gone (SIGKILL to the sh after 5 s). */
  stop(): Promise<void>;
}

/** The sh script around `command` (a fixed shell command line, run in the background; values come in as "$1"...). */
export function guardScript(command: string): string {
  return `trap '' INT; ${command} & p=$!; read -r _; kill "$p" 2>/dev/null; wait "$p"`;
}

/** Starts `command` guarded; `args` are its positional parameters ($1, $2...), never part of the script. */
export function startGuarded(command: string, args: string[] = []): GuardedChild {
  const child: Child = execa('sh', ['-c', guardScript(command), 'sh', ...args], { buffer: false, reject: false, stdin: 'pipe', stderr: 'pipe' });
  let ended: string | undefined;
  let stderr = '';
  let partial = '';
  const listeners: ((line: string) => void)[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    const lines = (partial + chunk).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const listener of listeners) listener(line);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => void (stderr = (stderr + chunk).slice(-2000)));
  // EPIPE when the sh is already gone: its end is recorded by the result below.
  child.stdin.on('error', () => undefined);
  const done = child.then(
    (result) => void (ended = `exit ${result.exitCode ?? result.signal ?? '?'}`),
    (error: unknown) => void (ended = `failed: ${error instanceof Error ? error.message : String(error)}`),
  );
  return {
    pid: child.pid,
    onLine: (listener) => void listeners.push(listener),
    stderr: () => stderr.trim(),
    ended: () => ended,
    stop: async () => {
      if (ended === undefined) child.stdin.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await done;
      clearTimeout(timer);
    },
  };
}
