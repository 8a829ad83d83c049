/**
 * The long-lived exec session runs commands in a real `sh -s` (here on this machine: the framing
 * is the shell's, whatever carries its stdin, `docker exec -i` or not). Exact bytes, exit codes,
 * a missing command, quoting, a deadline and the temp dir removed when the session closes.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { PassThrough } from 'node:stream';
import { killMarkedArgv } from '../../lib/node/shells/container-exec.ts';
import { ExecSession, shellQuote, type TransportEnd } from '../../lib/node/shells/exec-session.ts';

async function sessionDirs(): Promise<string[]> {
  return (await readdir('/tmp')).filter((name) => name.startsWith('pause-conformance-session.'));
}

describe('ExecSession over a real sh -s', function () {
  let session: ExecSession;
  let dirsBefore: string[];
  beforeEach(async function () {
    dirsBefore = await sessionDirs();
    session = await ExecSession.start('sh', ['-s']);
  });
  afterEach(async function () {
    await session.close();
  });

  it('returns stdout, stderr and the exit code of each command, as a one-off exec would', async function () {
    const direct = await execa('sh', ['-c', 'echo out; echo err >&2; exit 3'], { reject: false });
    const viaSession = await session.run(['sh', '-c', 'echo out; echo err >&2; exit 3'], 5_000);
    expect(viaSession).to.deep.equal({ stdout: direct.stdout, stderr: direct.stderr, exitCode: direct.exitCode });
    expect(await session.run(['true'], 5_000)).to.deep.equal({ stdout: '', stderr: '', exitCode: 0 });
  });

  it('keeps NULs, newlines and quotes exactly; arguments are never interpreted', async function () {
    const tricky = `it's "$HOME" $(echo no) \`no\` ; exit 9\nline two`;
    const echoed = await session.run(['printf', '%s', tricky], 5_000);
    expect(echoed).to.deep.equal({ stdout: tricky, stderr: '', exitCode: 0 });
    const cmdline = await session.run(['cat', `/proc/${process.pid}/cmdline`], 5_000);
    expect(cmdline.stdout.split('\0').filter(Boolean)[0]).to.match(/node$/);
  });

  it('a missing command is exit 127 with the shell saying so; a missing file is not found', async function () {
    const missing = await session.run(['pause-conformance-no-such-command'], 5_000);
    expect(missing.exitCode).to.equal(127);
    expect(missing.stderr).to.match(/pause-conformance-no-such-command: (not found|command not found)/);
    const file = await session.run(['cat', '/proc/999999999/stat'], 5_000);
    expect(file.exitCode).to.equal(1);
    expect(file.stderr).to.match(/No such file or directory/);
  });

  it('past its deadline a command answers 124; once it is killed the session takes the next one', async function () {
    const marker = 'PAUSE_CONFORMANCE_EXEC=exec-session-test';
    const started = Date.now();
    const slow = await session.run(['sleep', '30'], 300, marker);
    expect(slow.exitCode).to.equal(124);
    expect(Date.now() - started).to.be.below(2_000);
    expect(session.busy, 'the answer of the killed command is still awaited').to.equal(true);
    // What the shell does to a timed-out command: kill it by the marker in its environment.
    const killer = killMarkedArgv(marker);
    expect((await execa(killer[0]!, killer.slice(1))).stdout, 'pids killed by the marker').to.match(/^\d+$/);
    expect(await session.drain(5_000)).to.equal(true);
    expect(await session.run(['echo', 'next'], 5_000)).to.deep.equal({ stdout: 'next', stderr: '', exitCode: 0 });
  });

  it('closing ends the shell and removes its temp dir', async function () {
    expect((await sessionDirs()).length).to.equal(dirsBefore.length + 1);
    await session.close();
    expect(await sessionDirs()).to.deep.equal(dirsBefore);
    expect(session.usable).to.equal(false);
    let error: unknown;
    await session.run(['true'], 1_000).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/the session's shell ended \(exit 0|the session was closed/);
  });

  it('closing over a transport with no half-close: the temp dir is gone before stdin ends, though the end of stdin cuts the shell at once', async function () {
    // As a Kubernetes exec on v4.channel.k8s.io: ending stdin closes the connection; here it also
    // SIGKILLs the shell at once (the worst case: the session-marker kill arriving before the trap).
    const child = spawn('sh', ['-s'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const stdin = new PassThrough();
    stdin.pipe(child.stdin);
    let endedAt: number | undefined;
    let resolveEnded: (end: TransportEnd) => void = () => undefined;
    const ended = new Promise<TransportEnd>((resolve) => (resolveEnded = resolve));
    stdin.on('finish', () => {
      child.kill('SIGKILL');
      endedAt = Date.now();
      resolveEnded({});
    });
    child.on('close', () => resolveEnded({ exitCode: child.exitCode ?? 137 }));
    const cut = await ExecSession.over({ stdin, stdout: child.stdout, stderr: child.stderr, ended, abort: () => child.kill('SIGKILL') });
    expect((await sessionDirs()).length).to.equal(dirsBefore.length + 2);
    await cut.close();
    expect(endedAt, 'stdin was ended').to.be.a('number');
    expect((await sessionDirs()).length, "only the other test session's dir is left").to.equal(dirsBefore.length + 1);
  });

  it('a shell that ends before its first answer: the session does not start, and says what the shell said', async function () {
    let error: unknown;
    await ExecSession.start('sh', ['-c', 'echo no shell here >&2; exit 3']).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/the session's shell ended \(exit 3: no shell here\)/);
    error = undefined;
    await ExecSession.start('pause-conformance-no-such-binary', []).catch((e: unknown) => (error = e));
    expect(String(error)).to.match(/the session's shell failed: Command failed with ENOENT: pause-conformance-no-such-binary/);
  });

  it("finalNewline 'keep': the bytes as the command wrote them, as a one-off exec through the engine's API or Kubernetes gives them", async function () {
    const keeping = await ExecSession.start('sh', ['-s'], { finalNewline: 'keep' });
    try {
      expect(await keeping.run(['sh', '-c', 'echo out; printf "err\\n\\n" >&2'], 5_000)).to.deep.equal({ stdout: 'out\n', stderr: 'err\n\n', exitCode: 0 });
      expect(await session.run(['sh', '-c', 'echo out; printf "err\\n\\n" >&2'], 5_000), 'the default strips one').to.deep.equal({ stdout: 'out', stderr: 'err\n', exitCode: 0 });
    } finally {
      await keeping.close();
    }
  });

  it('quotes a word so that sh takes it as it is', async function () {
    const word = `a'b"c$d\\e`;
    expect((await execa('sh', ['-c', `printf %s ${shellQuote(word)}`])).stdout).to.equal(word);
  });
});
