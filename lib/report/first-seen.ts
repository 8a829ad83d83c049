/**
 * Watches several conditions at once and records when each was first seen true, relative to a
 * start time. Used to time teardown: from the delete call to pause gone, netns gone, IP released.
 */
import { WaitTimeoutError } from '../wait.ts';
import { setTimeout as delay } from 'node:timers/promises';
import type { ChangeWaiter } from './change-waiter.ts';

export type Condition = () => Promise<boolean>;

export interface FirstSeen {
  /** ms from start to the first probe that saw the condition true. */
  [name: string]: number;
}

/**
 * The wait between two looks of one condition: for its waiter's next change (change-waiter.ts),
 * or `intervalMs` where it has none (lookCause() then says which made the look).
 */
export async function untilNextLook(waiter: ChangeWaiter | undefined, intervalMs: number): Promise<void> {
  if (waiter) await waiter.next();
  else await delay(intervalMs);
}

/** What made the latest look of a condition: its waiter's cause, or the poll. */
export function lookCause(waiter: ChangeWaiter | undefined, intervalMs: number): string {
  return waiter ? waiter.cause() : `poll every ${intervalMs} ms`;
}

/**
 * How long a look that saw a thing gone waits for its source's stamp of the removal, when not read
 * yet: the stamp is taken in time, but its line waits for this thread, which under the bench's CPU
 * hog at 16 pods was 300 ms behind (event-loop delay p99). The wait ends when the stamp comes.
 */
export const REMOVAL_STAMP_WAIT_MS = 300;

/**
 * When a condition a look just saw true turned true, in ms from `startMs`: where the condition is
 * exactly the absence of the things its waiter follows (`atRemoval`) and every one of them was told
 * gone (waited for up to REMOVAL_STAMP_WAIT_MS), the removal's own stamp (the source's, not this
 * thread's: right even when this thread was busy), if before the look; else the look.
 * `confirmedMs` is the look, when the stamp was used.
 */
export async function turnedTrueAt(waiter: ChangeWaiter | undefined, atRemoval: boolean, startMs: number): Promise<{ ms: number; confirmedMs?: number }> {
  const lookedMs = Date.now() - startMs;
  if (!atRemoval || !waiter) return { ms: lookedMs };
  await waiter.untilGoneTold(REMOVAL_STAMP_WAIT_MS);
  const goneAt = waiter.goneAt();
  // Whole ms, as the look's Date.now(): a stamp in the look's own ms is not after it.
  const stampMs = goneAt === undefined ? undefined : Math.round(goneAt - startMs);
  if (stampMs === undefined || stampMs > lookedMs) return { ms: lookedMs };
  return { ms: stampMs, confirmedMs: lookedMs };
}

export interface WatchOptions {
  timeoutMs: number;
  /** Between two looks of a condition with no waiter. */
  intervalMs?: number;
  /** Per condition: wait for the node's next change of its things instead of `intervalMs` (change-waiter.ts). */
  waiters?: Record<string, ChangeWaiter>;
  /** Filled per condition with what made the look that saw it true ("containerd event /tasks/exit", "poll every 5 ms"). */
  causes?: Record<string, string>;
  /** Conditions that are exactly the absence of what their waiter follows: timed by the removal's stamp (turnedTrueAt). */
  atRemoval?: ReadonlySet<string>;
  /** Filled, for those timed by a removal's stamp, with when the look that confirmed it was (ms from start). */
  confirmedAt?: Record<string, number>;
}

/**
 * Looks at every condition, again at each change of its things on the node (its waiter) or
 * every `intervalMs` where it has none, until all are true or the deadline passes, and
 * returns when each turned true. Each condition is probed on its own loop, so a slow probe (a
 * runtime call, a spawned command) does not delay when a fast one is seen: in lock-step rounds
 * every condition was seen as late as the slowest probe of the round (npm run bench measured it).
 * A condition still false at the deadline fails the watch with every name still pending; a probe
 * that throws fails it with that error; either way the other loops stop.
 */
export async function watchFirstSeen(conditions: Record<string, Condition>, startMs: number, options: WatchOptions): Promise<FirstSeen> {
  const seen: FirstSeen = {};
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 5;
  let stopped = false;
  const watchOne = async (name: string, condition: Condition): Promise<void> => {
    const waiter = options.waiters?.[name];
    while (!stopped) {
      if (await condition()) {
        const turned = await turnedTrueAt(waiter, options.atRemoval?.has(name) ?? false, startMs);
        seen[name] = turned.ms;
        if (turned.confirmedMs !== undefined && options.confirmedAt) options.confirmedAt[name] = turned.confirmedMs;
        if (options.causes) options.causes[name] = lookCause(waiter, interval);
        return;
      }
      if (Date.now() >= deadline) {
        const pending = Object.keys(conditions).filter((n) => !(n in seen));
        throw new WaitTimeoutError(pending.join(', '), options.timeoutMs, `seen so far: ${JSON.stringify(seen)}`);
      }
      await untilNextLook(waiter, interval);
    }
  };
  await Promise.all(
    Object.entries(conditions).map(([name, condition]) =>
      watchOne(name, condition).catch((error: unknown) => {
        stopped = true;
        throw error;
      }),
    ),
  );
  return seen;
}
