/**
 * The one thing suites import to reach the run they belong to: its target and its fixtures
 * (lib/run-context.ts carries both). The runner provides them for each run; suites never
 * construct or know the provider.
 */
import type { DeleteResult, PodRef } from '../lib/pods/pod-driver.ts';
import { deleteAfterwards, deletesSettled, fixture, target } from '../lib/run-context.ts';

export { fixture, target };

/** The pod of a describe block: call it for the PodRef; deleteNow() when a check deletes it itself. */
export interface UsedPod {
  (): PodRef;
  /**
   * Deletes the pod inside a check (a teardown check times what the delete does); the after hook
   * then has nothing left to delete. The run's undo stack still removes it if this fails.
   */
  deleteNow(): Promise<DeleteResult>;
}

export interface UsePodOptions {
  /** Make the pod only where this holds (e.g. the target can restart its runtime); else the checks skip. */
  when?: () => boolean;
  /** Wait for the deletes of earlier suites' pods first: the checks act on the whole runtime (restart it). */
  quietNode?: boolean;
}

/**
 * Makes the fixture's pod before the enclosing describe's checks and starts its delete after them,
 * which the run waits for before it ends (the run's undo stack still removes it if the delete
 * fails or the run is interrupted). Returns a
 * getter, because the pod exists only once the before hook has run.
 */
export function usePod(fixtureName: string | URL, options: UsePodOptions = {}): UsedPod {
  let pod: PodRef | undefined;
  let deletedInCheck = false;
  before(async function () {
    if (options.when && !options.when()) return;
    if (options.quietNode) await deletesSettled();
    pod = await target().pods.create(await fixture(fixtureName));
  });
  after(function () {
    const made = pod;
    pod = undefined;
    // The next suite makes its pod meanwhile; the run waits for this delete, and fails if it does.
    if (made) deleteAfterwards(made);
  });
  const get = (): PodRef => {
    if (pod) return pod;
    if (deletedInCheck) throw new Error(`the pod of fixture ${fixtureName} was deleted by an earlier check`);
    throw new Error(`the pod of fixture ${fixtureName} was not made (see the failed before hook)`);
  };
  return Object.assign(get, {
    deleteNow: async (): Promise<DeleteResult> => {
      const made = get();
      pod = undefined;
      deletedInCheck = true;
      return target().pods.delete(made);
    },
  });
}
