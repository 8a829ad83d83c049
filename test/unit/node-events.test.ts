/**
 * A teardown watch looks again when the node tells a change, not every 5 ms. Real sources here:
 * inotify on a temp directory (startLocalNodeEvents without containerd or links), and the line
 * parser of `ip -o monitor link` on lines this machine's iproute2 printed.
 */
import { expect } from 'chai';
import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { existsSync, unlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseMonitorLinkLine } from '../../lib/node/link-monitor.ts';
import { startLocalNodeEvents } from '../../lib/node/local-node-events.ts';
import type { NodeEvents } from '../../lib/node/node-events.ts';
import { ChangeWaiter, FALLBACK_MS, FOLLOW_UP_MS } from '../../lib/report/change-waiter.ts';
import { watchFirstSeen } from '../../lib/report/first-seen.ts';

// Printed by `ip -o monitor link` (iproute2 6.1, Debian 12) on this machine on 2026-12-03 while a
// veth pair pcxv0/pcxv1 was made, one end moved to another netns, and the pair deleted.
const MONITOR_LINES = [
  '5989: pcxv1@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether c2:9f:db:0e:30:7c brd ff:ff:ff:ff:ff:ff',
  'Deleted 5989: pcxv1@pcxv0: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default \\    link/ether c2:9f:db:0e:30:7c brd ff:ff:ff:ff:ff:ff new-netnsid 0 new-ifindex 5989',
  'Deleted 5990: pcxv0@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether d2:d6:7d:eb:3d:d5 brd ff:ff:ff:ff:ff:ff',
];

/** Waits (bounded) until the waiter knows every thing it follows is gone. */
async function pollGoneAt(waiter: ChangeWaiter): Promise<void> {
  for (let i = 0; i < 20 && waiter.goneAt() === undefined; i++) await waiter.next();
}

