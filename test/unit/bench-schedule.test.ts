/** The bench's block order: every pod of each mode runs, blocks alternate and fill the concurrency. */
import { expect } from 'chai';
import { blockOrder, podsAt } from '../../bench/schedule.ts';

describe('bench schedule', function () {
  it('runs at least three full blocks at high concurrency', function () {
    expect(podsAt(24, 1)).to.equal(24);
    expect(podsAt(24, 16)).to.equal(48);
  });

  it('alternates harness and raw in flipped pairs, with every pod once', function () {
    expect(blockOrder(24, 1)).to.deep.equal([['harness', 6], ['raw', 6], ['raw', 6], ['harness', 6], ['harness', 6], ['raw', 6], ['raw', 6], ['harness', 6]]);
    expect(blockOrder(48, 16)).to.deep.equal([['harness', 16], ['raw', 16], ['raw', 16], ['harness', 16], ['harness', 16], ['raw', 16]]);
    for (const [pods, concurrency] of [[7, 1], [24, 4], [5, 16]] as const) {
      const order = blockOrder(pods, concurrency);
      for (const mode of ['harness', 'raw'] as const) {
        expect(order.filter(([m]) => m === mode).reduce((sum, [, n]) => sum + n, 0), `${mode} ${pods}@${concurrency}`).to.equal(pods);
      }
    }
  });
});
