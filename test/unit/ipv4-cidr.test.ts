/** IPv4 addresses and CIDR blocks: containment (suites), overlap (the embedded node's --subnet check). */
import { expect } from 'chai';
import { cidrContains, formatCidr, networkOf, overlaps, parseCidr, requireCidr } from '../../lib/linux/ipv4-cidr.ts';

describe('ipv4-cidr', function () {
  it('tells whether an address is in a CIDR', function () {
    const pods = requireCidr('10.213.0.7/24');
    expect(cidrContains(pods, '10.213.0.200')).to.equal(true);
    expect(cidrContains(pods, '10.213.1.1')).to.equal(false);
    expect(cidrContains(requireCidr('0.0.0.0/0'), '192.0.2.2')).to.equal(true);
    expect(cidrContains(requireCidr('192.0.2.2/32'), '192.0.2.3')).to.equal(false);
    expect(formatCidr(networkOf(pods))).to.equal('10.213.0.0/24');
  });

  it('rejects what is not IPv4', function () {
    expect(() => requireCidr('10.213.0.0/33')).to.throw(/not an IPv4 CIDR/);
    expect(() => requireCidr('fd00::1/64')).to.throw(/not an IPv4/);
  });

  it('parses CIDRs and finds overlaps', function () {
    const a = parseCidr('10.213.0.0/24')!;
    expect(overlaps(a, parseCidr('10.213.0.128/25')!)).to.equal(true);
    expect(overlaps(a, parseCidr('10.0.0.0/8')!)).to.equal(true);
    expect(overlaps(a, parseCidr('10.214.0.0/24')!)).to.equal(false);
    expect(parseCidr('10.0.0.300/24')).to.equal(undefined);
    expect(parseCidr('10.0.0.0/33')).to.equal(undefined);
  });

  it('reads a bare address as a /32, as ip route prints host routes', function () {
    const host = parseCidr('127.0.0.1')!;
    expect(host.prefix).to.equal(32);
    expect(overlaps(host, parseCidr('127.0.0.0/8')!)).to.equal(true);
    expect(overlaps(host, parseCidr('127.0.0.2')!)).to.equal(false);
  });
});
