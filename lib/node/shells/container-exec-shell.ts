/**
 * A NodeShell into a node that is a container of a container engine: a kind node (docker,
 * podman, nerdctl). Commands run as `<engine> exec --privileged <container> argv...`, exactly as
 * kind's own node command builder runs them (pkg/cluster/internal/providers/{docker,podman,nerdctl}/node.go), so a
 * failing command prints a line the user can paste.
 */
import { execa } from 'execa';
import type { NodeShell, ShellResult } from '../node-shell.ts';

/** The argv of one command in the container, for the engine binary. */
export function containerExecArgs(container: string, argv: string[]): string[] {
  return ['exec', '--privileged', container, ...argv];
}

export class ContainerExecShell implements NodeShell {
  readonly describe: string;
  private readonly engine: string;
  private readonly container: string;

  constructor(engine: string, container: string) {
    this.engine = engine;
    this.container = container;
    this.describe = `${engine} exec --privileged ${container}`;
  }

  async run(argv: string[], options: { timeoutMs?: number } = {}): Promise<ShellResult> {
    if (argv.length === 0) throw new Error('empty command');
    const result = await execa(this.engine, containerExecArgs(this.container, argv), { reject: false, timeout: options.timeoutMs ?? 30_000, stdin: 'ignore' });
    if (result.timedOut) return { stdout: result.stdout, stderr: `${result.stderr}\ntimed out after ${options.timeoutMs ?? 30_000} ms`.trim(), exitCode: 124 };
    // The engine binary itself could not run (not installed): say so the way a shell would, 127.
    if (result.exitCode === undefined) return { stdout: '', stderr: result.shortMessage ?? `${this.engine} could not be run`, exitCode: 127 };
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode };
  }
}