describe('node change sources', function () {
  let dir: string;
  let events: NodeEvents;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pc-node-events-'));
    events = await startLocalNodeEvents({ links: false });
  });
  afterEach(async function () {
    await events.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the ifindex and the delete from ip monitor lines', function () {
    expect(MONITOR_LINES.map(parseMonitorLinkLine)).to.deep.equal([
      { ifindex: 5989, name: 'pcxv1', deleted: false },
      { ifindex: 5989, name: 'pcxv1', deleted: true },
      { ifindex: 5990, name: 'pcxv0', deleted: true },
    ]);
    expect(parseMonitorLinkLine('    link/ether c2:9f:db:0e:30:7c')).to.equal(undefined);
  });

  it('says why a kind has no source, and follows paths by inotify', function () {
    const sources = events.sources();
    expect(sources.task).to.deep.equal({ none: 'no containerd socket known on this target' });
    expect(sources.link).to.have.property('none');
    expect(events.whyNot({ kind: 'path', path: path.join(dir, 'x') })).to.equal(undefined);
    expect(events.whyNot({ kind: 'path', path: path.join(dir, 'no-such-dir', 'x') })).to.match(/^inotify on .*no-such-dir refused: /);
    expect(events.whyNot({ kind: 'task', id: 'abc' })).to.equal('no containerd socket known on this target');
    // A sandbox's state is asked of the CRI only where the sources know its endpoint: here a
    // watch falls back to the bundle, netns and veth (sandbox-gone.ts).
    expect(events.whyNot({ kind: 'path', path: path.join(dir, 'sandbox-id'), reads: 'cri-sandbox' })).to.equal("no CRI endpoint to ask for a sandbox's state on this target");
  });

  it('sees a removed file within a few ms of the unlink, woken by inotify, with no look in between', async function () {
    const file = path.join(dir, '10.0.0.7');
    await writeFile(file, 'container-id');
    let looks = 0;
    const waiter = new ChangeWaiter(events, [{ kind: 'path', path: file }]);
    const causes: Record<string, string> = {};
    const startMs = Date.now();
    let unlinkedAt = 0;
    // Removed 150 ms from now: before FALLBACK_MS, so only the event can make the look that sees it.
    setTimeout(() => {
      unlinkedAt = Date.now();
      void unlink(file);
    }, 150);
    const seen = await watchFirstSeen(
      { ipReleased: async () => (looks++, !existsSync(file)) },
      startMs,
      { timeoutMs: 5_000, waiters: { ipReleased: waiter }, causes },
    );
    waiter.stop();
    expect(causes['ipReleased']).to.equal('inotify');
    expect(startMs + seen['ipReleased']! - unlinkedAt, 'ms from the unlink to the look that saw it').to.be.lessThan(20);
    // The first look, then the one the event called for (a 5 ms poll would have made about 30).
    expect(looks).to.equal(2);
  });

  it('times an unlink at the inotify thread\'s stamp, right even while this thread is busy, and a look confirms it after', async function () {
    const file = path.join(dir, '10.0.0.8');
    await writeFile(file, 'container-id');
    const waiter = new ChangeWaiter(events, [{ kind: 'path', path: file }]);
    const confirmedAt: Record<string, number> = {};
    const startMs = Date.now();
    let unlinkedAt = 0;
    setTimeout(() => {
      unlinkedAt = Date.now();
      unlinkSync(file);
      // This thread busy for 200 ms right after: a stamp taken here would be 200 ms late.
      while (Date.now() - unlinkedAt < 200);
    }, 100);
    const seen = await watchFirstSeen({ ipReleased: async () => !existsSync(file) }, startMs, { timeoutMs: 5_000, waiters: { ipReleased: waiter }, atRemoval: new Set(['ipReleased']), confirmedAt });
    waiter.stop();
    expect(startMs + seen['ipReleased']! - unlinkedAt, 'ms from the unlink to when it is timed').to.be.within(-1, 20);
    expect(startMs + confirmedAt['ipReleased']! - unlinkedAt, 'ms from the unlink to the look that confirmed it').to.be.at.least(200);
  });

  it('tells a created entry as a change and a removed one as gone', async function () {
    const file = path.join(dir, 'made-then-removed');
    const waiter = new ChangeWaiter(events, [{ kind: 'path', path: file }]);
    await writeFile(file, '');
    await waiter.next();
    expect(waiter.cause()).to.equal('inotify');
    expect(waiter.goneAt(), 'not gone after its creation').to.equal(undefined);
    const unlinkedAt = Date.now();
    await unlink(file);
    // The creation's follow-up looks come first; the removal is among the changes told within them.
    await pollGoneAt(waiter);
    expect(waiter.goneAt()! - unlinkedAt).to.be.within(-1, 50);
    waiter.stop();
  });

  it('looks again shortly after a change that did not show yet, then falls back to a slow poll', async function () {
    const file = path.join(dir, 'netns-1');
    await writeFile(file, '');
    const waiter = new ChangeWaiter(events, [{ kind: 'path', path: file }]);
    const looksAt: number[] = [];
    const startMs = Date.now();
    // A change is told (the file is rewritten: inotify says "change"), but what the watch waits for
    // (here: 400 ms passed) shows later: the follow-up looks come, then the fallback poll sees it.
    setTimeout(() => void writeFile(file, 'x'), 50);
    const causes: Record<string, string> = {};
    await watchFirstSeen({ later: async () => (looksAt.push(Date.now() - startMs), Date.now() - startMs >= 400) }, startMs, { timeoutMs: 5_000, waiters: { later: waiter }, causes });
    waiter.stop();
    const afterChange = looksAt.filter((at) => at >= 50 && at < 50 + FOLLOW_UP_MS.reduce((a, b) => a + b, 0) + 40);
    expect(afterChange.length, `looks soon after the change (all looks at ${looksAt.join(', ')} ms)`).to.be.at.least(FOLLOW_UP_MS.length);
    expect(looksAt.length, 'looks in all').to.be.at.most(FOLLOW_UP_MS.length + 5);
    expect(causes['later']).to.equal(`poll (fallback, ${FALLBACK_MS} ms without a change)`);
  });
});
