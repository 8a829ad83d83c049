/**
 * The pool of exec sessions every container or probe shell shares (lib/node/shells/session-pool.ts),
 * over real `sh -s` sessions on this machine and the real kill-by-marker script: commands side by
 * side share at most `size` shells, a command past its deadline is killed and its session kept, a
 * session that dies under a command hands it to the one-off exec, a pool whose sessions cannot
 * start says why and runs every command once, and close ends every shell (temp dirs gone).
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { readdir } from 'node:fs/promises';
import type { ShellResult } from '../../lib/node/node-shell.ts';
import { killMarkedArgv, newExecMarker } from '../../lib/node/shells/container-exec.ts';
import { ExecSession } from '../../lib/node/shells/exec-session.ts';
import { SessionPool } from '../../lib/node/shells/session-pool.ts';

async function sessionDirs(): Promise<string[]> {
  return (await readdir('/tmp')).filter((name) => name.startsWith('pause-conformance-session.'));
}

async function killMarked(marker: string): Promise<string> {
  const [file, ...args] = killMarkedArgv(marker);
  const pids = (await execa(file!, args)).stdout.split('\n').filter(Boolean);
  return pids.length > 0 ? `killed: pid ${pids.join(', ')}` : 'nothing left';
}

/** A pool of local `sh -s` sessions (the session marker in env) that counts its starts, its one-off runs and the shells it started. */
function localPool(size: number, start?: (marker: string) => Promise<ExecSession>) {
  const seen = { starts: 0, once: 0, killed: [] as string[] };
  const pool = new SessionPool({
    size,
    where: 'this machine',
    start: (marker) => {
      seen.starts++;
      return start ? start(marker) : ExecSession.start('env', [marker, 'sh', '-s']);
    },
    killMarked: async (marker) => {
      const said = await killMarked(marker);
      seen.killed.push(said);
      return said;
    },
  });
  const run = (argv: string[], timeoutMs = 5_000): Promise<ShellResult> => {
    const marker = newExecMarker();
    return pool.run(argv, timeoutMs, marker, async () => {
      seen.once++;
      const result = await execa('env', [marker, ...argv], { reject: false, timeout: timeoutMs });
      return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? 124 };
    });
  };
  return { pool, run, seen };
}

describe('SessionPool over real sh -s sessions', function () {
  let dirsBefore: string[];
  beforeEach(async function () {
    dirsBefore = await sessionDirs();
  });
  afterEach(async function () {
    expect(await sessionDirs(), 'session temp dirs left').to.deep.equal(dirsBefore);
  });

  it('runs commands side by side in at most `size` shells, each answer its own command\'s', async function () {
    const { pool, run, seen } = localPool(2);
    const results = await Promise.all(Array.from({ length: 7 }, (_, i) => run(['sh', '-c', `sleep 0.0${i}; echo out ${i}; echo err ${i} >&2; exit ${i}`])));
    expect(results).to.deep.equal(Array.from({ length: 7 }, (_, i) => ({ stdout: `out ${i}`, stderr: `err ${i}`, exitCode: i })));
    expect(seen.starts).to.equal(2);
    expect(seen.once).to.equal(0);
    expect(pool.nodeCommands).to.equal('up to 2 long-lived exec sessions');
    expect((await sessionDirs()).length).to.equal(dirsBefore.length + 2);
    await pool.close();
    expect(await sessionDirs()).to.deep.equal(dirsBefore);
    expect(pool.nodeCommands).to.equal('one exec per command (closed)');
  });

  it('kills a command past its deadline by its marker and keeps its session for the next', async function () {
    const { pool, run, seen } = localPool(1);
    const t0 = Date.now();
    const slow = await run(['sleep', '30'], 300);
    expect(slow.exitCode).to.equal(124);
    expect(slow.stderr).to.match(/^timed out after 300 ms; killed: pid \d+$/);
    expect(Date.now() - t0).to.be.below(3_000);
    expect(await run(['echo', 'next'])).to.deep.equal({ stdout: 'next', stderr: '', exitCode: 0 });
    expect(seen.starts).to.equal(1);
    await pool.close();
  });

  it('a session that dies under a command: that command runs once on its own, and the next gets a new session', async function () {
    const { pool, run, seen } = localPool(1);
    // The session's shell itself is killed (its sh -s), not just the command, after removing the
    // session's temp dir (where the command's stdout goes) as its trap no longer can. Run once, its
    // parent is this process, left alone.
    const died = await run(['sh', '-c', 'if [ "$(cat /proc/$PPID/comm)" = sh ]; then rm -rf "$(dirname "$(readlink /proc/$$/fd/1)")"; kill -KILL $PPID; sleep 1; fi; echo ran']);
    expect(died).to.deep.equal({ stdout: 'ran', stderr: '', exitCode: 0 });
    expect(seen.once).to.equal(1);
    expect(await run(['echo', 'again'])).to.deep.equal({ stdout: 'again', stderr: '', exitCode: 0 });
    expect(seen.starts).to.equal(2);
    await pool.close();
    expect(await sessionDirs()).to.deep.equal(dirsBefore);
  });

  it('sessions that cannot start: every command runs once, and the facts say why', async function () {
    const { pool, run, seen } = localPool(3, () => ExecSession.start('sh', ['-c', 'echo refused >&2; exit 1']));
    expect(await run(['echo', 'a'])).to.deep.equal({ stdout: 'a', stderr: '', exitCode: 0 });
    expect(await run(['echo', 'b'])).to.deep.equal({ stdout: 'b', stderr: '', exitCode: 0 });
    expect(seen.starts, 'no second try once the first start failed').to.equal(1);
    expect(seen.once).to.equal(2);
    expect(pool.nodeCommands).to.match(/^one exec per command \(no session in this machine: the session's shell ended \(exit 1: refused\)\)$/);
    await pool.close();
  });

  it('close while a command runs: waits for its answer, then that session too is closed the usual way (temp dir removed, nothing to kill)', async function () {
    const { pool, run, seen } = localPool(2);
    expect(await run(['true'])).to.deep.include({ exitCode: 0 });
    const running = run(['sh', '-c', 'sleep 0.5; echo late']);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await pool.close();
    expect(await running).to.deep.equal({ stdout: 'late', stderr: '', exitCode: 0 });
    expect(seen.killed).to.deep.equal(['nothing left']);
  });

  it('close is once: a second close waits for the first; the session marker is looked for once, and later commands run once each', async function () {
    const { pool, run, seen } = localPool(1);
    expect(await run(['true'])).to.deep.include({ exitCode: 0 });
    await Promise.all([pool.close(), pool.close()]);
    expect(seen.killed, 'the shell ended by itself: nothing of it left to kill').to.deep.equal(['nothing left']);
    expect(await run(['echo', 'after'])).to.deep.equal({ stdout: 'after', stderr: '', exitCode: 0 });
    expect(seen.once).to.equal(1);
    expect(await sessionDirs()).to.deep.equal(dirsBefore);
  });
});
