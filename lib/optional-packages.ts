/**
 * Packages only one provider needs (k3s's testcontainers stack: a Docker client with native
 * builds) are optional peer dependencies of this package: npm leaves them out of a default
 * install. A run that needs one that is not installed is one line naming what to install, at the
 * versions our own package.json's peerDependencies give, before anything is made.
 */
import { EnvironmentError } from './errors.ts';
import { packageManifest } from './package-root.ts';

/** Whether `name` can be imported from here: this package's node_modules, or the project's around it. */
function installed(name: string): boolean {
  try {
    import.meta.resolve(name);
    return true;
  } catch {
    return false;
  }
}

/** Throws the one line when any of `names` is not installed; `who` needs them ("provider k3s"). */
export function requireInstalled(who: string, names: string[], isInstalled: (name: string) => boolean = installed): void {
  const missing = names.filter((name) => !isInstalled(name));
  if (missing.length === 0) return;
  const peers = packageManifest().peerDependencies ?? {};
  const specs = names.map((name) => (peers[name] ? `${name}@${peers[name]}` : name));
  throw new EnvironmentError(
    `${who} needs ${missing.join(' and ')}, which ${missing.length === 1 ? 'is' : 'are'} not installed`,
    `${missing.length === 1 ? 'it is an optional dependency' : 'they are optional dependencies'} of pause-conformance, left out of a default install`,
    `Run \`npm i -D ${specs.join(' ')}\` in your project, then run it again.`,
  );
}
