/**
 * The `ip` outputs the harness reads, each by one parser, on outputs recorded from real tools
 * (fixtures/recorded/README.md): busybox and iproute2 `ip -4 -o addr`, iproute2 `ip -j link` and
 * `ip -j -4 route show table all` of a bridge with a veth port.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { ipv4OfDevice, parseIpAddrLines } from '../../lib/linux/ip-addr.ts';
import { parseIpLinkJson } from '../../lib/linux/ip-link.ts';
import { routeDestinations } from '../../lib/linux/ip-route.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

describe('ip -4 -o addr', function () {
  it('parses busybox `ip -4 -o addr show` with device, CIDR and scope', function () {
    expect(parseIpAddrLines(recorded('busybox-ip-4-o-addr-host-network.txt'))).to.deep.equal([
      { dev: 'lo', cidr: '127.0.0.1/8', scope: 'host' },
      { dev: 'eth0', cidr: '192.0.2.2/24', scope: 'global' },
    ]);
  });

  it('parses iproute2 `ip -4 -o addr show`: a bridge and the veth peer named eth0', function () {
    expect(parseIpAddrLines(recorded('iproute2-ip-4-o-addr-bridge-veth.txt'))).to.deep.equal([
      { dev: 'lo', cidr: '127.0.0.1/8', scope: 'host' },
      { dev: 'pcrec0', cidr: '10.213.9.1/24', scope: 'global' },
      { dev: 'eth0', cidr: '10.213.9.7/24', scope: 'global' },
    ]);
  });

  it("gives one device's first address, without its prefix length", function () {
    expect(ipv4OfDevice(recorded('embedded-nsenter-ip-4-o-addr-eth0.txt'), 'eth0')).to.equal('10.213.77.2');
    expect(ipv4OfDevice(recorded('iproute2-ip-4-o-addr-bridge-veth.txt'), 'eth0')).to.equal('10.213.9.7');
    expect(ipv4OfDevice(recorded('busybox-ip-4-o-addr-host-network.txt'), 'eth1')).to.equal(undefined);
    expect(ipv4OfDevice('', 'eth0')).to.equal(undefined);
  });
});

describe('ip -j link', function () {
  it('reads ifindex, name and master from ip -j link', function () {
    const json = '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"]},{"ifindex":6,"link_index":2,"ifname":"vethd94fc644","master":"pcdeadbeef","link_netnsid":0}]';
    expect(parseIpLinkJson(json)).to.deep.equal([
      { name: 'lo', ifindex: 1 },
      { name: 'vethd94fc644', ifindex: 6, master: 'pcdeadbeef' },
    ]);
  });

  it('reads a recorded bridge with its veth port', function () {
    expect(parseIpLinkJson(recorded('iproute2-ip-j-link-bridge-veth.json'))).to.deep.equal([
      { name: 'lo', ifindex: 1 },
      { name: 'pcrec0', ifindex: 2 },
      { name: 'eth0', ifindex: 3 },
      { name: 'pcrecv0', ifindex: 4, master: 'pcrec0' },
    ]);
    expect(parseIpLinkJson('')).to.deep.equal([]);
  });
});

describe('ip -j -4 route show table all', function () {
  it('reads route destinations from ip -j route, leaving out default', function () {
    const json = '[{"dst":"default","gateway":"10.0.2.2","dev":"eth0"},{"dst":"10.0.2.0/24","dev":"eth0"},{"type":"local","dst":"127.0.0.1","dev":"lo"}]';
    expect(routeDestinations(json).map((c) => c.text)).to.deep.equal(['10.0.2.0/24', '127.0.0.1']);
  });

  it('reads every table of a recorded machine, host routes as /32', function () {
    const routes = routeDestinations(recorded('iproute2-ip-j-4-route-table-all.json'));
    expect(routes.map((c) => c.text)).to.deep.equal(['10.213.9.0/24', '10.213.9.0/24', '10.213.9.1', '10.213.9.7', '10.213.9.255', '10.213.9.255', '127.0.0.0/8', '127.0.0.1', '127.255.255.255']);
    expect(routes.map((c) => c.prefix)).to.deep.equal([24, 24, 32, 32, 32, 32, 8, 32, 32]);
  });
});
