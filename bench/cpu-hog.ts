/**
 * The under-load level's CPU hog: one busy loop per core, at normal priority (nice 0, as the
 * harness and containerd), so every core is contended while the lifecycles run. Each loop is a
 * guarded child (bench/guarded-child.ts: gone when the bench ends, however it ends) and ends itself
 * after HOG_MAX_S anyway (`timeout`), so not even a lost guard leaves a core spinning for long.
 *
 * Each loop runs in a session of its own (`setsid`), as another workload on a node does (a
 * service, another user's job; containerd and every container are sessions of their own too).
 * The kernel's autogroup scheduler (sched_autogroup_enabled, on here) shares the CPU between
 * sessions first and by nice only inside one: loops in the bench's own session spent the bench's
 * share, and its threads at nice -10 (the sources' stamps, the ground truth's) then waited for
 * their session's turn behind every container. Measured at 16 pods under the hog (2026-12-03):
 * bench event-loop delay p99 210 ms, pauseGone lag p95 197 ms (its pidfd stamp late behind the
 * shim's reap), against 29 ms and -2 ms with the loops in sessions of their own; a watcher thread
 * woken by inotify beside two loops and four busy sessions: p95 11.8 ms late in the loops' session,
 * 4.2 ms with them apart.
 */
import os from 'node:os';
import type { UndoStack } from '../lib/cleanup/undo-stack.ts';
import { startGuarded, type GuardedChild } from './guarded-child.ts';

export const HOG_MAX_S = 900;

export interface CpuHog {
  loops: number;
  stop(): Promise<void>;
}

/** Starts os.availableParallelism() busy loops; their stop is in `undo` before the first starts. */
export function startCpuHog(undo: UndoStack): CpuHog {
  const loops: GuardedChild[] = [];
  const stop = async (): Promise<void> => {
    await Promise.all(loops.splice(0).map((loop) => loop.stop()));
  };
  const handle = undo.push('cpu hog (busy loops)', stop);
  const count = os.availableParallelism();
  for (let i = 0; i < count; i++) loops.push(startGuarded(`setsid timeout ${HOG_MAX_S} sh -c 'while :; do :; done'`));
  return {
    loops: count,
    stop: () => handle.run(),
  };
}
