/**
 * The pod fixtures of a run: every *.yaml in fixtures/pods/, or in the directory given with
 * --fixtures. They are all read and checked before anything is made, so a malformed one is one
 * line and exit 2, not a failed check halfway through a run.
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { loadPodManifest, type PodManifest } from './manifest.ts';
import { errnoCode } from '../linux/errno.ts';
import { PACKAGE_ROOT } from '../package-root.ts';

export const DEFAULT_FIXTURES_DIR = path.join(PACKAGE_ROOT, 'fixtures', 'pods');

/**
 * The image the fixtures name for "the app image": a busybox a cluster can pull. A target runs
 * its own app image in its place (the embedded node's static busybox, or --app-image); any
 * other image a fixture names is run as named and must be present.
 */
export const FIXTURE_APP_IMAGE = 'docker.io/library/busybox:1.36';

export function imageMapper(appImage: string): (image: string) => string {
  return (image) => (image === FIXTURE_APP_IMAGE ? appImage : image);
}

export interface LoadedFixture {
  file: string;
  manifest: PodManifest;
}

/** Reads and checks every fixture in `dir`; throws a UsageError naming the first bad one. */
export async function loadFixtureDir(dir: string = DEFAULT_FIXTURES_DIR): Promise<LoadedFixture[]> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((name) => name.endsWith('.yaml')).sort();
  } catch (error) {
    throw new UsageError(`--fixtures ${dir} cannot be read`, errnoCode(error) ?? 'read error', 'Pass a directory of pod fixtures, e.g. a copy of fixtures/pods.');
  }
  if (names.length === 0) throw new UsageError(`--fixtures ${dir} holds no *.yaml file`, 'the suites run the pods described there', 'Pass a directory of pod fixtures, e.g. a copy of fixtures/pods.');
  const fixtures: LoadedFixture[] = [];
  for (const name of names) {
    const file = path.join(dir, name);
    fixtures.push({ file, manifest: await loadPodManifest(file) });
  }
  return fixtures;
}
