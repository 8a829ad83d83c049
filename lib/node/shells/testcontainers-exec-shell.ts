/**
 * A NodeShell into a container started by testcontainers (the k3s node): commands run through the
 * engine's exec API (StartedTestContainer.exec), as the container's user (root in k3s), inside the node container where crictl
 * and ctr live. exec takes no timeout of its own, so a deadline bounds each call.
 */
import type { StartedTestContainer } from 'testcontainers';
import type { NodeShell, ShellResult } from '../node-shell.ts';

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
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<ShellResult>((resolve) => {
      timer = setTimeout(() => resolve({ stdout: '', stderr: `timed out after ${timeoutMs} ms`, exitCode: 124 }), timeoutMs);
    });
    try {
      const ran = this.container.exec(argv).then((result) => ({ stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode }));
      return await Promise.race([ran, deadline]);
    } finally {
      clearTimeout(timer);
    }
  }
}
