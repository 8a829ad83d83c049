/**
 * Bounded waiting. Every wait in the project names what it awaited and what it last saw, so a
 * timeout explains itself instead of saying "timed out".
 */
import { setTimeout as delay } from 'node:timers/promises';

export class WaitTimeoutError extends Error {
  readonly awaited: string;
  readonly timeoutMs: number;
  readonly lastSeen: string;
  constructor(awaited: string, timeoutMs: number, lastSeen: string) {
    super(`${awaited} not seen after ${timeoutMs} ms (last seen: ${lastSeen})`);
    this.name = 'WaitTimeoutError';
    this.awaited = awaited;
    this.timeoutMs = timeoutMs;
    this.lastSeen = lastSeen;
  }
}

export interface PollOptions {
  /** What is awaited, in words: "sandbox abc READY". */
  awaited: string;
  timeoutMs: number;
  /** Time between probes. Small by default: probes here are local and cheap. */
  intervalMs?: number;
  signal?: AbortSignal;
}

/** The result of one probe: done, with a value, or not yet, with what was seen instead. */
export type Probe<T> = { done: true; value: T } | { done: false; seen: string };

/**
 * Polls `probe` until it reports done or the deadline passes. A probe that throws ends the wait
 * with that error: a wait must not hide failures behind retries.
 */
export async function pollUntil<T>(probe: () => Promise<Probe<T>>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 10;
  let lastSeen = 'nothing yet';
  for (;;) {
    options.signal?.throwIfAborted();
    const result = await probe();
    if (result.done) return result.value;
    lastSeen = result.seen;
    if (Date.now() >= deadline) throw new WaitTimeoutError(options.awaited, options.timeoutMs, lastSeen);
    await delay(interval, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}
