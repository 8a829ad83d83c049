/**
 * The one thing suites import to reach the target under test. The runner sets it before each
 * run; suites never construct or know the provider.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Target } from '../lib/target.ts';
import { loadPodManifest, type PodManifest } from '../lib/pods/manifest.ts';

let current: Target | undefined;

export function setTarget(target: Target | undefined): void {
  current = target;
}

export function target(): Target {
  if (!current) throw new Error('no target: suites run through `pause-conformance run`, which brings one up');
  return current;
}

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'pods');

/** A pod fixture by file name (fixtures/pods/<name>.yaml). */
export function fixture(name: string): Promise<PodManifest> {
  return loadPodManifest(path.join(FIXTURES, `${name}.yaml`));
}
