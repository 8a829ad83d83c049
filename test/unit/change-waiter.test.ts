/**
 * ChangeWaiter (lib/report/change-waiter.ts) on a NodeEvents whose changes the test tells: what
 * made each look (an event, its follow-ups, the fallback poll) and the changes told, with when.
 */
import { expect } from 'chai';
import { ChangeWaiter, FALLBACK_MS, TOLD_KEPT } from '../../lib/report/change-waiter.ts';
import { ChangeFollowers, type Change, type ChangeKey, type NodeEvents } from '../../lib/node/node-events.ts';

function fakeEvents(): NodeEvents & { tell(key: ChangeKey, source: string, atMs: number): void; followersTell(change: Change): void } {
  const followers = new ChangeFollowers();
  return {
    sources: () => ({ task: { source: 'test' }, path: { source: 'test' }, link: { source: 'test' }, process: { source: 'test' } }),
    whyNot: () => undefined,
    follow: (keys, onChange) => followers.add(keys, onChange),
    close: async () => undefined,
    tell: (key, source, atMs) => followers.emit({ key, source, atMs }),
    followersTell: (change) => followers.emit(change),
  };
}

describe('ChangeWaiter', function () {
  it('names the event that woke a look, then its follow-ups, and keeps the changes told with when', async function () {
    const events = fakeEvents();
    const pause: ChangeKey = { kind: 'task', id: 'sandbox-1' };
    const waiter = new ChangeWaiter(events, [pause]);
    expect(waiter.cause()).to.equal('first look');
    const next = waiter.next();
    events.tell({ kind: 'task', id: 'other' }, 'containerd event /tasks/exit', 1_000);
    events.tell(pause, 'containerd event /tasks/exit', 1_040);
    await next;
    expect(waiter.cause()).to.equal('containerd event /tasks/exit');
    await waiter.next();
    expect(waiter.cause()).to.equal('containerd event /tasks/exit (follow-up look 1)');
    // Told while no look waited: kept for the next wait, and in the record.
    events.tell(pause, 'containerd event /tasks/delete', 1_090);
    await waiter.next();
    expect(waiter.cause()).to.equal('containerd event /tasks/delete');
    expect(waiter.told(1_000)).to.deep.equal(['containerd event /tasks/exit +40 ms', 'containerd event /tasks/delete +90 ms']);
    waiter.stop();
  });

  it('knows when every thing it follows was told gone: the last removal\'s own stamp', async function () {
    const events = fakeEvents();
    const pause: ChangeKey = { kind: 'process', pid: 41 };
    const netns: ChangeKey = { kind: 'path', path: '/run/netns/cni-1' };
    const waiter = new ChangeWaiter(events, [pause, netns, pause]);
    events.followersTell({ key: pause, source: 'pidfd', atMs: 1_010, gone: true });
    events.followersTell({ key: netns, source: 'inotify', atMs: 1_005 });
    expect(waiter.goneAt(), 'the netns only changed').to.equal(undefined);
    events.followersTell({ key: netns, source: 'inotify', atMs: 1_030, gone: true });
    events.followersTell({ key: netns, source: 'inotify', atMs: 1_090, gone: true });
    expect(waiter.goneAt(), 'the first removal of each, the latest of them').to.equal(1_030);
    waiter.stop();
  });

  it('for a condition that is the absence of its things, follows a change up only once every thing was told gone', async function () {
    const events = fakeEvents();
    const first: ChangeKey = { kind: 'process', pid: 51 };
    const second: ChangeKey = { kind: 'path', path: '/x/containers/c2/status', reads: 'cri-status' };
    const waiter = new ChangeWaiter(events, [first, second], () => true, true);
    const lookWithin = async (next: Promise<void>, ms: number): Promise<boolean> => Promise.race([next.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), ms))]);
    const first1 = waiter.next();
    events.followersTell({ key: first, source: 'pidfd', atMs: 1_000, gone: true });
    await first1;
    // The second thing is still there: a follow-up look could only see it so, and none comes.
    const afterFirst = waiter.next();
    expect(await lookWithin(afterFirst, 100), 'a follow-up look 100 ms after the first thing went').to.equal(false);
    events.followersTell({ key: second, source: 'inotify', atMs: 1_010 });
    await afterFirst;
    const afterRewrite = waiter.next();
    expect(await lookWithin(afterRewrite, 100), 'a follow-up look after a change that says nothing gone').to.equal(false);
    events.followersTell({ key: second, source: 'inotify', atMs: 1_020, gone: true });
    await afterRewrite;
    await waiter.next();
    expect(waiter.cause(), 'every thing told gone: the look after it is followed up').to.equal('inotify (follow-up look 1)');
    waiter.stop();
  });

  it('waits twice as long for each fallback while nothing is told, and the first wait again after a change', async function () {
    this.timeout(FALLBACK_MS * 20);
    const events = fakeEvents();
    const veth: ChangeKey = { kind: 'link', ifindex: 6 };
    const waiter = new ChangeWaiter(events, [veth], () => false);
    const waited = async (): Promise<number> => {
      const t0 = Date.now();
      await waiter.next();
      return Date.now() - t0;
    };
    // 1 ms of slack each: a Node timer may fire 1 ms early against Date.now.
    expect(await waited()).to.be.within(FALLBACK_MS - 1, FALLBACK_MS * 2 - 1);
    expect(await waited()).to.be.at.least(FALLBACK_MS * 2 - 1);
    expect(waiter.cause()).to.equal(`poll (fallback, ${FALLBACK_MS * 2} ms without a change)`);
    setTimeout(() => events.tell(veth, 'ip monitor', Date.now()), 20);
    expect(await waited()).to.be.below(FALLBACK_MS);
    expect(waiter.cause()).to.equal('ip monitor');
    expect(await waited()).to.be.within(FALLBACK_MS - 1, FALLBACK_MS * 2 - 1);
    waiter.stop();
  });

  it('looks again after the fallback when nothing is told, and keeps only the first changes told', async function () {
    this.timeout(FALLBACK_MS * 20);
    const events = fakeEvents();
    const veth: ChangeKey = { kind: 'link', ifindex: 5 };
    const waiter = new ChangeWaiter(events, [veth]);
    const t0 = Date.now();
    // No change told yet, so no follow-ups: the wait ends at the fallback.
    await waiter.next();
    expect(waiter.cause()).to.equal(`poll (fallback, ${FALLBACK_MS} ms without a change)`);
    // Node fires a timer against its loop's cached clock, which can be up to 1 ms behind
    // Date.now() when the timer is set: a 250 ms timer is measured as 249 ms (seen in CI).
    expect(Date.now() - t0).to.be.at.least(FALLBACK_MS - 1);
    for (let i = 0; i < TOLD_KEPT + 3; i++) events.tell(veth, 'ip monitor', 2_000 + i);
    const told = waiter.told(2_000);
    expect(told).to.have.length(TOLD_KEPT + 1);
    expect(told[0]).to.equal('ip monitor +0 ms');
    expect(told.at(-1)).to.equal('(3 more)');
    waiter.stop();
  });
});
