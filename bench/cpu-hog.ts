/**
 * The under-load level's CPU hog: one busy loop per core, at normal priority (nice 0, as the
 * harness and containerd), so every core is contended while the lifecycles run. Each loop is a
 * guarded child (bench/guarded-child.ts: gone when the bench ends, however it ends) and ends itself
 * after HOG_MAX_S anyway (`timeout`), so not even a lost guard leaves a core spinning for long.
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
  for (let i = 0; i < count; i++) loops.push(startGuarded(`timeout ${HOG_MAX_S} sh -c 'while :; do :; done'`));
  return {
    loops: count,
    stop: () => handle.run(),
  };
}
