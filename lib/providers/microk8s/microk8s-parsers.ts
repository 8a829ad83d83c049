/**
 * What the microk8s snap prints and keeps, read back. The messages and exit codes are the snap's
 * own (canonical/microk8s d099c907, the same on branches 1.28 to 1.35): the status wrapper
 * (microk8s-status.wrapper, `set -eu`) first runs the permission check (utils.sh
 * exit_if_no_permissions: exit 1), then prints the cluster-member lines (exit 0), then the
 * low-memory guard (utils.sh exit_if_low_memory_guard: a blank line, the message, exit 1), then
 * status.py: "not running, try microk8s start" (exit 0), or its verdict, and `if not is_ready:
 * sys.exit(1)` (since #3937, 2023): a cluster that is not ready exits 1, with or without
 * --wait-ready. The file formats are the snap's args files (one flag per line, ${SNAP_COMMON}
 * unexpanded) and containerd's TOML config.
 */

export type Microk8sStatusKind = 'running' | 'not-ready' | 'stopped' | 'no-permission' | 'cluster-member' | 'low-memory' | 'unknown';

export interface Microk8sStatus {
  kind: Microk8sStatusKind;
  /** The line the verdict came from (for messages). */
  line: string;
  /** The verdict's line came with an exit code the snap never gives it (e.g. "running" and exit 1). */
  unexpectedExit?: number;
}

/** Each verdict, the line it starts with, and the exit code the snap gives it. */
const VERDICTS: [RegExp, Microk8sStatusKind, number][] = [
  [/^microk8s is running\b/, 'running', 0],
  [/^microk8s is not running, try microk8s start/, 'stopped', 0],
  [/^microk8s is not running\. Use microk8s inspect/, 'not-ready', 1],
  [/^Insufficient permissions to access MicroK8s/, 'no-permission', 1],
  [/^This MicroK8s deployment is acting as a node in a cluster/, 'cluster-member', 0],
  [/^This node does not have enough RAM/, 'low-memory', 1],
];

/** `microk8s status [--wait-ready --timeout N]` (stdout and stderr together, and its exit code) -> its verdict. */
export function parseMicrok8sStatus(output: string, exitCode: number): Microk8sStatus {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  for (const line of lines) {
    for (const [pattern, kind, expectedExit] of VERDICTS) {
      if (!pattern.test(line)) continue;
      return exitCode === expectedExit ? { kind, line } : { kind, line, unexpectedExit: exitCode };
    }
  }
  return { kind: 'unknown', line: lines[0] ?? '(no output)' };
}

/** `microk8s version`: "MicroK8s v1.32.9 revision 8511" (older) or "MicroK8s v1.32.9 revision: 8511". */
export function parseMicrok8sVersion(output: string): string | undefined {
  const match = /^MicroK8s\s+(\S+)\s+revision:?\s*(\S+)/m.exec(output);
  return match ? `${match[1]} (snap revision ${match[2]})` : undefined;
}

export const SNAP_COMMON = '/var/snap/microk8s/common';
export const SNAP_DATA = '/var/snap/microk8s/current';

/** containerd's --root from the snap's args/containerd (default: the snap's own). */
export function containerdRootFromArgs(text: string, snapCommon = SNAP_COMMON, snapData = SNAP_DATA): string {
  for (const line of text.split('\n')) {
    const match = /^\s*--root(?:\s+|=)(\S+)\s*$/.exec(line);
    if (match) return match[1]!.replaceAll('${SNAP_COMMON}', snapCommon).replaceAll('${SNAP_DATA}', snapData);
  }
  return `${snapCommon}/var/lib/containerd`;
}
