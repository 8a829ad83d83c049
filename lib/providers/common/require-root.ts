/** A provider that needs root says so before it touches anything, in one line with the reason. */
import { EnvironmentError } from '../../errors.ts';

/** Throws "<what> needs root: <why>. <todo>" unless this process runs as root. */
export function requireRoot(what: string, why: string, todo = 'Run it as root, e.g. `sudo npm run conformance`.'): void {
  if (process.getuid?.() !== 0) throw new EnvironmentError(`${what} needs root`, why, todo);
}

/** Why the embedded node (the local provider) needs root. Each other provider says its own reason. */
export const LOCAL_RUNTIME_NEEDS_ROOT = 'it runs containerd, mounts overlays and creates network namespaces';
