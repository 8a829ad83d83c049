/**
 * "Nothing changed": the run directories and links on this machine before and after a command.
 * Other harness runs may be going on at the same time (other people, other terminals); what
 * belongs to a run whose owner is alive and is not the command under test is theirs, not a change.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { RUN_ID_PATTERN, RUNS_BASE } from '../../../lib/runtime/run-layout.ts';
import { linkNames, startTicks } from './host.ts';

export interface MachineState {
  runDirs: string[];
  links: string[];
}

export async function machineState(): Promise<MachineState> {
  return { runDirs: (await readdir(RUNS_BASE).catch(() => [] as string[])).sort(), links: (await linkNames()).sort() };
}

/** Run ids whose owner.json names a live process: runs going on right now. */
export async function liveRunIds(): Promise<Set<string>> {
  const live = new Set<string>();
  for (const entry of await readdir(RUNS_BASE).catch(() => [] as string[])) {
    if (!RUN_ID_PATTERN.test(entry)) continue;
    try {
      const owner = JSON.parse(await readFile(path.join(RUNS_BASE, entry, 'owner.json'), 'utf8')) as { pid: number; startTicks: string };
      if ((await startTicks(owner.pid).catch(() => undefined)) === owner.startTicks) live.add(entry);
    } catch {
      // no owner: not live
    }
  }
  return live;
}

/** What is in `after` and not in `before`, leaving out what belongs to other live runs. */
export async function changesSince(before: MachineState): Promise<string[]> {
  const after = await machineState();
  const live = await liveRunIds();
  const liveBridges = new Set([...live].map((id) => `pc${id}`));
  const changes: string[] = [];
  for (const dir of after.runDirs) if (!before.runDirs.includes(dir) && !live.has(dir)) changes.push(`run directory ${dir}`);
  // veths of other runs come and go with their pods; a bridge named pc<id> is what a run makes.
  for (const link of after.links) if (!before.links.includes(link) && /^pc/.test(link) && !liveBridges.has(link)) changes.push(`link ${link}`);
  return changes;
}
