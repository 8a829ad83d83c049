/**
 * The run a check belongs to: the target it checks and the directory its pod fixtures come from
 * (--fixtures). The command line starts the suites inside runSuitesOn(); suites read it through
 * suites/context.ts. Carried by AsyncLocalStorage rather than module variables, so that several
 * nodes' runs (--parallel) can be under way in one process at once: everything a Mocha run does
 * happens inside the runSuitesOn() call that started it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import path from 'node:path';
import { loadPodManifest, type PodManifest } from './pods/manifest.ts';
import type { Target } from './target.ts';

export interface SuiteRun {
  target: Target;
  /** Where fixture(name) reads <name>.yaml from: --fixtures DIR, or fixtures/pods. */
  fixturesDir: string;
}

const currentRun = new AsyncLocalStorage<SuiteRun>();

export function runSuitesOn<T>(run: SuiteRun, work: () => T): T {
  return currentRun.run(run, work);
}

function run(): SuiteRun {
  const found = currentRun.getStore();
  if (!found) throw new Error('no target: suites run through `pause-conformance run`, which brings one up');
  return found;
}

/** The target of the run the calling check belongs to. */
export function target(): Target {
  return run().target;
}

/** A pod fixture by file name: <fixtures dir>/<name>.yaml of the calling check's run. */
export function fixture(name: string): Promise<PodManifest> {
  return loadPodManifest(path.join(run().fixturesDir, `${name}.yaml`));
}
