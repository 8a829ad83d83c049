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
import { changeKeyId, type Change, type ChangeKey, type NodeEvents } from '../node/node-events.ts';

/** Looks after a change, in ms after the previous look: about 130 ms in all, then back to waiting. */
export const FOLLOW_UP_MS = [1, 2, 4, 8, 16, 32, 64];
/**
 * A look this long after the last one even with no change told, doubling while none is (up to
 * FALLBACK_MAX_MS) and back to this at the next change: a lost event costs at most that, and a
 * teardown queued behind 15 others (seconds at 16 pods) is not looked at every 250 ms, a CRI
 * call each for the CRI's states, for the whole wait. The sources that follow a teardown are the
 * kernel's (pidfd, inotify, netlink) and containerd's stream, which subscribes again after a
 * break: at 250 ms the fallback made 4 of the 7 looks a condition took at 16 pods, and a quarter
 * of the harness's looks at 1 pod, for changes no source had lost (npm run bench, 2026-12-03).
 */
export const FALLBACK_MS = 1_000;
export const FALLBACK_MAX_MS = 4_000;
/** How many of the changes told a waiter keeps for the evidence (the first ones). */
export const TOLD_KEPT = 10;

export class ChangeWaiter {
  private pending: Change | undefined;
  private wake: ((change: Change | undefined) => void) | undefined;
  private readonly stopFollowing: () => void;
  private followUps = FOLLOW_UP_MS.length;
  /** The next fallback's wait: FALLBACK_MS after a change, doubling while none comes. */
  private fallbackMs = FALLBACK_MS;
  /** What the last wait ended on, for the evidence of the look that came after it. */
  private last = 'first look';
  /** The first changes told (source, when received), whether or not a look was waiting for them. */
  private readonly toldChanges: Change[] = [];
  private toldCount = 0;

  private readonly followUpAfter: (change: Change) => boolean;
  /** How many distinct things are followed, and per thing the stamp of the first change that said it is gone. */
  private readonly followed: number;
  /** Whether every followed thing's source can say it is gone (a task's events only call for a look). */
  private readonly canTellGone: boolean;
  private readonly goneStamps = new Map<string, number>();
  /** Called once every followed thing was told gone, while untilGoneTold() waits. */
  private allGone: (() => void) | undefined;

  /**
   * With `atRemoval` (the condition is exactly the absence of the followed things), a change is
   * looked at again only once every followed thing was told gone: before that a look can only see
   * one still there, and the next one's word wakes the look anyway. Following up after each of a
   * pod's three container exits and each of a veth's link messages made 15 of the 43 looks a pod
   * took at 16 pods (npm run bench, 2026-12-03).
   */
  constructor(events: NodeEvents, keys: ChangeKey[], followUpAfter: (change: Change) => boolean = () => true, atRemoval = false) {
    this.followUpAfter = atRemoval ? (change) => followUpAfter(change) && (!this.canTellGone || this.goneAt() !== undefined) : followUpAfter;
    this.followed = new Set(keys.map(changeKeyId)).size;
    this.canTellGone = keys.every((key) => key.kind !== 'task');
    this.stopFollowing = events.follow(keys, (change) => {
      if (change.gone && !this.goneStamps.has(changeKeyId(change.key))) {
        this.goneStamps.set(changeKeyId(change.key), change.atMs);
        if (this.goneAt() !== undefined) this.allGone?.();
      }
      this.toldCount++;
      if (this.toldChanges.length < TOLD_KEPT) this.toldChanges.push(change);
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

  /**
   * The changes told so far, "containerd event /tasks/exit +1290 ms" (from `startMs`): a look may
   * still be made by the fallback poll when the thing went before its event came (a shim reaps the
   * pause, then containerd publishes /tasks/exit), and this says when the event did come.
   */
  told(startMs: number): string[] {
    const told = this.toldChanges.map((change) => `${change.source} +${Math.round(change.atMs - startMs)} ms`);
    if (this.toldCount > this.toldChanges.length) told.push(`(${this.toldCount - this.toldChanges.length} more)`);
    return told;
  }

  /**
   * When the last of the followed things was told gone, by its source's own stamp (a pidfd exit,
   * an unlink, a deleted link), or undefined while one of them has not been. For a condition that
   * is exactly their absence, that is when it turned true; a look still has to confirm it.
   */
  goneAt(): number | undefined {
    return this.goneStamps.size === this.followed && this.followed > 0 ? Math.max(...this.goneStamps.values()) : undefined;
  }

  /**
   * Waits until every followed thing was told gone, or `ms` passed: a look can see a thing gone
   * before its source's word of it is read here (its line still in the pipe while this thread was
   * busy), and the stamp in that word is the better time. At once where no word of it can come.
   */
  async untilGoneTold(ms: number): Promise<void> {
    if (!this.canTellGone || this.goneAt() !== undefined) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.allGone = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.allGone = undefined;
  }

  /** Waits until the next look is due. */
  async next(): Promise<void> {
    const fallback = this.followUps >= FOLLOW_UP_MS.length;
    const waitMs = fallback ? this.fallbackMs : FOLLOW_UP_MS[this.followUps]!;
    const change = this.pending ?? (await this.waitFor(waitMs));
    this.pending = undefined;
    if (change) {
      this.followUps = this.followUpAfter(change) ? 0 : FOLLOW_UP_MS.length;
      this.fallbackMs = FALLBACK_MS;
      this.last = `${change.source}`;
    } else if (!fallback) {
      const base = this.last.replace(/ \(follow-up.*\)$/, '');
      this.followUps++;
      this.last = `${base} (follow-up look ${this.followUps})`;
    } else {
      this.last = `poll (fallback, ${waitMs} ms without a change)`;
      this.fallbackMs = Math.min(this.fallbackMs * 2, FALLBACK_MAX_MS);
    }
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
