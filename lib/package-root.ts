/**
 * Where the package's own files are (package.json, fixtures/pods): the same folder whether this
 * module runs as .ts from a checkout (lib/) or as built .js from an install (dist/lib/). It is
 * found through the package's own name (Node's self-reference, which package.json's "exports"
 * allows for ./package.json), not by counting '..' from here: that count differs in dist/.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PACKAGE_ROOT = path.dirname(fileURLToPath(import.meta.resolve('pause-conformance/package.json')));

/** The fields of our package.json the harness reads. */
export interface PackageManifest {
  name: string;
  version: string;
  peerDependencies?: Record<string, string>;
}

export function packageManifest(): PackageManifest {
  return JSON.parse(readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as PackageManifest;
}
