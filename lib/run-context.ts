/**
 * The run a check belongs to: the target it checks and the directory its pod fixtures come from
 * (--fixtures). The command line starts the suites inside runSuitesOn(); suites read it through
 * suites/context.ts. Carried by AsyncLocalStorage rather than module variables, so that several
 * nodes' runs (--parallel) can be under way in one process at once: everything a Mocha run does
 * happens inside the runSuitesOn() call that started it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPodManifest, type PodManifest } from './pods/manifest.ts';
import type { PodRef } from './pods/pod-driver.ts';
import type { Target } from './target.ts';

export interface SuiteRun {
  target: Target;
  /** Where fixture(name) reads <name>.yaml from: --fixtures DIR, or fixtures/pods. */
  fixturesDir: string;
}

/** A pod delete started after its suite's checks, that the run waits for before it ends. */
interface DeleteUnderWay {
  pod: string;
  done: Promise<string | undefined>;
}

const currentRun = new AsyncLocalStorage<SuiteRun & { deletes: DeleteUnderWay[] }>();

export function runSuitesOn<T>(run: SuiteRun, work: () => T): T {
  return currentRun.run({ ...run, deletes: [] }, work);
}

function run(): SuiteRun & { deletes: DeleteUnderWay[] } {
  const found = currentRun.getStore();
  if (!found) throw new Error('no target: suites run through `pause-conformance run`, which brings one up');
  return found;
}

/**
 * Deletes a pod whose suite is done without waiting for it: the next suite makes its pod while
 * this one goes (a create and a delete each take about half a second here, and most of it is the
 * runtime's waiting, not the CPU's). The run waits for every such delete in deletesSettled(), and
 * a delete that failed fails there, naming the pod.
 */
export function deleteAfterwards(pod: PodRef): void {
  const deletes = run().deletes;
  const done = target()
    .pods.delete(pod)
    .then(
      () => undefined,
      (error: unknown) => `pod ${pod.name} (sandbox ${pod.sandboxId.slice(0, 13)}): ${error instanceof Error ? error.message : String(error)}`,
    );
  deletes.push({ pod: pod.name, done });
}

/**
 * Waits for every delete deleteAfterwards() started; throws with each one that failed. Called
 * before the run ends and before a check that must not cut a delete short (a runtime restart).
 */
export async function deletesSettled(): Promise<void> {
  const deletes = run().deletes.splice(0);
  const failures = (await Promise.all(deletes.map((d) => d.done))).filter((f): f is string => f !== undefined);
  if (failures.length > 0) throw new Error(`the delete of ${failures.length} pod(s) after their suite failed: ${failures.join('; ')}`);
}

/** The target of the run the calling check belongs to. */
export function target(): Target {
  return run().target;
}

/**
 * A pod fixture: by name, <fixtures dir>/<name>.yaml of the calling check's run (the built-in
 * fixtures, or --fixtures DIR); or a file of a team's own, beside the built-in ones, as a URL
 * (`new URL('./fixtures/sidecar.yaml', import.meta.url)`, relative to the spec) or a path.
 */
export function fixture(nameOrFile: string | URL): Promise<PodManifest> {
  if (nameOrFile instanceof URL) return loadPodManifest(fileURLToPath(nameOrFile));
  if (nameOrFile.includes('/') || /\.ya?ml$/.test(nameOrFile)) return loadPodManifest(path.resolve(nameOrFile));
  return loadPodManifest(path.join(run().fixturesDir, `${nameOrFile}.yaml`));
}
