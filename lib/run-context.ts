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
