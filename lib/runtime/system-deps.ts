/**
 * The Debian packages the embedded node is made of. When one is missing the run installs it
 * with apt-get if it can (root, apt-get present) and says so in one line; otherwise it stops
 * with one line naming the exact command to run.
 */
import { access, constants } from 'node:fs/promises';
import { execa } from 'execa';
import { EnvironmentError } from '../errors.ts';

export interface Requirement {
  /** A file that proves the package is installed. */
  file: string;
  debianPackage: string;
}

export const LOCAL_NODE_REQUIREMENTS: Requirement[] = [
  { file: '/usr/bin/containerd', debianPackage: 'containerd' },
  { file: '/usr/bin/ctr', debianPackage: 'containerd' },
  { file: '/usr/sbin/runc', debianPackage: 'runc' },
  { file: '/usr/lib/cni/bridge', debianPackage: 'containernetworking-plugins' },
  { file: '/usr/lib/cni/host-local', debianPackage: 'containernetworking-plugins' },
  { file: '/usr/lib/cni/loopback', debianPackage: 'containernetworking-plugins' },
  { file: '/usr/bin/catatonit', debianPackage: 'catatonit' },
  { file: '/bin/busybox', debianPackage: 'busybox-static' },
  { file: '/usr/sbin/ip', debianPackage: 'iproute2' },
];

const APT_TIMEOUT_MS = 10 * 60_000;

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export async function missingPackages(requirements: Requirement[]): Promise<string[]> {
  const missing = new Set<string>();
  for (const requirement of requirements) if (!(await exists(requirement.file))) missing.add(requirement.debianPackage);
  return [...missing];
}

/**
 * Installs what is missing, or throws one line with the command to run. `say` prints progress.
 * `aptGet` is where apt-get is looked for (a test points it at nothing to see the refusal).
 */
export async function ensurePackages(requirements: Requirement[], say: (line: string) => void, aptGet = '/usr/bin/apt-get'): Promise<void> {
  const missing = await missingPackages(requirements);
  if (missing.length === 0) return;
  const command = `apt-get update && apt-get install -y ${missing.join(' ')}`;
  const root = process.getuid?.() === 0;
  const canInstall = root && (await exists(aptGet));
  if (!canInstall) {
    const todo = root ? `Install them (there is no ${aptGet} to do it): ${command}` : `Run as root: ${command}`;
    throw new EnvironmentError(`missing system packages (${missing.join(', ')})`, 'the embedded node is made of them', todo);
  }
  say(`installing missing system packages with apt-get: ${missing.join(' ')}`);
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  // Bounded (a held dpkg lock or a dead mirror would wait forever), and the message says so.
  const options = { reject: false, env, timeout: APT_TIMEOUT_MS } as const;
  const update = await execa(aptGet, ['update', '-qq'], options);
  const install = update.exitCode === 0
    ? await execa(aptGet, ['install', '-y', '-qq', '--no-install-recommends', ...missing], options)
    : update;
  if (install.exitCode !== 0 || (await missingPackages(requirements)).length > 0) {
    const detail = install.timedOut ? `apt-get did not finish within ${APT_TIMEOUT_MS / 60_000} minutes` : (install.stderr.trim().split('\n').slice(-1)[0] ?? 'unknown error');
    throw new EnvironmentError(`installing ${missing.join(', ')} with apt-get failed`, detail, `Run as root: ${command}`);
  }
}
