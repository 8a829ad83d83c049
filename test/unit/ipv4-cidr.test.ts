/** IPv4/CIDR helpers, and `ip -4 -o addr` parsing on output recorded in a hostNetwork pod (busybox ip). */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { cidrContains, formatCidr, networkOf, parseCidr, parseIpAddrLines } from '../../lib/node/ipv4-cidr.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

describe('ipv4-cidr', function () {
  it('parses busybox `ip -4 -o addr show` with device, CIDR and scope', function () {
    expect(parseIpAddrLines(recorded('busybox-ip-4-o-addr-host-network.txt'))).to.deep.equal([
      { dev: 'lo', cidr: '127.0.0.1/8', scope: 'host' },
      { dev: 'eth0', cidr: '192.0.2.2/24', scope: 'global' },
    ]);
  });

  it('tells whether an address is in a CIDR', function () {
    const pods = parseCidr('10.213.0.7/24');
    expect(cidrContains(pods, '10.213.0.200')).to.equal(true);
    expect(cidrContains(pods, '10.213.1.1')).to.equal(false);
    expect(cidrContains(parseCidr('0.0.0.0/0'), '192.0.2.2')).to.equal(true);
    expect(cidrContains(parseCidr('192.0.2.2/32'), '192.0.2.3')).to.equal(false);
    expect(formatCidr(networkOf(pods))).to.equal('10.213.0.0/24');
  });

  it('rejects what is not IPv4', function () {
    expect(() => parseCidr('10.213.0.0/33')).to.throw(/not an IPv4 CIDR/);
    expect(() => parseCidr('fd00::1/64')).to.throw(/not an IPv4/);
  });
});
