/**
 * A NodeShell into a node that is a container of a container engine: a kind node (docker,
 * podman, nerdctl). Commands run as `<engine> exec --privileged <container> argv...`, exactly as
 * kind's own node command builder runs them (pkg/cluster/internal/providers/{docker,podman,nerdctl}/node.go), so a
 * failing command prints a line the user can paste. A command missing in the node is exit 127, and
 * a command past its deadline is killed in the node, not only on this side (container-exec.ts).
 */
import { execa } from 'execa';
import type { NodeShell, ShellResult } from '../node-shell.ts';
import { killMarkedArgv, newExecMarker, reportMissingCommand, timedOut } from './container-exec.ts';
import { ExecSession } from './exec-session.ts';
import { SessionPool } from './session-pool.ts';

/** The argv of one command in the container, for the engine binary; `marker` (VARIABLE=value) goes into its environment. */
export function containerExecArgs(container: string, argv: string[], marker?: string): string[] {
  return ['exec', '--privileged', ...(marker ? ['--env', marker] : []), container, ...argv];
}

/**
 * Sessions a node shell keeps open: the teardown watch probes pause, containers, netns, veth and IP
 * side by side, so fewer would queue them (each look would be seen late); more would only hold
 * shells open on the node.
 */
export const NODE_EXEC_SESSIONS = 6;

/** How long the kill of a timed-out command may take. */
const KILL_TIMEOUT_MS = 10_000;

export interface ContainerExecShellOptions {
  /**
   * Up to this many long-lived shells in the container (exec-session.ts) run the commands, one
   * command each at a time, instead of one exec per command; 0: one exec per command. The owner
   * of a shell with sessions calls close() when the run ends.
   */
  sessions?: number;
}

export class ContainerExecShell implements NodeShell {
  readonly describe: string;
  private readonly engine: string;
  private readonly container: string;
  private readonly sessions: SessionPool;

  constructor(engine: string, container: string, options: ContainerExecShellOptions = {}) {
    this.engine = engine;
    this.container = container;
    this.describe = `${engine} exec --privileged ${container}`;
    this.sessions = new SessionPool({
      size: options.sessions ?? 0,
      where: 'the container',
      start: (sessionMarker) => ExecSession.start(this.engine, ['exec', '-i', '--privileged', '--env', sessionMarker, this.container, 'sh', '-s']),
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

  private async runOnce(argv: string[], timeoutMs: number, marker: string): Promise<ShellResult> {
    const result = await execa(this.engine, containerExecArgs(this.container, argv, marker), { reject: false, timeout: timeoutMs, stdin: 'ignore' });
    if (result.timedOut) return timedOut({ stdout: String(result.stdout), stderr: String(result.stderr) }, timeoutMs, await this.killMarked(marker));
    // The engine binary itself could not run (not installed): say so the way a shell would, 127.
    if (result.exitCode === undefined) return { stdout: '', stderr: result.shortMessage ?? `${this.engine} could not be run`, exitCode: 127 };
    return reportMissingCommand(argv, { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode });
  }

  /** Kills what the timed-out command left running in the container; says what it found. */
  private async killMarked(marker: string): Promise<string> {
    const killer = await execa(this.engine, containerExecArgs(this.container, killMarkedArgv(marker)), { reject: false, timeout: KILL_TIMEOUT_MS, stdin: 'ignore' });
    if (killer.exitCode !== 0) return `could not kill it in the container (exit ${killer.exitCode ?? 'none'}: ${String(killer.stderr).trim()})`;
    const pids = String(killer.stdout).trim().split('\n').filter(Boolean);
    return pids.length > 0 ? `killed in the container: pid ${pids.join(', ')}` : 'nothing of it was left running in the container';
  }
}
