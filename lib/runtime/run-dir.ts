/**
 * Run directories: made root-only, stamped with their owner, and recognised later as stale when
 * that owner is gone (a run that was SIGKILLed, or whose machine lost power mid-run).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { RUN_ID_PATTERN, RUNS_BASE, runLayout, type RunLayout } from './run-layout.ts';

export interface Owner {
  pid: number;
  /** /proc/<pid>/stat start time, so a reused pid is not taken for the owner. */
  startTicks: string;
  startedAt: string;
}

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

async function startTicks(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export async function createRunDir(layout: RunLayout): Promise<void> {
  await mkdir(RUNS_BASE, { recursive: true, mode: 0o700 });
  // Without `recursive`, mkdir fails if the directory exists: a run id is never reused.
  await mkdir(layout.dir, { mode: 0o700 });
  const owner: Owner = { pid: process.pid, startTicks: (await startTicks(process.pid)) ?? '', startedAt: new Date().toISOString() };
  await writeFile(layout.ownerFile, JSON.stringify(owner) + '\n', { mode: 0o600 });
}

async function ownerAlive(layout: RunLayout): Promise<boolean> {
  let owner: Owner;
  try {
    owner = JSON.parse(await readFile(layout.ownerFile, 'utf8')) as Owner;
  } catch {
    // No readable owner: made by a run that died before it could write one.
    return false;
  }
  return (await startTicks(owner.pid)) === owner.startTicks;
}

/** Run directories under `base` whose owner process is gone. */
export async function findStaleRuns(base = RUNS_BASE): Promise<RunLayout[]> {
  let entries: string[];
  try {
    entries = await readdir(base);
  } catch {
    return [];
  }
  const stale: RunLayout[] = [];
  for (const entry of entries) {
    if (!RUN_ID_PATTERN.test(entry)) continue;
    const layout = runLayout(entry, base);
    if (!(await ownerAlive(layout))) stale.push(layout);
  }
  return stale;
}
