/**
 * A NodeShell into a container started by testcontainers (the k3s node): commands run through the
 * engine's exec API, as the container's user (root in k3s), inside the node container where crictl
 * and ctr live. With `sessions`, up to that many long-lived `sh -s` execs (stdin attached, through
 * testcontainers' own engine client: engine-exec-transport.ts) run the commands, as the kind
 * shell's `docker exec -i` sessions do (session-pool.ts); the owner calls close() when the run
 * ends. Without, or where no session can start, one exec per command (StartedTestContainer.exec).
 * exec takes no timeout of its own, so a deadline bounds each call, and a command past it is killed
 * in the container (the exec API has no kill: see container-exec.ts); a command missing in the
 * container is exit 127, as from a shell.
 */
import type { StartedTestContainer } from 'testcontainers';
import type { NodeShell, ShellResult } from '../node-shell.ts';
import { EXEC_MARKER_VARIABLE, killMarkedArgv, newExecMarker, reportMissingCommand, timedOut } from './container-exec.ts';
import { engineExecTransport, type Demultiplexer, type EngineContainer } from './engine-exec-transport.ts';
import { ExecSession, type SessionTransport } from './exec-session.ts';
import { SessionPool } from './session-pool.ts';

const KILL_TIMEOUT_MS = 10_000;
/** How long the engine may take to create and start a session's exec. */
const SESSION_EXEC_TIMEOUT_MS = 15_000;

/** Races `work` against a deadline; undefined when the deadline came first. */
async function within<T>(work: Promise<T>, timeoutMs: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), timeoutMs);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export interface TestcontainersExecShellOptions {
  /** The engine's CLI, for the pasteable command in messages (default docker). */
  engine?: string;
  /** Up to this many long-lived exec sessions; 0 (default): one exec per command. */
  sessions?: number;
}

export class TestcontainersExecShell implements NodeShell {
  readonly describe: string;
  private readonly container: StartedTestContainer;
  private readonly sessions: SessionPool;

  constructor(container: StartedTestContainer, options: TestcontainersExecShellOptions = {}) {
    this.container = container;
    // The same command by hand, for error messages.
    this.describe = `${options.engine ?? 'docker'} exec ${container.getId().slice(0, 12)}`;
    this.sessions = new SessionPool({
      size: options.sessions ?? 0,
      where: 'the container',
      // Output exactly as the exec API's one-off gives it (StartedTestContainer.exec keeps the final newline).
      start: async (sessionMarker) => ExecSession.over(await this.sessionTransport(sessionMarker), { finalNewline: 'keep' }),
      killMarked: (marker) => this.killMarked(marker),
    });
  }

  /** How commands reach the container, for the report. */
  get facts(): Record<string, string> {
    return { nodeCommands: this.sessions.nodeCommands };
  }

  async run(argv: string[], options: { timeoutMs?: number } = {}): Promise<ShellResult> {
    if (argv.length === 0) throw new Error('empty command');
    const timeoutMs = options.timeoutMs ?? 30_000;
    const marker = newExecMarker();
    return this.sessions.run(argv, timeoutMs, marker, () => this.runOnce(argv, timeoutMs, marker));
  }

  /** Ends every session (their shells remove their temp dirs); later commands use one exec each. */
  close(): Promise<void> {
    return this.sessions.close();
  }

  /** A `sh -s` exec with stdin attached, through testcontainers' own client of the engine (loaded here, when a session is first wanted). */
  private async sessionTransport(sessionMarker: string): Promise<SessionTransport> {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const client = await getContainerRuntimeClient();
    const container: EngineContainer = client.container.getById(this.container.getId());
    const demux: Demultiplexer = (stream, stdout, stderr) => client.container.dockerode.modem.demuxStream(stream, stdout, stderr);
    const starting = engineExecTransport(container, demux, ['sh', '-s'], [sessionMarker]);
    const transport = await within(starting, SESSION_EXEC_TIMEOUT_MS);
    if (transport) return transport;
    // Should it come after all, it is no one's: cut it (its shell, with the session marker, is killed at close).
    void starting.then((late) => late.abort(), () => undefined);
    throw new Error(`the engine did not start the session's exec within ${SESSION_EXEC_TIMEOUT_MS} ms`);
  }

  private async runOnce(argv: string[], timeoutMs: number, marker: string): Promise<ShellResult> {
    const ran = this.container.exec(argv, { env: { [EXEC_MARKER_VARIABLE]: marker.slice(EXEC_MARKER_VARIABLE.length + 1) } });
    // Past the deadline the exec may still end (once killed): no longer anyone's news.
    ran.catch(() => undefined);
    const result = await within(ran, timeoutMs);
    if (!result) return timedOut({ stdout: '', stderr: '' }, timeoutMs, await this.killMarked(marker));
    return reportMissingCommand(argv, { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode });
  }

  private async killMarked(marker: string): Promise<string> {
    const killer = await within(this.container.exec(killMarkedArgv(marker)), KILL_TIMEOUT_MS).catch((error: unknown) => ({ exitCode: -1, stdout: '', stderr: String(error) }));
    if (!killer) return `could not kill it in the container (the kill did not answer within ${KILL_TIMEOUT_MS} ms)`;
    if (killer.exitCode !== 0) return `could not kill it in the container (exit ${killer.exitCode}: ${killer.stderr.trim()})`;
    const pids = killer.stdout.trim().split('\n').filter(Boolean);
    return pids.length > 0 ? `killed in the container: pid ${pids.join(', ')}` : 'nothing of it was left running in the container';
  }
}
