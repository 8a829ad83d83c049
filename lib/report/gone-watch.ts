/**
 * Watches a GonePlan's conditions from the delete call on, and times each (watchFirstSeen). The
 * runtime's shim gets a bound of its own: it must be gone within `shimGraceMs` of the rest of the
 * sandbox being gone (containerd/containerd#10421 leaves it running for minutes, in about 30% of
 * tries upstream and every try here on 2.1.9), so a leak fails in seconds, not at the long
 * teardown deadline. Whatever fails, the evidence says what was left and how long was waited.
 *
 * Each condition is looked at again when the node tells a change of its things (the plan's keys:
 * task events, inotify, ip monitor; change-waiter.ts), and polled every `intervalMs` only where
 * the target has no such source. The evidence says, per condition, what made the look that saw it
 * gone (`seenBy`), where it was polled, why (`polled`), and where it was followed, the changes
 * told during the watch with when (`told`). A condition that is exactly its things' absence (the
 * plan's atRemoval) is timed at the removal's own stamp, and `confirmedAt` says when the look that
 * confirmed it was.
 */
import { WaitTimeoutError } from '../wait.ts';
import type { Evidence } from './evidence.ts';
import type { ChangeKey } from '../node/node-events.ts';
import { ChangeWaiter } from './change-waiter.ts';
import { lookCause, turnedTrueAt, untilNextLook, watchFirstSeen, type FirstSeen } from './first-seen.ts';
import { notCheckedLine, type GoneCondition, type GonePlan } from './sandbox-gone.ts';

export const SHIM_GRACE_MS = 10_000;

export interface GoneWatchOptions {
  /** Bound for everything but the shim, from the delete call (a kubelet may take tens of seconds). */
  timeoutMs: number;
  /** Bound for the shim, from the moment the rest was seen gone. */
  shimGraceMs?: number;
  intervalMs?: number;
}

/** The check fails with this: what is left (the shim's pid and socket), and how long it was waited for. */
export class LeftAfterDeleteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'LeftAfterDeleteError';
  }
}

/**
 * Watches from `startMs` (the delete call, made by the caller after this starts). Writes
 * ev.gone = { timings, notChecked, waitedMs, left } whether it passes or fails, then returns the
 * timings or throws LeftAfterDeleteError / the probe's ProbeUnknownError.
 */
export async function watchGone(plan: GonePlan, startMs: number, ev: Evidence, options: GoneWatchOptions): Promise<FirstSeen> {
  const grace = options.shimGraceMs ?? SHIM_GRACE_MS;
  const record: Evidence = { notChecked: { ...plan.notChecked }, shimGraceMs: grace };
  ev['gone'] = record;
  const { waiters, polled } = waitersFor(plan);
  const seenBy: Record<string, string> = {};
  record['seenBy'] = seenBy;
  // Where a condition was timed by its things' removal stamps: when the look that confirmed it was.
  const confirmedAt: Record<string, number> = {};
  if (Object.keys(polled).length > 0) record['polled'] = polled;
  if (plan.events) record['eventSources'] = plan.events.sources();
  try {
    return await watchUntilGone(plan, startMs, record, { ...options, shimGraceMs: grace }, waiters, seenBy, confirmedAt);
  } finally {
    for (const waiter of Object.values(waiters)) waiter.stop();
    if (Object.keys(confirmedAt).length > 0) record['confirmedAt'] = confirmedAt;
    // Per followed condition, the changes the node told during the watch and when (ms from the delete call).
    if (Object.keys(waiters).length > 0) record['told'] = Object.fromEntries(Object.entries(waiters).map(([name, waiter]) => [name, waiter.told(startMs)]));
  }
}

