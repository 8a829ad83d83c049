/** What a run left on this machine, as the harness's own finder sees it (one line each). */
import { describeResidue, findResidue, removeResidue } from '../../../lib/runtime/run-residue.ts';
import { runLayout } from '../../../lib/runtime/run-layout.ts';

export async function residueOf(runId: string): Promise<string[]> {
  return describeResidue(await findResidue(runLayout(runId)));
}

/** Removes a run's leftovers (after a test forced them) and returns what was still there. */
export async function removeRun(runId: string): Promise<string[]> {
  return removeResidue(runLayout(runId));
}
