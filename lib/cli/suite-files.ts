/** The conformance suites, in the order they run. */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SUITES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'suites');

const ORDER = ['network-namespace', 'ipc-uts', 'container-exits', 'teardown', 'shared-pid', 'host-namespaces', 'sandbox-image', 'pause-dies', 'runtime-restart', 'kubelet-restarts', 'churn'];

export function suiteFiles(): string[] {
  const files = readdirSync(SUITES_DIR).filter((name) => name.endsWith('.spec.ts'));
  const rank = (name: string): number => {
    const index = ORDER.indexOf(name.replace(/\.spec\.ts$/, ''));
    return index === -1 ? ORDER.length : index;
  };
  return files.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)).map((name) => path.join(SUITES_DIR, name));
}
