/**
 * Named steps of a check, as critest's `By(...)`: each step's name, when it started (ms after the
 * check's first step) and how long it took go into the check's evidence under `steps`, and a
 * failure inside a step names it ("at step 'delete the pod': ..."), so the report says where a
 * check stopped without a rerun.
 */
import { evidence, type EvidenceValue } from './evidence.ts';

export interface StepRecord {
  [key: string]: EvidenceValue;
  step: string;
  /** ms from the check's first step to this one's start. */
  atMs: number;
  tookMs: number;
  /** Present (true) only on the step that threw. */
  failed?: boolean;
}

const startOfCheck = new WeakMap<object, number>();

export async function step<T>(context: Mocha.Context, name: string, body: () => Promise<T> | T): Promise<T> {
  const ev = evidence(context);
  const test = context.test!;
  const started = Date.now();
  if (!startOfCheck.has(test)) startOfCheck.set(test, started);
  const steps = (ev['steps'] ??= []) as StepRecord[];
  const record: StepRecord = { step: name, atMs: started - startOfCheck.get(test)!, tookMs: 0 };
  steps.push(record);
  try {
    const value = await body();
    record.tookMs = Date.now() - started;
    return value;
  } catch (error) {
    record.tookMs = Date.now() - started;
    record.failed = true;
    if (error instanceof Error && !error.message.startsWith('at step ')) error.message = `at step '${name}': ${error.message}`;
    throw error;
  }
}
