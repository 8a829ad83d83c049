/**
 * What a finished command gave back, wherever it ran: on a node through a NodeShell, in a
 * container through CRI ExecSync, in a pod through the Kubernetes API.
 */
export interface CommandResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}
