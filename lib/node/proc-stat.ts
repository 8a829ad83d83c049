/**
 * Parses /proc/<pid>/stat (proc(5)): the state letter and the parent pid. The command name in
 * field 2 is parenthesised and may itself hold spaces or ')', so fields are counted from the
 * last ')'.
 */
export interface ProcStat {
  pid: number;
  comm: string;
  /** R, S, D, Z (zombie), T, t, X, I... */
  state: string;
  ppid: number;
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
  return { pid, comm: text.slice(open + 1, close), state, ppid };
}
