/**
 * Parses /proc/<pid>/stat (proc(5)): the state letter and the parent pid. The command name in
 * field 2 is parenthesised and may itself hold spaces or ')', so fields are counted from the
 * last ')'.
 */
import { readFile } from 'node:fs/promises';

export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z (zombie), T, t, X, I... */
  state: string;
  ppid: number;
  /** Field 22, starttime in clock ticks since boot: with the pid, it names one process for good. */
  startTicks: string;
}

/** A zombie (Z) or dead (X) process has exited already, whatever /proc still shows. */
export function hasExited(stat: ProcStat): boolean {
  return stat.state === 'Z' || stat.state === 'X';
}

export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const rest = text.slice(close + 2).trim().split(/\s+/);
  const pid = Number(text.slice(0, open).trim());
  const state = rest[0] ?? '';
  const ppid = Number(rest[1]);
  if (!Number.isInteger(pid) || !/^[A-Za-z]$/.test(state) || !Number.isInteger(ppid)) {
    throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  }
  return { pid, comm: text.slice(open + 1, close), state, ppid, startTicks: rest[19] ?? '' };
}

/** /proc/<pid>/stat of this machine, parsed; undefined when there is no such process. */
export async function readProcStat(pid: number): Promise<ProcStat | undefined> {
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return undefined;
  }
}