/** The watch itself: every condition but the shim until gone or the deadline, then the shim within its grace. */
async function watchUntilGone(
  plan: GonePlan,
  startMs: number,
  record: Evidence,
  options: GoneWatchOptions & { shimGraceMs: number },
  waiters: Record<string, ChangeWaiter>,
  seenBy: Record<string, string>,
  confirmedAt: Record<string, number>,
): Promise<FirstSeen> {
  const grace = options.shimGraceMs;
  const interval = options.intervalMs ?? 5;
  const { shimGone, ...others } = plan.conditions;
  let othersDoneAt: number | undefined;
  let stopped = false;
  const shimWatch = async (): Promise<number | undefined> => {
    if (!shimGone) return undefined;
    const waiter = waiters['shimGone'];
    for (;;) {
      if (await shimGone()) {
        seenBy['shimGone'] = lookCause(waiter, interval);
        const turned = await turnedTrueAt(waiter, plan.atRemoval.has('shimGone'), startMs);
        if (turned.confirmedMs !== undefined) confirmedAt['shimGone'] = turned.confirmedMs;
        return turned.ms;
      }
      const now = Date.now();
      if (stopped) return undefined;
      if ((othersDoneAt !== undefined && now - othersDoneAt >= grace) || now - startMs >= options.timeoutMs + grace) {
        const waitedMs = now - startMs;
        const afterRest = othersDoneAt === undefined ? '' : `, ${now - othersDoneAt} ms after the rest of the sandbox was gone`;
        record['waitedMs'] = waitedMs;
        record['left'] = { shimGone: plan.left().shimGone ?? [] };
        throw new LeftAfterDeleteError(`shimGone: ${(plan.left().shimGone ?? []).join(', ')} still there ${waitedMs} ms after the delete call${afterRest} (waited ${grace} ms for it)`);
      }
      await untilNextLook(waiter, interval);
    }
  };
  const shim = shimWatch();
  // Rejections are handled below; this keeps one that lands first from being reported unhandled.
  shim.catch(() => undefined);
  let seen: FirstSeen;
  try {
    seen = await watchFirstSeen(others as Record<string, () => Promise<boolean>>, startMs, { timeoutMs: options.timeoutMs, intervalMs: interval, waiters, causes: seenBy, atRemoval: plan.atRemoval, confirmedAt });
    othersDoneAt = Date.now();
  } catch (error) {
    stopped = true;
    record['waitedMs'] = Date.now() - startMs;
    const left = plan.left();
    const pending = error instanceof WaitTimeoutError ? error.awaited.split(', ') : [];
    record['left'] = Object.fromEntries(pending.map((name) => [name, left[name as GoneCondition] ?? []]));
    if (error instanceof WaitTimeoutError) {
      throw new LeftAfterDeleteError(`${pending.map((name) => `${name}: ${(left[name as GoneCondition] ?? []).join(', ') || 'not seen'}`).join('; ')} still there ${options.timeoutMs} ms after the delete call (${error.lastSeen})`);
    }
    throw error;
  }
  let shimSeen: number | undefined;
  try {
    shimSeen = await shim;
  } catch (error) {
    // A shim probe with no clear answer: the evidence still says how long was waited.
    record['waitedMs'] ??= Date.now() - startMs;
    record['timings'] = { ...seen };
    throw error;
  }
  if (shimSeen !== undefined) seen['shimGone'] = shimSeen;
  record['timings'] = { ...seen };
  record['waitedMs'] = Date.now() - startMs;
  return seen;
}

/**
 * A waiter per condition on the first of its key sets the node tells every key of (the plan puts
 * the most precise first); where no set is whole, on whatever keys are told, with the fallback
 * poll for the rest; a condition with none is polled, with why (no source of its kinds, a
 * directory not watched).
 */
function waitersFor(plan: GonePlan): { waiters: Record<string, ChangeWaiter>; polled: Record<string, string> } {
  const waiters: Record<string, ChangeWaiter> = {};
  const polled: Record<string, string> = {};
  for (const name of Object.keys(plan.conditions) as GoneCondition[]) {
    const sets = (plan.keys[name] ?? []).filter((set) => set.length > 0);
    if (!plan.events || sets.length === 0) {
      polled[name] = !plan.events ? 'the target tells no changes of its node' : 'nothing to follow';
      continue;
    }
    const events = plan.events;
    const told = (key: ChangeKey): boolean => events.whyNot(key) === undefined;
    const live = sets.find((set) => set.every(told)) ?? [...new Set(sets.flat())].filter(told);
    if (live.length === 0) polled[name] = [...new Set(sets.flat().map((key) => events.whyNot(key)!))].join('; ');
    else waiters[name] = new ChangeWaiter(plan.events, live, plan.followUpAfter[name], plan.atRemoval.has(name));
  }
  return { waiters, polled };
}

/** "pauseGone +12 ms, netnsGone +30 ms, ...; not checked: ..." for a check's summary line. */
export function goneLine(seen: FirstSeen, plan: GonePlan): string {
  return `${Object.entries(seen).sort((a, b) => a[1] - b[1]).map(([name, ms]) => `${name} +${ms} ms`).join(', ')}${notCheckedLine(plan.notChecked)}`;
}
