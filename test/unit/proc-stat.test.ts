/** /proc/<pid>/stat parsing, on real stat lines of processes this test starts. */
import { expect } from 'chai';
import { execa } from 'execa';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { hasExited, parseProcStat, readProcStat } from '../../lib/linux/proc-stat.ts';

describe('parseProcStat (real /proc)', function () {
  it('reads pid, state and ppid of this process', async function () {
    const stat = parseProcStat(await readFile('/proc/self/stat', 'utf8'));
    expect(stat.pid).to.equal(process.pid);
    expect(stat.ppid).to.equal(process.ppid);
    // The read runs on a libuv worker thread while the main thread waits: R or S.
    expect(stat.state).to.match(/^[RS]$/);
    expect(hasExited(stat)).to.equal(false);
    // starttime (field 22) in ticks: stable for the process, as run-dir.ts relies on.
    expect(stat.startTicks).to.match(/^\d+$/);
    expect((await readProcStat(process.pid))?.startTicks).to.equal(stat.startTicks);
    expect(await readProcStat(2 ** 22 + 1), 'a pid above pid_max').to.equal(undefined);
  });

  it('counts fields from the last ")" when the command name holds spaces and parentheses', async function () {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pc-stat-'));
    const odd = path.join(dir, 'a) b (c');
    await copyFile('/bin/sleep', odd);
    const child = execa(odd, ['5'], { reject: false });
    try {
      const stat = parseProcStat(await readFile(`/proc/${child.pid}/stat`, 'utf8'));
      expect(stat).to.include({ pid: child.pid, comm: 'a) b (c', ppid: process.pid });
      expect(stat.state).to.match(/^[RS]$/);
    } finally {
      child.kill('SIGKILL');
      await child;
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects text that is not a stat line', function () {
    expect(() => parseProcStat('cat: /proc/51/stat: No such file or directory')).to.throw(/not a \/proc\/<pid>\/stat line/);
  });
});
