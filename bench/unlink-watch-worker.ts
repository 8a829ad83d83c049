/**
 * Worker thread of bench/ground-truth.ts: watches directories with inotify (fs.watch) and posts
 * the time each entry disappeared, and when the CRI recorded a container's exit in its status file. It runs on its own event loop, so the main thread's work (the
 * harness polling at concurrency 16) does not delay the timestamps it takes; and at nice -10 (this
 * thread only), so the bench's CPU hog (busy loops at nice 0 on every core) does not either: a
 * stamp taken late would make the harness look early.
 */
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { exitRecordedPerStatusFile } from '../lib/node/cri-status-file.ts';
import { reniceThisThread } from '../lib/linux/thread-priority.ts';

export interface UnlinkEvent {
  dir: string;
  name: string;
  /** ms since the epoch, with sub-ms precision. */
  atMs: number;
}

/** When the CRI wrote a container's exit into its status file (its directory's `status`, FinishedAt set). */
export interface ExitRecordedEvent {
  exitRecorded: string;
  atMs: number;
}

/** The worker's first message: watching, and at which priority its stamps are taken. */
export interface WatchingMessage {
  watching: true;
  priority: string;
}

const now = (): number => performance.timeOrigin + performance.now();
const priority = reniceThisThread(-10);
const dirs = (workerData as { dirs: string[] }).dirs;
const watchers: FSWatcher[] = [];
for (const dir of dirs) {
  watchers.push(
    watch(dir, (type, name) => {
      if (type !== 'rename' || !name) return;
      const atMs = now();
      // inotify reports creation and removal alike as "rename": only an entry that is gone counts.
      if (!existsSync(path.join(dir, name))) parentPort!.postMessage({ dir, name, atMs } satisfies UnlinkEvent);
    }),
  );
}
/**
 * A container's CRI directory (<cri root>/containers/<id>): the CRI rewrites `status` there (a temp
 * file renamed over it) at each change, the exit last; the first rewrite that carries FinishedAt is
 * when the CRI recorded the exit. Then this directory is no longer watched.
 */
function watchCriStatus(dir: string): void {
  const watcher = watch(dir, (_type, name) => {
    if (name !== 'status') return;
    const atMs = now();
    try {
      if (exitRecordedPerStatusFile(readFileSync(path.join(dir, name), 'utf8'))) {
        parentPort!.postMessage({ exitRecorded: path.basename(dir), atMs } satisfies ExitRecordedEvent);
        watcher.close();
      }
    } catch {
      // Removed with its container, or caught mid-rename: the next rewrite tells.
    }
  });
  watcher.on('error', () => watcher.close());
  watchers.push(watcher);
}

parentPort!.postMessage({ watching: true, priority } satisfies WatchingMessage);
parentPort!.on('message', (message: 'stop' | { criStatusDir: string }) => {
  if (message !== 'stop') {
    try {
      watchCriStatus(message.criStatusDir);
    } catch {
      // The container is already gone: its ground truth is missing, and counted so.
    }
    return;
  }
  for (const watcher of watchers) watcher.close();
  parentPort!.close();
});
