/**
 * askUntilNotReady (lib/node/sandbox-turn.ts) on answers the test gives: how far apart it asks,
 * what it says of the turn, and that it stops at its bound or at a failed ask.
 */
import { expect } from 'chai';
import { askUntilNotReady } from '../../lib/node/sandbox-turn.ts';
import type { SandboxState } from '../../lib/node/node-view.ts';

const now = (): number => performance.timeOrigin + performance.now();

/** Answers in turn, noting when each ask was sent. */
function answering(answers: SandboxState[]): { stateOf: () => Promise<SandboxState>; sentAt: number[] } {
  const sentAt: number[] = [];
  return {
    sentAt,
    stateOf: async () => {
      sentAt.push(now());
      return answers[Math.min(sentAt.length - 1, answers.length - 1)]!;
    },
  };
}

describe('askUntilNotReady', function () {
  it('asks at least everyMs apart, the first after the removal too where asked, and brackets the turn', async function () {
    const removedAt = now();
    const { stateOf, sentAt } = answering(['ready', 'ready', 'notready']);
    const turn = await askUntilNotReady(stateOf, removedAt, { everyMs: 4, forMs: 2_000, firstAfterEvery: true, now });
    expect(sentAt).to.have.length(3);
    // A Node timer can fire up to 1 ms early against performance.now() (the event loop's clock is whole ms).
    expect(sentAt[0]! - removedAt, 'the first ask after the removal').to.be.at.least(4 - 1);
    for (let i = 1; i < sentAt.length; i++) expect(sentAt[i]! - sentAt[i - 1]!, `ask ${i + 1} after ask ${i}`).to.be.at.least(4 - 1);
    // The turn came after the second ask was sent (it answered "ready"), and by the third's answer.
    expect(turn?.asks).to.equal(3);
    expect(turn!.afterMs, 'the last "ready" ask, as sent').to.be.above(sentAt[0]!).and.at.most(sentAt[1]!);
    expect(turn!.byMs).to.be.at.least(sentAt[2]!);
  });

  it('takes the removal as the turn\'s earliest where the first answer is already not ready, asked at once', async function () {
    const removedAt = now();
    const { stateOf, sentAt } = answering(['gone']);
    const turn = await askUntilNotReady(stateOf, removedAt, { everyMs: 50, forMs: 2_000, firstAfterEvery: false, now });
    expect(sentAt[0]! - removedAt, 'asked at once').to.be.below(50);
    expect(turn).to.deep.include({ afterMs: removedAt, asks: 1 });
  });

  it('says nothing once its bound passed with every answer ready, and throws what a failed ask threw', async function () {
    const always = answering(['ready']);
    const started = now();
    expect(await askUntilNotReady(always.stateOf, started, { everyMs: 5, forMs: 60, firstAfterEvery: false, now })).to.equal(undefined);
    expect(always.sentAt.at(-1)! - started, 'no ask sent past the bound').to.be.below(60);
    const failing = async (): Promise<SandboxState> => {
      throw new Error('UNAVAILABLE');
    };
    let thrown: unknown;
    await askUntilNotReady(failing, now(), { everyMs: 5, forMs: 60, firstAfterEvery: false, now }).catch((error: unknown) => (thrown = error));
    expect(thrown).to.be.an('error').with.property('message', 'UNAVAILABLE');
  });
});
