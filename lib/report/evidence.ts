/**
 * Evidence: what a check saw (pids, namespace inodes, IPs, paths, timings), attached to the
 * running test so the report can say why a check passed or failed without a rerun.
 */
export type EvidenceValue = string | number | boolean | null | undefined | EvidenceValue[] | { [key: string]: EvidenceValue };
export type Evidence = Record<string, EvidenceValue>;

const evidenceByTest = new WeakMap<object, Evidence>();
const skipReasons = new WeakMap<object, string>();

/** The evidence record of the test `context` is running (create on first use). */
export function evidence(context: Mocha.Context): Evidence {
  const test = context.test;
  if (!test) throw new Error('evidence() must be called inside a test or hook');
  let record = evidenceByTest.get(test);
  if (!record) {
    record = {};
    evidenceByTest.set(test, record);
  }
  return record;
}

export function evidenceOf(test: Mocha.Runnable): Evidence | undefined {
  return evidenceByTest.get(test);
}

/** Skips the running test with a reason that the console and the report both show. */
export function skipBecause(context: Mocha.Context, reason: string): never {
  if (context.test) skipReasons.set(context.test, reason);
  context.skip();
}

export function skipReasonOf(test: Mocha.Runnable): string | undefined {
  return skipReasons.get(test);
}
