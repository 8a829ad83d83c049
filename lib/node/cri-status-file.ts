/**
 * The CRI plugin of containerd keeps each container's status in <rootDir>/containers/<id>/status
 * (rootDir: <containerd root>/io.containerd.grpc.v1.cri), rewritten whole (a temp file renamed over
 * it) at every change; at a container's exit it writes FinishedAt, then answers "exited". 1.6.20,
 * 1.7.24 and 2.1.9 write the same fields (fixtures/recorded/cri-container-status-files.txt).
 *
 * A teardown watch follows the file's rename (inotify) as the moment the CRI records an exit, and
 * reads the file to skip asking the CRI while it can only say "running": the CRI's answer alone
 * decides "gone", the file only says when asking is worth it. A file this cannot read says nothing.
 */
import { readFileSync } from 'node:fs';
import { posix } from 'node:path';

export function criContainerStatusPath(criRootDir: string, containerId: string): string {
  return posix.join(criRootDir, 'containers', containerId, 'status');
}

/** The CRI's plugin directory from its Status info ("config": {"rootDir": ".../io.containerd.grpc.v1.cri"}), where containerd says it. */
export function criRootDirFromStatusInfo(info: Record<string, string>): string | undefined {
  try {
    const rootDir = (JSON.parse(info['config'] ?? '{}') as { rootDir?: unknown }).rootDir;
    return typeof rootDir === 'string' && rootDir.endsWith('/io.containerd.grpc.v1.cri') ? rootDir : undefined;
  } catch {
    return undefined;
  }
}

/** StartedAt and FinishedAt (ns since the epoch, 0 until set) as the file says them, or undefined when it says neither. */
function statusTimes(text: string): { startedAt: number; finishedAt: number } | undefined {
  try {
    const status = JSON.parse(text) as { StartedAt?: unknown; FinishedAt?: unknown };
    if (typeof status.StartedAt !== 'number' || typeof status.FinishedAt !== 'number') return undefined;
    return { startedAt: status.StartedAt, finishedAt: status.FinishedAt };
  } catch {
    return undefined;
  }
}

/** true while the file says started and not finished, false once it says finished (or never started), undefined when it says neither. */
export function runningPerStatusFile(text: string): boolean | undefined {
  const times = statusTimes(text);
  return times && times.startedAt > 0 && times.finishedAt === 0;
}

/** true when the file says the container ran and finished: the CRI recorded its exit. */
export function exitRecordedPerStatusFile(text: string): boolean {
  const times = statusTimes(text);
  return times !== undefined && times.startedAt > 0 && times.finishedAt > 0;
}

/** Whether the status file at `file`, read now on this machine, records the exit; a file removed or caught mid-rewrite says nothing (false). */
export function exitRecordedInStatusFile(file: string): boolean {
  try {
    return exitRecordedPerStatusFile(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

/**
 * The file of a container on this machine, read: as runningPerStatusFile, undefined when it is not
 * there (removed, or another layout). Read at once, not through libuv's 4 pool threads, which at 16
 * pods in teardown queue behind every other file a run reads: a small file just written is in the page cache.
 */
export async function localContainerRunningPerStatusFile(criRootDir: string, containerId: string): Promise<boolean | undefined> {
  try {
    return runningPerStatusFile(readFileSync(criContainerStatusPath(criRootDir, containerId), 'utf8'));
  } catch {
    return undefined;
  }
}
