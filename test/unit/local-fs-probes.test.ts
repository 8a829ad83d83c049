/**
 * LocalShell answers cat / test -e / readlink without a process (lib/node/local-fs-probes.ts).
 * Each case runs the real coreutils command too and requires the same stdout, exit code and
 * (for cat) stderr, so the shortcut cannot drift from what it replaces.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runLocalProbe } from '../../lib/node/local-fs-probes.ts';

async function real(argv: string[]): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await execa(argv[0]!, argv.slice(1), { reject: false, stdin: 'ignore' });
  return { stdout: result.stdout, stderr: result.stderr, exitCode: result.exitCode ?? 127 };
}

describe('LocalShell probes without a process (same answers as coreutils)', function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pc-probes-'));
    await writeFile(path.join(dir, 'newline'), 'one line\n');
    await writeFile(path.join(dir, 'two-newlines'), 'a\n\n');
    await writeFile(path.join(dir, 'crlf'), 'dos\r\n');
    await writeFile(path.join(dir, 'none'), 'no newline');
    await writeFile(path.join(dir, 'nul'), 'a\0b\0');
    await writeFile(path.join(dir, 'empty'), '');
    await mkdir(path.join(dir, 'subdir'));
    await symlink('newline', path.join(dir, 'link'));
    await symlink('missing-target', path.join(dir, 'dangling'));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  const at = (name: string): string => path.join(dir, name);

  it('cat FILE: content, final-newline handling, errors', async function () {
    for (const name of ['newline', 'two-newlines', 'crlf', 'none', 'nul', 'empty', 'link', 'missing', 'subdir', 'dangling']) {
      const argv = ['cat', at(name)];
      expect(await runLocalProbe(argv), name).to.deep.equal(await real(argv));
    }
    for (const file of [`/proc/${process.pid}/cmdline`, '/proc/999999999/stat', '/sys/class/net/lo/ifindex']) {
      expect(await runLocalProbe(['cat', file]), file).to.deep.equal(await real(['cat', file]));
    }
  });

  it('test -e PATH: files, directories, symlinks (followed), missing', async function () {
    for (const name of ['newline', 'subdir', 'link', 'dangling', 'missing']) {
      const argv = ['test', '-e', at(name)];
      expect(await runLocalProbe(argv), name).to.deep.equal(await real(argv));
    }
  });

  it('stat -L -c %i PATH: the inode, or the reason it is not there (ENOENT vs ENOTDIR)', async function () {
    for (const name of ['newline', 'subdir', 'link', 'dangling', 'missing', 'newline/below-a-file']) {
      const argv = ['stat', '-L', '-c', '%i', at(name)];
      expect(await runLocalProbe(argv), name).to.deep.equal(await real(argv));
    }
    for (const file of ['/proc/999999999', `/proc/${process.pid}/ns/net`]) {
      const argv = ['stat', '-L', '-c', '%i', file];
      expect(await runLocalProbe(argv), file).to.deep.equal(await real(argv));
    }
  });

  it('readlink PATH...: the links it can read, silent about the rest, exit 1 if any failed', async function () {
    const cases = [
      [at('link')],
      [at('link'), at('dangling')],
      [at('link'), at('newline'), at('dangling')],
      [at('missing')],
      ['/proc/self/ns/net', '/proc/self/ns/ipc', '/proc/self/ns/uts', '/proc/self/ns/pid', '/proc/self/ns/mnt'],
    ];
    for (const paths of cases) {
      const argv = ['readlink', ...paths];
      expect(await runLocalProbe(argv), paths.join(' ')).to.deep.equal(await real(argv));
    }
  });

  it('leaves every other command and form to a real process', async function () {
    for (const argv of [['cat', '-A', at('newline')], ['cat', at('newline'), at('none')], ['cat', 'relative'], ['test', '-d', dir], ['stat', '-c', '%i', dir], ['stat', '-L', '-c', '%n', dir], ['readlink', '-f', at('link')], ['ip', '-j', 'link', 'show']]) {
      expect(await runLocalProbe(argv), argv.join(' ')).to.equal(undefined);
    }
  });
});
