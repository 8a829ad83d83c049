/**
 * How a run tells a dead run's directory from a live one's, on a real directory tree in a temp
 * base: a live owner (pid and start time) is never stale, a reused pid is, so is a directory
 * without owner; a half-made directory is removed only when its maker is gone; a stale run is
 * claimed by one remover at a time.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { claimStaleRun, createRunDir, findStaleRuns, removeStaleTempDirs } from '../../lib/runtime/run-dir.ts';
import { runLayout } from '../../lib/runtime/run-layout.ts';

async function ticksOf(pid: number): Promise<string> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8');
  return text.slice(text.lastIndexOf(')') + 2).split(' ')[19]!;
}

/** The pid of a process that has exited (and been reaped) by the time this returns. */
async function deadPid(): Promise<number> {
  const child = execa('true');
  await child;
  return child.pid!;
}

describe('run directories', function () {
  let base: string;

  beforeEach(async function () {
    base = await mkdtemp(path.join(os.tmpdir(), 'pc-unit-runs-'));
  });

  afterEach(async function () {
    await rm(base, { recursive: true, force: true });
  });

  async function runDir(id: string, owner: object | undefined): Promise<void> {
    const dir = path.join(base, id);
    await mkdir(dir);
    if (owner) await writeFile(path.join(dir, 'owner.json'), JSON.stringify(owner));
  }

  it('createRunDir makes a 0700 directory that already holds this process as owner, and refuses a used id', async function () {
    const layout = runLayout('0123abcd', base);
    await createRunDir(layout);
    expect((await stat(layout.dir)).mode & 0o777).to.equal(0o700);
    const owner = JSON.parse(await readFile(layout.ownerFile, 'utf8')) as { pid: number; startTicks: string };
    expect(owner.pid).to.equal(process.pid);
    expect(owner.startTicks).to.equal(await ticksOf(process.pid));
    expect((await stat(layout.ownerFile)).mode & 0o777).to.equal(0o600);
    expect(await readdir(base), 'no half-made directory left').to.deep.equal(['0123abcd']);
    const again = await createRunDir(layout).then(() => 'made', (error: Error) => error.message);
    expect(again).to.match(/exists already/);
  });

  it('a live owner is not stale; a reused pid, a missing owner and a dead owner are', async function () {
    await runDir('aaaaaaaa', { pid: process.pid, startTicks: await ticksOf(process.pid) });
    await runDir('bbbbbbbb', { pid: process.pid, startTicks: 'an earlier process with this pid' });
    await runDir('cccccccc', undefined);
    await runDir('dddddddd', { pid: await deadPid(), startTicks: '1' });
    await runDir('not-a-run', undefined);
    await writeFile(path.join(base, 'eeeeeeee'), 'a file named like a run id');
    const stale = (await findStaleRuns(base)).map((layout) => layout.runId).sort();
    expect(stale).to.deep.equal(['bbbbbbbb', 'cccccccc', 'dddddddd']);
  });

  it('a half-made directory goes only when its maker is gone', async function () {
    const gone = await deadPid();
    await mkdir(path.join(base, `.new-11111111-${gone}`));
    await mkdir(path.join(base, `.new-22222222-${process.pid}`));
    const removed = await removeStaleTempDirs(base);
    expect(removed).to.deep.equal([path.join(base, `.new-11111111-${gone}`)]);
    expect(await readdir(base)).to.deep.equal([`.new-22222222-${process.pid}`]);
  });

  it('a stale run is claimed once; a claim whose holder died is taken over', async function () {
    await runDir('ffffffff', undefined);
    const layout = runLayout('ffffffff', base);
    expect(await claimStaleRun(layout), 'first claim').to.equal(true);
    expect(await claimStaleRun(layout), 'second claim while the first holder lives').to.equal(false);
    await writeFile(path.join(layout.dir, 'reaper.json'), JSON.stringify({ pid: await deadPid(), startTicks: '1' }));
    expect(await claimStaleRun(layout), 'claim of a dead holder').to.equal(true);
    const holder = JSON.parse(await readFile(path.join(layout.dir, 'reaper.json'), 'utf8')) as { pid: number };
    expect(holder.pid).to.equal(process.pid);
    expect((await readdir(layout.dir)).sort(), 'no temporary claim file left').to.deep.equal(['reaper.json']);
  });
});
