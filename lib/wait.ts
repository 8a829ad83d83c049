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

/** A probe still running this long after the deadline ends the wait: it would otherwise hang it. */
const PROBE_GRACE_MS = 1000;

/** The probe's result, or a timeout error if it has not answered by `limitMs` from now. */
async function bounded<T>(probe: () => Promise<Probe<T>>, limitMs: number, options: PollOptions, lastSeen: string): Promise<Probe<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new WaitTimeoutError(options.awaited, options.timeoutMs, `${lastSeen}; then a probe that had not answered ${PROBE_GRACE_MS} ms after the deadline`)), limitMs);
  });
  const running = probe();
  // If the deadline wins, the probe may still fail later: that is no longer anyone's news.
  running.catch(() => undefined);
  try {
    return await Promise.race([running, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Polls `probe` until it reports done or the deadline passes. A probe that throws ends the wait
 * with that error: a wait must not hide failures behind retries. A probe that never answers
 * (a hung call) ends it too, shortly after the deadline.
 */
export async function pollUntil<T>(probe: () => Promise<Probe<T>>, options: PollOptions): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 10;
  let lastSeen = 'nothing yet';
  for (;;) {
    options.signal?.throwIfAborted();
    const result = await bounded(probe, Math.max(0, deadline - Date.now()) + PROBE_GRACE_MS, options, lastSeen);
    if (result.done) return result.value;
    lastSeen = result.seen;
    if (Date.now() >= deadline) throw new WaitTimeoutError(options.awaited, options.timeoutMs, lastSeen);
    await delay(interval, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}
