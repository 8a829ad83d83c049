/**
 * The read-only probes a NodeView polls on this machine (`cat FILE`, `test -e PATH`,
 * `stat -L -c %i PATH`, `readlink PATH...`), answered by reading the file system instead of spawning coreutils. A spawn
 * costs 6-9 ms of CPU here; a teardown watch polls seven of them per pod every round, so at 16
 * pods the harness itself slowed the node and saw teardown hundreds of ms late (npm run bench).
 * The answers are what LocalShell would return from coreutils through execa: the same stdout
 * (final newline stripped, as execa strips it), the same exit code, and cat's error line.
 * Anything else, or any other form of these commands, is left to a real process.
 */
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import type { CommandResult } from '../command-result.ts';
import { errnoCode } from '../linux/errno.ts';

/** strerror(3) wording, as coreutils prints it, for the errors reading /proc and /sys can give. */
const STRERROR: Record<string, string> = {
  ENOENT: 'No such file or directory',
  EACCES: 'Permission denied',
  EPERM: 'Operation not permitted',
  EISDIR: 'Is a directory',
  ENOTDIR: 'Not a directory',
  ESRCH: 'No such process',
  EINVAL: 'Invalid argument',
  ELOOP: 'Too many levels of symbolic links',
};

function strerror(error: unknown): string {
  const code = errnoCode(error) ?? '';
  return STRERROR[code] ?? (error instanceof Error ? error.message : String(error));
}

/** execa's stripFinalNewline: one trailing \n (or \r\n) goes. */
function stripFinalNewline(text: string): string {
  return text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
}

const isPlainPath = (arg: string | undefined): arg is string => arg !== undefined && path.isAbsolute(arg);

/**
 * /proc and /sys answer from kernel memory and never wait on a disk: read synchronously, a probe
 * costs microseconds instead of three thread-pool round trips (open, read, close) of a promise read.
 */
const inKernelFs = (file: string): boolean => file.startsWith('/proc/') || file.startsWith('/sys/');

async function readText(file: string): Promise<string> {
  return inKernelFs(file) ? readFileSync(file, 'utf8') : readFile(file, 'utf8');
}

async function readLinkTarget(file: string): Promise<string> {
  return inKernelFs(file) ? readlinkSync(file) : readlink(file);
}

/** The result coreutils would give for argv, or undefined when argv is not one of the probes. */
export async function runLocalProbe(argv: string[]): Promise<CommandResult | undefined> {
  const [command, ...args] = argv;
  if (command === 'cat' && args.length === 1 && isPlainPath(args[0])) {
    try {
      return { stdout: stripFinalNewline(await readText(args[0])), stderr: '', exitCode: 0 };
    } catch (error) {
      return { stdout: '', stderr: `cat: ${args[0]}: ${strerror(error)}`, exitCode: 1 };
    }
  }
  if (command === 'test' && args.length === 2 && args[0] === '-e' && isPlainPath(args[1])) {
    // test -e follows symlinks (stat, not lstat), and says nothing either way. Synchronous: a stat
    // reads metadata the kernel keeps cached for the paths polled here (netns files, IPAM entries),
    // and a promise stat's thread-pool round trip was the largest single cost of a teardown watch.
    return { stdout: '', stderr: '', exitCode: existsSync(args[1]) ? 0 : 1 };
  }
  if (command === 'stat' && args.length === 4 && args[0] === '-L' && args[1] === '-c' && args[2] === '%i' && isPlainPath(args[3])) {
    // A path's presence with the reason when it is not there (ShellNodeView.pathPresence): GNU
    // stat's inode number, or its error line. Synchronous for the same reason as test -e.
    try {
      return { stdout: String(statSync(args[3]).ino), stderr: '', exitCode: 0 };
    } catch (error) {
      return { stdout: '', stderr: `stat: cannot statx '${args[3]}': ${strerror(error)}`, exitCode: 1 };
    }
  }
  if (command === 'readlink' && args.length > 0 && args.every(isPlainPath)) {
    // GNU readlink without options: one line per link it could read, silent about the others, exit 1 if any failed.
    const targets = await Promise.all(args.map((arg) => readLinkTarget(arg).catch(() => undefined)));
    const read = targets.filter((target): target is string => target !== undefined);
    return { stdout: read.join('\n'), stderr: '', exitCode: read.length === targets.length ? 0 : 1 };
  }
  return undefined;
}
