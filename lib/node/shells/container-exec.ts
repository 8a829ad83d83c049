/**
 * What the two shells into a node container (`<engine> exec`, testcontainers' exec API) share:
 * - A command that is not in the container: the engine answers exit 126 with the OCI runtime's
 *   words ("OCI runtime exec failed: exec failed: unable to start container process: exec:
 *   \"crictl\": executable file not found in $PATH: unknown"; on stdout, with \r\n, through the
 *   exec API). A shell says 127 for that, and callers (the crictl inspector: "crictl is not
 *   installed on the node") take only 127 as "missing": the result is reported as 127, the
 *   engine's words on stderr.
 * - A deadline: stopping the client (the CLI process, or the exec API's stream) leaves the command
 *   running in the container. Every command carries a marker in its environment; when its deadline
 *   passes, a second exec kills every process of the container that carries it (the command and
 *   whatever it started).
 */
import { randomUUID } from 'node:crypto';
import type { ShellResult } from '../node-shell.ts';

export const EXEC_MARKER_VARIABLE = 'PAUSE_CONFORMANCE_EXEC';

/** A fresh marker for one command, as VARIABLE=value. */
export function newExecMarker(): string {
  return `${EXEC_MARKER_VARIABLE}=${randomUUID()}`;
}

/**
 * The argv that kills, in the container, every process whose environment holds `marker` and prints
 * their pids. A fixed script; the marker is its argument, never part of the script text.
 */
export function killMarkedArgv(marker: string): string[] {
  // One grep reads every environ (NUL-separated: -z); where grep has no -z, they are read one by one.
  const script = [
    'if printf "x\\0" | grep -qzxF x 2>/dev/null; then',
    '  files=$(grep -slzxF -- "$1" /proc/[0-9]*/environ)',
    'else',
    '  files=""',
    '  for p in /proc/[0-9]*; do if tr "\\0" "\\n" < "$p/environ" 2>/dev/null | grep -qxF -- "$1"; then files="$files $p/environ"; fi; done',
    'fi',
    'for f in $files; do p=${f#/proc/}; p=${p%/environ}; kill -KILL "$p" 2>/dev/null && echo "$p"; done',
    'exit 0',
  ].join('\n');
  return ['sh', '-c', script, 'kill-marked', marker];
}

const NOT_FOUND = /exec: "([^"]+)": (?:executable file not found in \$PATH|stat [^:]*: no such file or directory)/;

/** A 126 that says the command itself was not found becomes the shell's 127, the engine's words on stderr. */
export function reportMissingCommand(argv: string[], result: ShellResult): ShellResult {
  if (result.exitCode !== 126) return result;
  const said = `${result.stderr}\n${result.stdout}`.replace(/\r/g, '');
  const missing = NOT_FOUND.exec(said);
  if (!missing || missing[1] !== argv[0]) return result;
  return { stdout: '', stderr: said.trim(), exitCode: 127 };
}

/** The result of a command whose deadline passed, with what the kill in the container found. */
export function timedOut(partial: { stdout: string; stderr: string }, timeoutMs: number, killed: string): ShellResult {
  return { stdout: partial.stdout, stderr: `${partial.stderr}\ntimed out after ${timeoutMs} ms; ${killed}`.trim(), exitCode: 124 };
}
