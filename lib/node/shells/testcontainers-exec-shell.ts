/**
 * A NodeShell into a container started by testcontainers (the k3s node): commands run through the
 * engine's exec API (StartedTestContainer.exec), as the container's user (root in k3s), inside the
 * node container where crictl and ctr live. exec takes no timeout of its own, so a deadline bounds
 * each call, and a command past it is killed in the container (the exec API has no kill: see
 * container-exec.ts); a command missing in the container is exit 127, as from a shell.
 */
import type { StartedTestContainer } from 'testcontainers';
import type { NodeShell, ShellResult } from '../node-shell.ts';
import { EXEC_MARKER_VARIABLE, killMarkedArgv, newExecMarker, reportMissingCommand, timedOut } from './container-exec.ts';

const KILL_TIMEOUT_MS = 10_000;

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

export class TestcontainersExecShell implements NodeShell {
  readonly describe: string;
  private readonly container: StartedTestContainer;

  constructor(container: StartedTestContainer, engine = 'docker') {
    this.container = container;
    // The same command by hand, for error messages.
    this.describe = `${engine} exec ${container.getId().slice(0, 12)}`;
  }

  async run(argv: string[], options: { timeoutMs?: number } = {}): Promise<ShellResult> {
    if (argv.length === 0) throw new Error('empty command');
    const timeoutMs = options.timeoutMs ?? 30_000;
    const marker = newExecMarker();
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
