/**
 * pollUntil, the wait every poll in the project goes through: it ends at its deadline with a
 * message naming what was awaited and what was last seen, fails at once when a probe throws (no
 * retry hides it), and is not hung by a probe that never answers.
 */
import { expect } from 'chai';
import { pollUntil, WaitTimeoutError } from '../../lib/wait.ts';

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected the wait to fail');
    },
    (error: unknown) => error as Error,
  );
}

describe('pollUntil', function () {
  it('returns the value once the probe is done', async function () {
    let calls = 0;
    const value = await pollUntil(async () => (++calls === 3 ? { done: true, value: 'ready' } : { done: false, seen: `call ${calls}` }), { awaited: 'the third call', timeoutMs: 1000, intervalMs: 1 });
    expect(value).to.equal('ready');
    expect(calls).to.equal(3);
  });

  it('ends at the deadline naming what was awaited and what was last seen', async function () {
    const started = Date.now();
    const error = await failure(pollUntil(async () => ({ done: false, seen: 'state CREATED' }), { awaited: 'container x running', timeoutMs: 100, intervalMs: 5 }));
    expect(error).to.be.instanceOf(WaitTimeoutError);
    expect(error.message).to.equal('container x running not seen after 100 ms (last seen: state CREATED)');
    expect(Date.now() - started).to.be.within(100, 1000);
  });

  it('fails at once with the error of a probe that throws', async function () {
    let calls = 0;
    const error = await failure(
      pollUntil(
        async () => {
          calls++;
          throw new Error('runtime said no');
        },
        { awaited: 'anything', timeoutMs: 5000 },
      ),
    );
    expect(error.message).to.equal('runtime said no');
    expect(calls).to.equal(1);
  });

  it('is not hung by a probe that never answers', async function () {
    const started = Date.now();
    const error = await failure(pollUntil(() => new Promise<never>(() => undefined), { awaited: 'a hung call', timeoutMs: 50 }));
    expect(error).to.be.instanceOf(WaitTimeoutError);
    expect(error.message).to.match(/^a hung call not seen after 50 ms \(last seen: nothing yet; then a probe that had not answered 1000 ms after the deadline\)$/);
    expect(Date.now() - started).to.be.within(1000, 3000);
  });
});
