/**
 * The one thing suites import to reach the run they belong to: its target and its fixtures
 * (lib/run-context.ts carries both). The runner provides them for each run; suites never
 * construct or know the provider.
 */
import type { PodRef } from '../lib/pods/pod-driver.ts';
import { fixture, target } from '../lib/run-context.ts';

export { fixture, target };

/**
 * Makes the fixture's pod before the enclosing describe's checks and deletes it after them (the
 * run's undo stack still removes it if the delete fails or the run is interrupted). Returns a
 * getter, because the pod exists only once the before hook has run.
 */
export function usePod(fixtureName: string | URL): () => PodRef {
  let pod: PodRef | undefined;
  before(async function () {
    pod = await target().pods.create(await fixture(fixtureName));
  });
  after(async function () {
    const made = pod;
    pod = undefined;
    if (made) await target().pods.delete(made);
  });
  return () => {
    if (!pod) throw new Error(`the pod of fixture ${fixtureName} was not made (see the failed before hook)`);
    return pod;
  };
}
