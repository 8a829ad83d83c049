/**
 * A NodeShell runs a command on the node that hosts the pods: here (local), in a kind node
 * container (docker exec), through microk8s, in a k3s testcontainer, or in a probe pod. Commands
 * are argument arrays, never shell strings built from input.
 */
import { execa } from 'execa';
import { runLocalProbe } from './local-fs-probes.ts';

export interface ShellResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface NodeShell {
  /** How a person would run the same command, for error messages: "docker exec kind-control-plane". */
  readonly describe: string;
  run(argv: string[], options?: { timeoutMs?: number }): Promise<ShellResult>;
}

/** Raised when a node command fails in a way the caller did not expect; prints a pasteable command. */
export class NodeCommandError extends Error {
  readonly result: ShellResult;
  constructor(shell: NodeShell, argv: string[], result: ShellResult) {
    const stderr = result.stderr.trim().split('\n').slice(-3).join(' | ');
    super(`node command failed (exit ${result.exitCode}): ${shell.describe ? shell.describe + ' ' : ''}${argv.join(' ')}${stderr ? `: ${stderr}` : ''}`);
    this.name = 'NodeCommandError';
    this.result = result;
  }
}

/** Runs argv and throws NodeCommandError on a non-zero exit. */
export async function runChecked(shell: NodeShell, argv: string[], timeoutMs?: number): Promise<string> {
  const result = await shell.run(argv, timeoutMs === undefined ? {} : { timeoutMs });
  if (result.exitCode !== 0) throw new NodeCommandError(shell, argv, result);
  return result.stdout;
}

/** Commands on this machine. The polled read-only probes (cat, test -e, readlink) read the file system directly: see local-fs-probes.ts. */
export class LocalShell implements NodeShell {
  readonly describe = '';
  async run(argv: string[], options: { timeoutMs?: number } = {}): Promise<ShellResult> {
    const [file, ...args] = argv;
    if (!file) throw new Error('empty command');
    const probe = await runLocalProbe(argv);
    if (probe) return probe;
    const result = await execa(file, args, { reject: false, timeout: options.timeoutMs ?? 30_000, stdin: 'ignore' });
    return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? (result.failed ? 127 : 0) };
  }
}
