/**
 * The conformance suites, in the order they run. Each suite declares its place in its file name,
 * suites/NNN-<name>.spec.ts, so `ls suites` shows the order and a new suite takes a number
 * between two others (they step by ten) instead of joining a list somewhere else.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// suites/ beside lib/: the .ts sources in a checkout, dist/suites/ beside dist/lib/ in an install.
export const SUITES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'suites');

/** A spec file: .ts in a checkout, .js as built into dist/ (a built x.spec.d.ts does not match). */
export const SPEC_FILE = /\.spec\.(ts|js)$/;
const PLACED = /^\d{3}-[a-z0-9-]+\.spec\.(ts|js)$/;

export function suiteFiles(dir = SUITES_DIR): string[] {
  const files = readdirSync(dir).filter((name) => SPEC_FILE.test(name));
  const unplaced = files.filter((name) => !PLACED.test(name));
  // A suite without a place would silently run in some order: a harness bug, not a user's mistake.
  if (unplaced.length > 0) throw new Error(`suite file(s) ${unplaced.join(', ')} in ${dir} have no place in the run order: name them NNN-<name>.spec.ts`);
  return files.sort().map((name) => path.join(dir, name));
}
