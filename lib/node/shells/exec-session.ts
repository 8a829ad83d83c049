/**
 * One long-lived shell in a node container (`docker exec -i <node> sh -s`), fed one command at a
 * time on its stdin, instead of one `docker exec` per fact: on the node container of `npm test`
 * an exec costs 0.36–0.55 s and a command in an open session a few ms, and a run makes about 310
 * node commands (issue 14: "one long-lived exec session ... instead of one exec per fact").
 *
 * The shell is reached through a SessionTransport: its stdin, stdout and stderr and its end. The
 * one here is a child process of this machine (`docker exec -i ...`, execaTransport); the exec
 * API of a container engine (engine-exec-transport.ts) and a Kubernetes exec with stdin
 * (openKubeExec in lib/kube/exec.ts, for probe-pod-shell.ts) carry it the same way, so the
 * framing below is the same whatever carries it. Sessions are pooled by session-pool.ts.
 *
 * Each command runs with stdin from /dev/null, its stdout and stderr into files of a temp dir the
 * session made, then the session prints a header `<tag> <exit> <stdout bytes> <stderr bytes>` and
 * both files: exact bytes, whatever the command printed (NULs of /proc/PID/cmdline included).
 * Arguments are single-quoted, never interpreted. Every command carries the exec marker in its
 * environment, so a command past its deadline is killed in the node as with a one-off exec
 * (container-exec.ts). On close() the session's shell is told to exit: its trap removes its temp dir
 * and prints a last line, and only then is its stdin closed. That order matters where a transport
 * cannot close stdin alone (a Kubernetes exec on a server older than v5.channel.k8s.io: there the
 * end of stdin is the end of the connection, and nothing the shell did after it can be seen).
 */
import { randomUUID } from 'node:crypto';
import type { Readable, Writable } from 'node:stream';
import { execa } from 'execa';
import type { ShellResult } from '../node-shell.ts';

/** How long the start of a session (the shell's first answer) may take. */
const START_TIMEOUT_MS = 15_000;
/** What the session's trap prints once it removed the temp dir, as the shell exits. */
const CLOSED_LINE = 'pc-session-closed\n';
/** How long the end of a session (its trap removing the temp dir) may take before it is killed. */
const CLOSE_TIMEOUT_MS = 5_000;

