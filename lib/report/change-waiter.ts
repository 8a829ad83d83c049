/**
 * How a watched condition waits between two looks: for the next change of its things on the node
 * (node-events.ts), with a bounded fallback, instead of every 5 ms. A change that came while the
 * condition was being looked at is kept, so none is lost between a look and the wait after it.
 *
 * After a change that can come before what is looked at shows it, the thing is looked at again a
 * few times shortly (FOLLOW_UP_MS): containerd publishes /tasks/delete and then marks the
 * container exited in the CRI; a shim removes its socket and then exits. Which changes those are
 * is the caller's to say (`followUpAfter`): after /tasks/exit the process is already reaped, after
 * an unlink the entry is already gone, and a follow-up would only cost looks (each a CRI call for
 * some conditions). That is a handful of looks per pod, where polling cost one every 5 ms for as
 * long as the teardown took.
 */
import type { Change, ChangeKey, NodeEvents } from '../node/node-events.ts';

/** Looks after a change, in ms after the previous look: about 130 ms in all, then back to waiting. */
export const FOLLOW_UP_MS = [1, 2, 4, 8, 16, 32, 64];
/** A look this long after the last one even with no change told: a lost event costs at most this. */
export const FALLBACK_MS = 250;

export class ChangeWaiter {
  private pending: Change | undefined;
  private wake: ((change: Change | undefined) => void) | undefined;
  private readonly stopFollowing: () => void;
  private followUps = FOLLOW_UP_MS.length;
  /** What the last wait ended on, for the evidence of the look that came after it. */
  private last = 'first look';

  private readonly followUpAfter: (change: Change) => boolean;

  constructor(events: NodeEvents, keys: ChangeKey[], followUpAfter: (change: Change) => boolean = () => true) {
    this.followUpAfter = followUpAfter;
    this.stopFollowing = events.follow(keys, (change) => {
      if (this.wake) {
        const wake = this.wake;
        this.wake = undefined;
        wake(change);
      } else this.pending ??= change;
    });
  }

  /** What made the latest look happen: "containerd event /tasks/exit", "… (+7 ms follow-up)", "poll (fallback 250 ms)". */
  cause(): string {
    return this.last;
  }

  /** Waits until the next look is due. */
  async next(): Promise<void> {
    const change = this.pending ?? (await this.waitFor(this.followUps < FOLLOW_UP_MS.length ? FOLLOW_UP_MS[this.followUps]! : FALLBACK_MS));
    this.pending = undefined;
    if (change) {
      this.followUps = this.followUpAfter(change) ? 0 : FOLLOW_UP_MS.length;
      this.last = `${change.source}`;
    } else if (this.followUps < FOLLOW_UP_MS.length) {
      const base = this.last.replace(/ \(follow-up.*\)$/, '');
      this.followUps++;
      this.last = `${base} (follow-up look ${this.followUps})`;
    } else this.last = `poll (fallback, every ${FALLBACK_MS} ms without a change)`;
  }

  private waitFor(ms: number): Promise<Change | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(undefined);
      }, ms);
      this.wake = (change) => {
        clearTimeout(timer);
        resolve(change);
      };
    });
  }

  stop(): void {
    this.stopFollowing();
    this.wake?.(undefined);
    this.wake = undefined;
  }
}
