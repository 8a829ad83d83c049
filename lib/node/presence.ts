/**
 * What a probe of the node says of a thing (a process, a path, an IP in the IPAM store, a shim):
 * there, not there, or no clear answer. Only a clear "not there" (ENOENT, no such process) may
 * count as gone. A shell that timed out (exit 124), a `docker exec` into a stopped node or a
 * permission error says nothing about the thing, and reading it as "gone" let teardown checks
 * pass on a node the harness could not see (issue 9, "Gone must mean gone").
 */
import type { ShellResult } from './node-shell.ts';

export type Presence = 'present' | 'absent' | { unknown: string };

export function isUnknown(presence: Presence): presence is { unknown: string } {
  return typeof presence === 'object';
}

/** One line for evidence and console lines: 'present', 'absent' or 'unknown: <what the shell said>'. */
export function describePresence(presence: Presence): string {
  return isUnknown(presence) ? `unknown: ${presence.unknown}` : presence;
}

/** A probe gave no clear answer: the check that asked fails with what the shell said. */
export class ProbeUnknownError extends Error {
  readonly what: string;
  readonly said: string;
  constructor(what: string, said: string) {
    super(`cannot tell whether ${what} is gone: ${said}`);
    this.name = 'ProbeUnknownError';
    this.what = what;
    this.said = said;
  }
}

/** true for present, false for absent, and a ProbeUnknownError for anything else. */
export function presentOrThrow(what: string, presence: Presence): boolean {
  if (isUnknown(presence)) throw new ProbeUnknownError(what, presence.unknown);
  return presence === 'present';
}

/** The shell's own words, short: "exit 124: timed out after 30000 ms; ..." with stdout when it printed any. */
export function shellSaid(command: string, result: ShellResult): string {
  const stderr = result.stderr.trim().split('\n').slice(-3).join(' | ');
  const stdout = result.stdout.trim().split('\n').slice(-2).join(' | ');
  return `${command} exited ${result.exitCode}${stderr ? `, stderr: ${stderr}` : ''}${stdout ? `, stdout: ${stdout.slice(0, 200)}` : ''}`;
}

/**
 * strerror(ENOENT) and strerror(ESRCH) as coreutils and busybox print them after the path
 * ("cat: /proc/9/stat: No such file or directory", "stat: can't stat 'x': No such file or
 * directory"). Exit 1 with this text, and nothing else, is the clear "not there".
 */
const NOT_THERE = /: No such file or directory$|: No such process$/;

/**
 * Reads a probe command's result: exit 0 is present; exit 1 whose every stderr line ends in
 * ENOENT/ESRCH wording is absent; anything else (a timeout's 124, docker's "container is not
 * running", EACCES, a missing command's 127) is unknown with what the shell said.
 */
export function presenceOfResult(command: string, result: ShellResult): Presence {
  if (result.exitCode === 0) return 'present';
  const lines = result.stderr.trim().split('\n').filter(Boolean);
  if (result.exitCode === 1 && lines.length > 0 && lines.every((line) => NOT_THERE.test(line.trim()))) return 'absent';
  return { unknown: shellSaid(command, result) };
}
