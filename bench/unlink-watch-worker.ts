/**
 * Worker thread of bench/ground-truth.ts: watches directories with inotify (fs.watch) and posts
 * the time each entry disappeared. It runs on its own event loop, so the main thread's work (the
 * harness polling at concurrency 16) does not delay the timestamps it takes.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';

export interface UnlinkEvent {
  dir: string;
  name: string;
  /** ms since the epoch, with sub-ms precision. */
  atMs: number;
}

const now = (): number => performance.timeOrigin + performance.now();
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
parentPort!.postMessage('watching');
parentPort!.on('message', (message) => {
  if (message !== 'stop') return;
  for (const watcher of watchers) watcher.close();
  parentPort!.close();
});
