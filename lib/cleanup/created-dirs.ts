/**
 * Shared directories a run may bring into being without owning them: /var/log/pods on a node
 * without a kubelet, or the cgroup a runtime makes for pods that name no parent. Remember which
 * of them are missing before the run; afterwards remove those that appeared, with rmdir only, so
 * one that someone else has put something into meanwhile stays.
 */
import { readdir, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';

export async function missingDirs(dirs: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const dir of dirs) if (!(await stat(dir).then(() => true, () => false))) missing.push(dir);
  return missing;
}

/** rmdir each (children before parents when given in that order); a busy or non-empty one stays. */
export async function removeIfEmpty(dirs: string[]): Promise<void> {
  for (const dir of dirs) await rmdir(dir).catch(() => undefined);
}

/** `name` under the cgroup v2 root and under every v1 hierarchy: where a runtime's default parent lands. */
export async function cgroupDirsNamed(name: string, root = '/sys/fs/cgroup'): Promise<string[]> {
  const hierarchies = await readdir(root, { withFileTypes: true }).catch(() => []);
  return [path.join(root, name), ...hierarchies.filter((entry) => entry.isDirectory()).map((entry) => path.join(root, entry.name, name))];
}
