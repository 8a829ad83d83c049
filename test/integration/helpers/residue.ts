/** What a run left on this machine, as the harness's own finder sees it (one line each). */
import { describeResidue, findResidue, removeResidue } from '../../../lib/runtime/run-residue.ts';
import { runLayout } from '../../../lib/runtime/run-layout.ts';
import { execa } from 'execa';

export async function residueOf(runId: string): Promise<string[]> {
  return describeResidue(await findResidue(runLayout(runId)));
}

/** Removes a run's leftovers (after a test forced them) and returns what was still there. */
export async function removeRun(runId: string): Promise<string[]> {
  return removeResidue(runLayout(runId));
}

/** Runs' `ip -o monitor link` guards (lib/node/link-monitor.ts) still running on this machine, as `pgrep -a` lists them. */
export async function guardedMonitors(): Promise<string[]> {
  const listed = await execa('pgrep', ['-af', '^sh -c ip -o monitor link & monitor='], { reject: false });
  return listed.stdout.split('\n').filter(Boolean);
}
