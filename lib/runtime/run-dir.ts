/**
 * Run directories: made root-only, stamped with their owner, and recognised later as stale when
 * that owner is gone (a run that was SIGKILLed, or whose machine lost power mid-run).
 *
 * A run directory appears with its owner.json already inside (made under a temporary name, then
 * renamed), so a run starting at the same moment never sees a directory without an owner and
 * takes a live run for a dead one.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readProcStat } from '../linux/proc-stat.ts';
import { RUN_ID_PATTERN, RUNS_BASE, runLayout, type RunLayout } from './run-layout.ts';
import { errnoCode } from '../linux/errno.ts';

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
  return (await readProcStat(pid))?.startTicks;
}

async function ownerOfThisProcess(): Promise<Owner> {
  return { pid: process.pid, startTicks: (await startTicks(process.pid)) ?? '', startedAt: new Date().toISOString() };
}

async function alive(owner: Owner): Promise<boolean> {
  return (await startTicks(owner.pid)) === owner.startTicks;
}

/** A directory being made: `.new-<run id>-<pid>`, pid of the process making it. */
const TEMP_DIR_PATTERN = /^\.new-[0-9a-f]{8}-(\d+)$/;

export async function createRunDir(layout: RunLayout): Promise<void> {
  const base = path.dirname(layout.dir);
  await mkdir(base, { recursive: true, mode: 0o700 });
  // A run id is never reused: refuse one whose directory exists (rename would replace an empty one).
  if (await stat(layout.dir).then(() => true, () => false)) throw new Error(`run directory ${layout.dir} exists already`);
  const temp = path.join(base, `.new-${layout.runId}-${process.pid}`);
  await mkdir(temp, { mode: 0o700 });
  await writeFile(path.join(temp, path.basename(layout.ownerFile)), JSON.stringify(await ownerOfThisProcess()) + '\n', { mode: 0o600 });
  await rename(temp, layout.dir);
}

async function readOwner(file: string): Promise<Owner | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

/** No readable owner.json, or its process is gone: nobody will clean this directory but a later run. */
async function ownerAlive(layout: RunLayout): Promise<boolean> {
  const owner = await readOwner(layout.ownerFile);
  return owner !== undefined && (await alive(owner));
}

/** Run directories under `base` whose owner process is gone. */
export async function findStaleRuns(base = RUNS_BASE): Promise<RunLayout[]> {
  const entries = await readdir(base, { withFileTypes: true }).catch(() => []);
  const stale: RunLayout[] = [];
  for (const entry of entries) {
    // Only directories named like a run id: anything else under the base is not a run's.
    if (!entry.isDirectory() || !RUN_ID_PATTERN.test(entry.name)) continue;
    const layout = runLayout(entry.name, base);
    if (!(await ownerAlive(layout))) stale.push(layout);
  }
  return stale;
}

/**
 * Removes half-made run directories (killed between mkdir and rename) whose maker is gone, and
 * returns their paths. They hold at most an owner.json: nothing else was made for such a run.
 */
export async function removeStaleTempDirs(base = RUNS_BASE): Promise<string[]> {
  const removed: string[] = [];
  for (const entry of await readdir(base).catch(() => [] as string[])) {
    const match = TEMP_DIR_PATTERN.exec(entry);
    if (!match) continue;
    const dir = path.join(base, entry);
    const owner = await readOwner(path.join(dir, 'owner.json'));
    // Without an owner.json yet, the pid in the name says who is making it.
    const makerAlive = owner ? await alive(owner) : (await startTicks(Number(match[1]))) !== undefined;
    if (makerAlive) continue;
    await rm(dir, { recursive: true, force: true });
    removed.push(dir);
  }
  return removed;
}

/**
 * Claims a stale run for removal, so two runs starting together do not both tear it down. The
 * claim is reaper.json, made with link(2) so it appears complete or not at all; a claim whose
 * maker died is taken over.
 */
export async function claimStaleRun(layout: RunLayout): Promise<boolean> {
  const claim = path.join(layout.dir, 'reaper.json');
  const mine = `${claim}.${process.pid}`;
  try {
    await writeFile(mine, JSON.stringify(await ownerOfThisProcess()) + '\n', { mode: 0o600 });
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return false; // removed meanwhile by whoever claimed it
    throw error;
  }
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await link(mine, claim);
        return true;
      } catch (error) {
        const code = errnoCode(error);
        if (code === 'ENOENT') return false;
        if (code !== 'EEXIST') throw error;
        const holder = await readOwner(claim);
        if (holder && (await alive(holder))) return false;
        await unlink(claim).catch(() => undefined);
      }
    }
    return false;
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}
