/**
 * A NodeShell runs a command on the node that hosts the pods: here (local), in a kind node
 * container (docker exec), through microk8s, in a k3s testcontainer, or in a probe pod (one class
 * each in shells/). Commands are argument arrays, never shell strings built from input.
 */
import type { CommandResult } from '../command-result.ts';
import { EnvironmentError } from '../errors.ts';

export type ShellResult = CommandResult;

export interface NodeShell {
  /** How a person would run the same command, for error messages: "docker exec kind-control-plane". */
  readonly describe: string;
  /** What the report should know of how this shell reaches the node (e.g. whose namespaces a probe enters and why). */
  readonly facts?: Record<string, string>;
  run(argv: string[], options?: { timeoutMs?: number }): Promise<ShellResult>;
  /** Ends what the shell keeps open on the node (long-lived exec sessions); the run's undo calls it. */
  close?(): Promise<void>;
}

/**
 * A node the harness cannot observe at all (e.g. no node process whose namespaces a probe may
 * enter): its checks are inconclusive, not failed. A run over several nodes goes on without it
 * and says so; a run with no other node stops with this one line (exit 2).
 */
export class NodeInconclusiveError extends EnvironmentError {
  readonly node: string;
  readonly reason: string;
  constructor(node: string, reason: string, todo: string) {
    super(`node ${node} cannot be observed, so its checks are inconclusive (none was run)`, reason, todo);
    this.name = 'NodeInconclusiveError';
    this.node = node;
    this.reason = reason;
  }
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
