/**
 * The thread of dir-watchers.ts: inotify (fs.watch) on the directories it is told, each entry
 * change stamped on this thread's own event loop, which has nothing else to do, and at nice -10
 * (this thread only: setpriority() of a thread id renices that thread on Linux). On the main
 * thread the stamp waited for whatever the run was doing: at 16 pods in flight a netns unlink
 * reached the watch 300 ms late (npm run bench, 2026-12-03), with the busy loops of the CPU hog
 * longer. inotify says "rename" for a creation and a removal alike; the entry's absence right
 * after the event tells which.
 */
import { existsSync, readFileSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../errors.ts';
import { reniceThisThread } from '../linux/thread-priority.ts';
import type { DirWatchThreadData, FromDirWatchThread, ToDirWatchThread, WatchReply } from './dir-watchers.ts';
import { exitRecordedPerStatusFile } from './cri-status-file.ts';

const port = parentPort!;
const { answered, replies } = workerData as DirWatchThreadData;
const post = (message: FromDirWatchThread): void => port.postMessage(message);
/** Answers a watch request on the reply port, then wakes the main thread, which waits for it. */
const answer = (seq: number, reply: WatchReply): void => {
  replies.postMessage(reply);
  Atomics.store(answered, 0, seq);
  Atomics.notify(answered, 0);
};
const now = (): number => performance.timeOrigin + performance.now();

// Not root: the stamps are still this idle thread's, only not ahead of the runtime's work.
const priority = reniceThisThread(-10);

/** Whether a container's CRI status file says it ran and finished (a file caught mid-rewrite says nothing). */
function exitRecordedIn(file: string): boolean {
  try {
    return exitRecordedPerStatusFile(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
}

const watchers = new Map<string, FSWatcher>();
port.on('message', (message: ToDirWatchThread) => {
  const { dir, seq, criStatus } = message;
  if (watchers.has(dir)) return answer(seq, {});
  try {
    const watcher = watch(dir, (_type, name) => {
      if (!name) return;
      const atMs = now();
      const fullPath = path.join(dir, name.toString());
      const removed = !existsSync(fullPath);
      // A CRI status file rewritten with the exit: read here, at once, as the stamp is taken.
      const exitRecorded = criStatus === true && name.toString() === 'status' && !removed && exitRecordedIn(fullPath);
      post({ kind: 'change', path: fullPath, atMs, gone: removed || exitRecorded });
    });
    watcher.on('error', (error) => {
      // The directory itself went (a run's netns directory at its end): its entries are polled from now on.
      watcher.close();
      watchers.delete(dir);
      post({ kind: 'ended', dir, why: `inotify on ${dir} ended: ${messageOf(error)}` });
    });
    watchers.set(dir, watcher);
    answer(seq, {});
  } catch (error) {
    answer(seq, { why: `inotify on ${dir} refused: ${messageOf(error)}` });
  }
});
post({ kind: 'ready', priority });
