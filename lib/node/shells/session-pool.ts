/**
 * The long-lived exec sessions (exec-session.ts) a node shell keeps open, whatever carries them
 * (`docker exec -i`, an engine's exec API, a Kubernetes exec): up to `size` sessions, one command
 * each at a time; a command waits for a free one when all are busy. A command past its deadline is
 * killed in the node by its marker and its session kept once the late answer has come; a session
 * that ends under a command is dropped and that command runs through the shell's one-off exec.
 * When no session can start at all (the first start failed), every later command uses the one-off
 * exec, and the shell's facts say why.
 */
import type { ShellResult } from '../node-shell.ts';
import { newExecMarker, timedOut } from './container-exec.ts';
import type { ExecSession } from './exec-session.ts';

/** How long the late answer of a killed command may take before its session is given up. */
const DRAIN_TIMEOUT_MS = 10_000;
/** How long close() waits for sessions still running a command to come back (then their shells are killed, temp dirs and all). */
const IN_FLIGHT_WAIT_MS = 10_000;

export interface SessionPoolOptions {
  /** At most this many sessions open at once; 0: no session, every command through the one-off exec. */
  size: number;
  /** Where the sessions run, for the facts: "the container", "the probe pod". */
  where: string;
  /** Starts one session whose shell carries `sessionMarker` (VARIABLE=value) in its environment. */
  start: (sessionMarker: string) => Promise<ExecSession>;
  /** Kills, in the node, every process whose environment holds `marker`; says what it found. */
  killMarked: (marker: string) => Promise<string>;
}

export class SessionPool {
  private readonly options: SessionPoolOptions;
  private readonly idle: ExecSession[] = [];
  private readonly waiting: Array<(session: ExecSession | undefined) => void> = [];
  private sessionCount = 0;
  private sessionsStarted = false;
  /** Why sessions are not used (they could not start, or the pool was closed). */
  private sessionsOff: string | undefined;
  private closing: Promise<void> | undefined;
  /** Closes of sessions that left the pool, not yet done. */
  private readonly closings = new Set<Promise<void>>();
  /** Told when a session leaves the pool (close() waits on it for the ones still running a command). */
  private retired: (() => void) | undefined;
  private readonly sessionMarker = newExecMarker();

  constructor(options: SessionPoolOptions) {
    this.options = options;
  }

  /** How commands reach the node, for the shell's facts (`nodeCommands`). */
  get nodeCommands(): string {
    if (this.options.size === 0) return 'one exec per command';
    return this.sessionsOff ? `one exec per command (${this.sessionsOff})` : `up to ${this.options.size} long-lived exec sessions`;
  }

  /** Runs argv (carrying `marker`) in a session, or through `once` (the shell's one-off exec) when no session can be had. */
  async run(argv: string[], timeoutMs: number, marker: string, once: () => Promise<ShellResult>): Promise<ShellResult> {
    const session = await this.acquire();
    if (!session) return once();
    let result: ShellResult;
    try {
      result = await session.run(argv, timeoutMs, marker);
    } catch {
      // The session itself ended (its exec was cut): this command goes through an exec of its own.
      this.discard(session);
      return once();
    }
    if (result.exitCode === 124 && session.busy) {
      const killed = await this.options.killMarked(marker);
      if (await session.drain(DRAIN_TIMEOUT_MS)) this.release(session);
      else {
        await session.close();
        this.discard(session);
      }
      return timedOut(result, timeoutMs, killed);
    }
    this.release(session);
    return result;
  }

  /** Ends every session (their shells remove their temp dirs); later commands use the one-off exec. Once; a second call waits for the first. */
  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    this.sessionsOff ??= 'closed';
    for (const wake of this.waiting.splice(0)) wake(undefined);
    for (const session of this.idle.splice(0)) this.retire(session);
    // A session still running a command comes back when it ends (each has its deadline) and is closed then.
    const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
    while (this.sessionCount > 0 && Date.now() < deadline) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.retired = resolve;
        timer = setTimeout(resolve, deadline - Date.now());
      });
      clearTimeout(timer);
      this.retired = undefined;
    }
    await Promise.all([...this.closings]);
    if (!this.sessionsStarted) return;
    // A session that did not end by itself (its shell hung) is killed in the node by its marker.
    await this.options.killMarked(this.sessionMarker);
  }

  private async acquire(): Promise<ExecSession | undefined> {
    if (this.options.size === 0 || this.sessionsOff) return undefined;
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.sessionCount < this.options.size) {
      this.sessionCount++;
      this.sessionsStarted = true;
      try {
        return await this.options.start(this.sessionMarker);
      } catch (error) {
        this.sessionCount--;
        this.retired?.();
        this.sessionsOff ??= `no session in ${this.options.where}: ${error instanceof Error ? error.message : String(error)}`;
        return undefined;
      }
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(session: ExecSession): void {
    const next = this.waiting.shift();
    if (next) next(session);
    else if (this.sessionsOff) this.retire(session);
    else this.idle.push(session);
  }

  /** A session leaves the pool: it is closed (its shell removes its temp dir), and close() may stop waiting for it. */
  private retire(session: ExecSession): void {
    this.sessionCount--;
    const closing: Promise<void> = session.close().finally(() => this.closings.delete(closing));
    this.closings.add(closing);
    this.retired?.();
  }

  private discard(session: ExecSession): void {
    this.retire(session);
    // Whoever waited for a session starts one of its own (or falls back to one exec).
    const next = this.waiting.shift();
    if (next) void this.acquire().then(next);
  }
}
