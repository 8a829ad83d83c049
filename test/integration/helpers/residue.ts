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

/**
 * The long-lived helpers a run starts on this machine (lib/node/link-monitor.ts's guarded
 * `ip -o monitor link`, lib/node/process-exits.ts's pidfd helper) still running, as `pgrep -a` lists them.
 */
export async function runHelpersLeft(): Promise<string[]> {
  const left: string[] = [];
  for (const pattern of ['^sh -c nice -n -10 ip -o monitor link & monitor=', '^perl -e .*syscall\\(434']) {
    const listed = await execa('pgrep', ['-af', pattern], { reject: false });
    left.push(...listed.stdout.split('\n').filter(Boolean));
  }
  return left;
}
