/**
 * step() records each named step of a check into its evidence and names the step a failure came
 * from, in the error the report shows. Run through a real Mocha runner, as the suites are.
 */
import { expect } from 'chai';
import Mocha from 'mocha';
import { evidenceOf } from '../../lib/report/evidence.ts';
import { step } from '../../lib/report/steps.ts';

async function runOne(body: (this: Mocha.Context) => Promise<void>): Promise<{ test: Mocha.Test; error?: Error }> {
  const mocha = new Mocha({ reporter: class {} as unknown as Mocha.ReporterConstructor });
  const test = new Mocha.Test('a check', body);
  mocha.suite.addTest(test);
  let error: Error | undefined;
  await new Promise<void>((resolve) => mocha.run().on('fail', (_t: Mocha.Test, e: Error) => { error = e; }).on('end', () => resolve()));
  return error ? { test, error } : { test };
}

describe('step', function () {
  it('records every step with its start and duration, in order', async function () {
    const { test, error } = await runOne(async function () {
      await step(this, 'first', () => new Promise((resolve) => setTimeout(resolve, 30)));
      expect(await step(this, 'second', () => 42)).to.equal(42);
    });
    expect(error).to.equal(undefined);
    const steps = evidenceOf(test)?.['steps'] as Array<{ step: string; atMs: number; tookMs: number; failed?: boolean }>;
    expect(steps.map((s) => s.step)).to.deep.equal(['first', 'second']);
    expect(steps[0]!.tookMs).to.be.at.least(25);
    expect(steps[1]!.atMs).to.be.at.least(steps[0]!.tookMs);
    expect(steps.some((s) => s.failed)).to.equal(false);
  });

  it('names the step a failure came from, and marks it', async function () {
    const { test, error } = await runOne(async function () {
      await step(this, 'make the pod', () => undefined);
      await step(this, 'delete the pod', () => {
        expect(1, 'pause alive').to.equal(0);
      });
      await step(this, 'never reached', () => undefined);
    });
    expect(error?.message).to.match(/^at step 'delete the pod': pause alive: expected 1 to equal \+0/);
    const steps = evidenceOf(test)?.['steps'] as Array<{ step: string; failed?: boolean }>;
    expect(steps.map((s) => [s.step, s.failed ?? false])).to.deep.equal([['make the pod', false], ['delete the pod', true]]);
  });
});
