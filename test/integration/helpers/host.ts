/** Small facts about this machine that the integration tests assert on. */
import { execa } from 'execa';
import { hasExited, readProcStat } from '../../../lib/linux/proc-stat.ts';

/** /proc/<pid>/stat start time (field 22), as run-dir.ts stamps owners with it. */
export async function startTicks(pid: number): Promise<string> {
  const ticks = (await readProcStat(pid))?.startTicks;
  if (!ticks) throw new Error(`no start time in /proc/${pid}/stat`);
  return ticks;
}

/** Alive and not a zombie. */
export async function processAlive(pid: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && !hasExited(stat);
}

export async function linkExists(name: string): Promise<boolean> {
  return (await execa('ip', ['link', 'show', 'dev', name], { reject: false })).exitCode === 0;
}

/** Names of every link on the host. */
export async function linkNames(): Promise<string[]> {
  const result = await execa('ip', ['-j', 'link', 'show']);
  return (JSON.parse(result.stdout || '[]') as { ifname: string }[]).map((link) => link.ifname);
}