/** `'it'\''s'`: a word the shell takes as it is. */
export function shellQuote(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The text the session's shell runs for one command (`marker`: VARIABLE=value in its environment). */
export function sessionCommandText(argv: string[], marker: string, tag: string): string {
  const [variable, value] = [marker.slice(0, marker.indexOf('=')), marker.slice(marker.indexOf('=') + 1)];
  return [
    `${variable}=${shellQuote(value)} ${argv.map(shellQuote).join(' ')} </dev/null >"$PC_T/o" 2>"$PC_T/e"; pc_rc=$?`,
    `printf '%s %s %s %s\\n' ${shellQuote(tag)} "$pc_rc" "$(($(wc -c <"$PC_T/o")))" "$(($(wc -c <"$PC_T/e")))"; cat "$PC_T/o" "$PC_T/e"`,
    '',
  ].join('\n');
}

export interface ExecSessionOptions {
  /**
   * The one-off exec the session stands in for: 'strip' (execa's default, the `docker exec` CLI's
   * shell) takes one final newline off stdout and stderr; 'keep' leaves the bytes as the command
   * wrote them (the engine's exec API through testcontainers, a Kubernetes exec).
   */
  finalNewline?: 'strip' | 'keep';
}

/** execa's default: one final newline off, as a one-off exec's result has it. */
function stripFinalNewline(text: string): string {
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** How a session's transport ended: the exit its far end told, or why it failed. */
export interface TransportEnd {
  exitCode?: number;
  /** Set when the transport failed rather than the shell exiting (a cut connection, an exec refused). */
  failure?: string;
}

/** What carries a session's shell (`sh -s` somewhere): its standard streams and its end. */
export interface SessionTransport {
  /** The shell's stdin; end() closes it (the shell then reads end of input and exits). */
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles, never rejects, once the far end is over. */
  readonly ended: Promise<TransportEnd>;
  /** Cuts the transport at once. What ran at the far end may go on: its owner kills it by its marker. */
  abort(): void;
}

/** A child process of this machine that runs a POSIX shell reading its script from stdin (`docker exec -i --env M=v node sh -s`). */
export function execaTransport(file: string, args: string[]): SessionTransport {
  const child = execa(file, args, { reject: false, buffer: false, stdin: 'pipe', stdout: 'pipe', stderr: 'pipe', encoding: 'buffer' });
  return {
    stdin: child.stdin!,
    stdout: child.stdout!,
    stderr: child.stderr!,
    ended: child.then(
      (result) => (result.exitCode === undefined ? { failure: result.shortMessage ?? `${file} could not be run` } : { exitCode: result.exitCode }),
      (error: unknown) => ({ failure: error instanceof Error ? error.message : String(error) }),
    ),
    abort: () => child.kill('SIGKILL'),
  };
}

/** How much of what the session's shell said on stderr is kept, to say why it ended. */
const STDERR_TAIL = 200;

interface Pending {
  tag: string;
  resolve: (result: ShellResult) => void;
  reject: (error: Error) => void;
}

export class ExecSession {
  private readonly transport: SessionTransport;
  private buffered = Buffer.alloc(0);
  private pending: Pending | undefined;
  private ended: string | undefined;
  /** Told when the late answer of a timed-out command has come (or the session ended): drain() waits on it. */
  private lateAnswer: (() => void) | undefined;

  /** Told when the trap's last line came, once close() told the shell to exit. */
  private closedLine: (() => void) | undefined;
  /** The end of what the shell itself said on stderr (not its commands': theirs go to files). */
  private stderrTail = Buffer.alloc(0);

  private readonly finalNewline: 'strip' | 'keep';

  private constructor(transport: SessionTransport, options: ExecSessionOptions) {
    this.transport = transport;
    this.finalNewline = options.finalNewline ?? 'strip';
    transport.stdout.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.deliver();
    });
    transport.stderr.on('data', (chunk: Buffer) => {
      const joined = Buffer.concat([this.stderrTail, chunk]);
      this.stderrTail = joined.subarray(Math.max(0, joined.length - STDERR_TAIL));
    });
    void transport.ended.then((end) =>
      this.end(end.failure !== undefined ? `the session's shell failed: ${end.failure}` : `the session's shell ended (exit ${end.exitCode ?? 'none'}: ${this.stderrTail.toString('utf8').trim()})`),
    );
  }

  /**
   * Starts `file args...`, which must run a POSIX shell reading its script from stdin (e.g.
   * `docker exec -i --env M=v node sh -s`), and waits for its first answer.
   */
  static start(file: string, args: string[], options: ExecSessionOptions = {}): Promise<ExecSession> {
    return ExecSession.over(execaTransport(file, args), options);
  }

  /** Starts a session over a transport whose far end is a POSIX shell reading its script from stdin; waits for its first answer. */
  static async over(transport: SessionTransport, options: ExecSessionOptions = {}): Promise<ExecSession> {
    const session = new ExecSession(transport, options);
    transport.stdin.write(`PC_T=$(mktemp -d /tmp/pause-conformance-session.XXXXXX) || exit 1\ntrap 'rm -rf "$PC_T"; echo ${CLOSED_LINE.trim()}' EXIT\n`);
    const first = await session.run(['true'], START_TIMEOUT_MS);
    if (first.exitCode !== 0) {
      await session.close();
      throw new Error(`the session did not start: ${first.stderr.trim() || `exit ${first.exitCode}`}`);
    }
    return session;
  }

  /** Whether the session can take another command. */
  get usable(): boolean {
    return this.ended === undefined;
  }

  /**
   * Runs argv in the session. Resolves with its result, or with exit 124 after `timeoutMs` (the
   * caller then kills the marked command in the node; the session stays usable once its answer
   * has come, or is closed by the caller). Rejects when the session itself ended.
   */
  run(argv: string[], timeoutMs: number, marker = `PAUSE_CONFORMANCE_EXEC=${randomUUID()}`): Promise<ShellResult> {
    if (this.ended !== undefined) return Promise.reject(new Error(this.ended));
    if (this.pending) return Promise.reject(new Error('an exec session runs one command at a time'));
    const tag = `pc-session-${randomUUID()}`;
    return new Promise<ShellResult>((resolve, reject) => {
      const timer = setTimeout(() => {
        // The answer may still come (after the caller's kill): it is read and dropped then.
        const settled = (): void => this.lateAnswer?.();
        this.pending = { tag, resolve: settled, reject: settled };
        resolve({ stdout: '', stderr: '', exitCode: 124 });
      }, timeoutMs);
      this.pending = {
        tag,
        resolve: (result) => {
          clearTimeout(timer);
          resolve(result);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.transport.stdin.write(sessionCommandText(argv, marker, tag));
    });
  }

  /** Whether a command's answer is still awaited (after a timeout, until it comes). */
  get busy(): boolean {
    return this.pending !== undefined;
  }

  /** Waits until the answer of a timed-out command has come, or `timeoutMs` passed; true if it came. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.pending && this.ended === undefined) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        new Promise<void>((resolve) => (this.lateAnswer = resolve)),
        new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
      ]);
      clearTimeout(timer);
      this.lateAnswer = undefined;
    }
    return this.pending === undefined && this.ended === undefined;
  }

  /**
   * Ends the session: its shell is told to exit (after the command it may still run), its trap
   * removes its temp dir and says so, then its stdin is closed and the transport ends; the
   * transport is cut if either step does not come in time (the owner kills a shell that hung by
   * its marker).
   */
  async close(): Promise<void> {
    const timeout = (): { promise: Promise<false>; clear: () => void } => {
      let timer: NodeJS.Timeout | undefined;
      const promise = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), CLOSE_TIMEOUT_MS)));
      return { promise, clear: () => clearTimeout(timer) };
    };
    const transportEnded = this.transport.ended.then(() => true as const);
    let said = true;
    if (this.ended === undefined && this.transport.stdin.writable) {
      const saidClosed = new Promise<true>((resolve) => (this.closedLine = () => resolve(true)));
      this.transport.stdin.write('exit\n');
      this.deliver();
      const first = timeout();
      said = await Promise.race([transportEnded, saidClosed, first.promise]);
      first.clear();
    }
    if (this.transport.stdin.writable) this.transport.stdin.end();
    const second = timeout();
    const ended = said && (await Promise.race([transportEnded, second.promise]));
    second.clear();
    if (!ended) this.transport.abort();
    this.end('the session was closed');
  }

  private end(why: string): void {
    if (this.ended === undefined) this.ended = why;
    const pending = this.pending;
    this.pending = undefined;
    pending?.reject(new Error(why));
  }

  /** Reads every complete answer out of what the shell printed, then, once it was told to exit, its trap's last line. */
  private deliver(): void {
    this.deliverAnswers();
    if (this.closedLine && !this.pending && this.buffered.toString('latin1').endsWith(CLOSED_LINE)) {
      this.closedLine();
      this.closedLine = undefined;
    }
  }

  private deliverAnswers(): void {
    while (this.pending) {
      const newline = this.buffered.indexOf(0x0a);
      if (newline < 0) return;
      const header = this.buffered.subarray(0, newline).toString('utf8').split(' ');
      const [tag, exit, outBytes, errBytes] = [header[0], Number(header[1]), Number(header[2]), Number(header[3])];
      if (tag !== this.pending.tag || header.length !== 4 || ![exit, outBytes, errBytes].every(Number.isInteger)) {
        this.end(`the session printed something that is not an answer: ${JSON.stringify(this.buffered.subarray(0, Math.min(newline, 200)).toString('utf8'))}`);
        return;
      }
      const total = newline + 1 + outBytes + errBytes;
      if (this.buffered.length < total) return;
      const stdout = this.buffered.subarray(newline + 1, newline + 1 + outBytes).toString('utf8');
      const stderr = this.buffered.subarray(newline + 1 + outBytes, total).toString('utf8');
      this.buffered = this.buffered.subarray(total);
      const pending = this.pending;
      this.pending = undefined;
      const finish = this.finalNewline === 'strip' ? stripFinalNewline : (text: string): string => text;
      pending.resolve({ stdout: finish(stdout), stderr: finish(stderr), exitCode: exit });
    }
  }
}
