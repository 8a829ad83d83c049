/**
 * A team's spec imports 'pause-conformance' from wherever its own node_modules has it, which may
 * be another copy than the one running (npx from its cache, a global install, a second version):
 * that copy's run context and evidence store would be empty ("no target", evidence lost from the
 * report, lib/run-context.ts keeps them per module instance). So, before the team's specs load,
 * the run resolves every 'pause-conformance' import to itself: the bare name to the API entry of
 * the running copy (api/index beside lib/, .ts in a checkout, .js in dist/: the two move
 * together, so the relative path holds in both), any subpath as if imported from our own root.
 */
import { registerHooks } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PACKAGE_ROOT } from '../package-root.ts';

const NAME = 'pause-conformance';
const RUNNING_API = new URL(`../../api/index${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

let registered = false;

export function resolvePackageToThisCopy(): void {
  if (registered) return;
  registered = true;
  const ownRoot = pathToFileURL(path.join(PACKAGE_ROOT, 'package.json')).href;
  registerHooks({
    resolve(specifier, context, nextResolve) {
      if (specifier === NAME) return { url: RUNNING_API, shortCircuit: true };
      if (specifier.startsWith(`${NAME}/`)) return nextResolve(specifier, { ...context, parentURL: ownRoot });
      return nextResolve(specifier, context);
    },
  });
}
