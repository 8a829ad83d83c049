/**
 * When a sandbox turned NOTREADY, which the CRI keeps in its memory only (no file, no event on
 * containerd 1.6): the one way to see it is to ask, from the moment that precedes it (the sandbox
 * task's bundle removal) until the answer is no longer "ready". The harness's inotify thread asks
 * so and stamps the answer (dir-watch-thread.ts); the bench's ground truth asks so too, on a
 * thread of its own, and takes the earliest the turn can have been (bench/unlink-watch-worker.ts).
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { SandboxState } from './node-view.ts';

/** What the asks saw of the turn: it came after `afterMs` and by `byMs` (ms since the epoch). */
export interface SandboxTurn {
  /** When the last ask that got "ready" was sent, or the removal when the first answer was already not "ready". */
  afterMs: number;
  /** When the first answer that was not "ready" came. */
  byMs: number;
  asks: number;
}

export interface AskOptions {
  /** The least time between two asks (from one's sending to the next's). */
  everyMs: number;
  /** No ask is sent this long after the removal. */
  forMs: number;
  /** Whether the first ask waits `everyMs` after the removal too. */
  firstAfterEvery: boolean;
  /** The caller's clock, the one its other stamps are taken with. */
  now: () => number;
}

/**
 * Asks `stateOf` until it answers other than "ready", and says what the asks saw; undefined when
 * it still said "ready" at `forMs`. A failed ask throws, as `stateOf` did: the caller says what
 * that means for it.
 */
export async function askUntilNotReady(stateOf: () => Promise<SandboxState>, removedAtMs: number, options: AskOptions): Promise<SandboxTurn | undefined> {
  const { everyMs, forMs, now } = options;
  let afterMs = removedAtMs;
  let sentAtMs = options.firstAfterEvery ? removedAtMs : -Infinity;
  for (let asks = 1; ; asks++) {
    const sinceLastAsk = now() - sentAtMs;
    // Whole ms: a timer of a fraction of one fires at the ms below it.
    if (sinceLastAsk < everyMs) await delay(Math.ceil(everyMs - sinceLastAsk));
    if (now() - removedAtMs >= forMs) return undefined;
    sentAtMs = now();
    if ((await stateOf()) !== 'ready') return { afterMs, byMs: now(), asks };
    afterMs = sentAtMs;
  }
}
