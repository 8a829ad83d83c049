/**
 * Worker thread of bench/ground-truth.ts: watches directories with inotify (fs.watch) and posts
 * the time each entry disappeared. It runs on its own event loop, so the main thread's work (the
 * harness polling at concurrency 16) does not delay the timestamps it takes; and at nice -10 (this
 * thread only), so the bench's CPU hog (busy loops at nice 0 on every core) does not either: a
 * stamp taken late would make the harness look early.
 */
import { existsSync, readlinkSync, watch, type FSWatcher } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

export interface UnlinkEvent {
  dir: string;
  name: string;
  /** ms since the epoch, with sub-ms precision. */
  atMs: number;
}

/** The worker's first message: watching, and at which priority its stamps are taken. */
export interface WatchingMessage {
  watching: true;
  priority: string;
}

const now = (): number => performance.timeOrigin + performance.now();
let priority: string;
try {
  // On Linux setpriority() of a thread id renices that thread alone; /proc/thread-self names it.
  const tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  os.setPriority(tid, -10);
  priority = 'nice -10';
} catch (error) {
  priority = `nice 0 (renice failed: ${error instanceof Error ? error.message : String(error)})`;
}
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
parentPort!.postMessage({ watching: true, priority } satisfies WatchingMessage);
parentPort!.on('message', (message) => {
  if (message !== 'stop') return;
  for (const watcher of watchers) watcher.close();
  parentPort!.close();
});
