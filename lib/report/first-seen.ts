/**
 * Watches several conditions at once and records when each was first seen true, relative to a
 * start time. Used to time teardown: from the delete call to pause gone, netns gone, IP released.
 */
import { WaitTimeoutError } from '../wait.ts';
import { setTimeout as delay } from 'node:timers/promises';

export type Condition = () => Promise<boolean>;

export interface FirstSeen {
  /** ms from start to the first probe that saw the condition true. */
  [name: string]: number;
}

/**
 * Probes every condition each `intervalMs` until all are true or the deadline passes, and
 * returns when each turned true. A condition still false at the deadline fails the watch with its name.
 */
export async function watchFirstSeen(conditions: Record<string, Condition>, startMs: number, options: { timeoutMs: number; intervalMs?: number }): Promise<FirstSeen> {
  const seen: FirstSeen = {};
  const pending = new Set(Object.keys(conditions));
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    await Promise.all(
      [...pending].map(async (name) => {
        if (await conditions[name]!()) {
          seen[name] = Date.now() - startMs;
          pending.delete(name);
        }
      }),
    );
    if (pending.size === 0) return seen;
    if (Date.now() >= deadline) {
      throw new WaitTimeoutError([...pending].join(', '), options.timeoutMs, `seen so far: ${JSON.stringify(seen)}`);
    }
    await delay(options.intervalMs ?? 5);
  }
}
