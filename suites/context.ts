/**
 * The one thing suites import to reach the target under test. The runner provides it for each
 * run; suites never construct or know the provider.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import type { Target } from '../lib/target.ts';
import { loadPodManifest, type PodManifest } from '../lib/pods/manifest.ts';
import type { PodRef } from '../lib/pods/pod-driver.ts';
import { DEFAULT_FIXTURES_DIR } from '../lib/pods/fixtures.ts';

/**
 * The target of the run a check belongs to. Carried by AsyncLocalStorage rather than a module
 * variable, so that several nodes' runs (--parallel) can be under way in one process at once:
 * everything a Mocha run does happens inside the runWithTarget() call that started it.
 */
const currentTarget = new AsyncLocalStorage<Target>();

export function runWithTarget<T>(target: Target, work: () => T): T {
  return currentTarget.run(target, work);
}

export function target(): Target {
  const found = currentTarget.getStore();
  if (!found) throw new Error('no target: suites run through `pause-conformance run`, which brings one up');
  return found;
}

let fixturesDir = DEFAULT_FIXTURES_DIR;

/** Where fixture() reads from: --fixtures DIR, or fixtures/pods when undefined. */
export function setFixturesDir(dir: string | undefined): void {
  fixturesDir = dir ?? DEFAULT_FIXTURES_DIR;
}

/** A pod fixture by file name (fixtures/pods/<name>.yaml, or <--fixtures DIR>/<name>.yaml). */
export function fixture(name: string): Promise<PodManifest> {
  return loadPodManifest(path.join(fixturesDir, `${name}.yaml`));
}

/**
 * Makes the fixture's pod before the enclosing describe's checks and deletes it after them (the
 * run's undo stack still removes it if the delete fails or the run is interrupted). Returns a
 * getter, because the pod exists only once the before hook has run.
 */
export function usePod(fixtureName: string): () => PodRef {
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
