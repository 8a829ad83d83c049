/** Lines of `ip -ts -o monitor link`: the harness's link changes (link-monitor.ts) and the bench's ground truth for "veth gone". */
import { expect } from 'chai';
import { parseMonitorLinkLine } from '../../lib/node/link-monitor.ts';

// Captured on the bench machine (Debian 12, iproute2-6.1.0, TZ UTC) with `ip -ts -o monitor link`
// while running `ip link add pcbt0 type veth peer name pcbt1; ip link del pcbt0` (2026-12-03).
const ADDED = '[2026-12-03T10:19:43.282535] 5997: pcbt0@pcbt1: <BROADCAST,MULTICAST,M-DOWN> mtu 1500 qdisc noop state DOWN group default \\    link/ether 12:a7:ef:38:32:8c brd ff:ff:ff:ff:ff:ff';
const DELETED = '[2026-12-03T10:19:43.288336] Deleted 5997: pcbt0@NONE: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN group default \\    link/ether 12:a7:ef:38:32:8c brd ff:ff:ff:ff:ff:ff';
// The same deletion as `ip -timestamp -o monitor link` prints it: the time on a line of its own (not parsed).
const LONG_FORM = 'Timestamp: Thu Dec  3 10:19:43 2026 288404 usec';

describe('ip -ts monitor lines', function () {
  it('reads a deleted link: ifindex, name, and the local time with microseconds', function () {
    const event = parseMonitorLinkLine(DELETED);
    // Local time, as ip prints it: the expectation is built in the same TZ as the parser reads it.
    const expected = new Date(2026, 11, 3, 10, 19, 43).getTime() + 288.336;
    expect(event).to.deep.include({ ifindex: 5997, name: 'pcbt0', deleted: true });
    expect(event!.atMs).to.be.closeTo(expected, 0.0005);
  });

  it('reads a new link as not deleted', function () {
    expect(parseMonitorLinkLine(ADDED)).to.deep.include({ ifindex: 5997, name: 'pcbt0', deleted: false });
  });

  it('ignores other lines', function () {
    expect(parseMonitorLinkLine(LONG_FORM)).to.equal(undefined);
    expect(parseMonitorLinkLine('')).to.equal(undefined);
  });

  it('reads a line without -ts (ip -o monitor link through a node\'s exec) without a time', function () {
    expect(parseMonitorLinkLine('Deleted 5997: pcbt0@NONE: <BROADCAST>')).to.deep.equal({ ifindex: 5997, name: 'pcbt0', deleted: true });
  });
});
