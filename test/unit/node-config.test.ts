/**
 * Configuration of the embedded node and the small parsers around it. The containerd config is
 * checked by field, because containerd 1.6 silently ignores keys it does not know: a typo would
 * not fail, it would just leave the system's paths in use.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { renderContainerdConfig } from '../../lib/runtime/containerd-config.ts';
import { renderCniConflist } from '../../lib/runtime/cni-config.ts';
import { runLayout } from '../../lib/runtime/run-layout.ts';
import { overlaps, parseCidr, routeDestinations } from '../../lib/runtime/subnet.ts';
import { parseIpLinkJson } from '../../lib/node/ip-link.ts';
import { hostLocalIpamDirs } from '../../lib/node/cni-info.ts';
import { referencesInDockerManifest, referencesInIndex } from '../../lib/runtime/image-import.ts';

const layout = runLayout('0a1b2c3d', '/var/lib/pause-conformance/runs');

describe('embedded node configuration', function () {
  it('keeps every containerd path inside the run directory', function () {
    const toml = renderContainerdConfig({ layout, sandboxImage: 'localhost/p:1', cniBinDir: '/usr/lib/cni', runcBinary: '/usr/sbin/runc' });
    const run = layout.dir;
    expect(toml).to.contain(`root = "${run}/root"`);
    expect(toml).to.contain(`state = "${run}/state"`);
    expect(toml).to.contain(`address = "${run}/containerd.sock"`);
    expect(toml).to.contain(`Root = "${run}/runc"`);
    expect(toml).to.contain(`conf_dir = "${run}/cni/net.d"`);
    expect(toml).to.contain('netns_mounts_under_state_dir = true');
    expect(toml).to.contain('restrict_oom_score_adj = true');
    expect(toml).to.contain('sandbox_image = "localhost/p:1"');
    expect(toml).to.contain('stream_server_port = "0"');
  });

  it('makes a bridge network of its own with no masquerade and no host gateway', function () {
    const conflist = JSON.parse(renderCniConflist(layout, '10.213.0.0/24')) as { name: string; plugins: Record<string, unknown>[] };
    expect(conflist.name).to.equal('pc-0a1b2c3d');
    const bridge = conflist.plugins[0]!;
    expect(bridge).to.include({ type: 'bridge', bridge: 'pc0a1b2c3d', ipMasq: false, isGateway: false });
    expect(bridge['ipam']).to.deep.include({ type: 'host-local', dataDir: `${layout.dir}/cni/ipam` });
    expect(layout.bridgeName.length, 'IFNAMSIZ').to.be.lessThan(16);
  });
});

describe('subnet checks', function () {
  it('parses CIDRs and finds overlaps', function () {
    const a = parseCidr('10.213.0.0/24')!;
    expect(overlaps(a, parseCidr('10.213.0.128/25')!)).to.equal(true);
    expect(overlaps(a, parseCidr('10.0.0.0/8')!)).to.equal(true);
    expect(overlaps(a, parseCidr('10.214.0.0/24')!)).to.equal(false);
    expect(parseCidr('10.0.0.300/24')).to.equal(undefined);
    expect(parseCidr('10.0.0.0/33')).to.equal(undefined);
  });

  it('reads route destinations from ip -j route, leaving out default', function () {
    const json = '[{"dst":"default","gateway":"10.0.2.2","dev":"eth0"},{"dst":"10.0.2.0/24","dev":"eth0"},{"type":"local","dst":"127.0.0.1","dev":"lo"}]';
    expect(routeDestinations(json).map((c) => c.text)).to.deep.equal(['10.0.2.0/24', '127.0.0.1']);
  });
});

describe('node parsers', function () {
  it('reads ifindex, name and master from ip -j link', function () {
    const json = '[{"ifindex":1,"ifname":"lo","flags":["LOOPBACK"]},{"ifindex":6,"link_index":2,"ifname":"vethd94fc644","master":"pcdeadbeef","link_netnsid":0}]';
    expect(parseIpLinkJson(json)).to.deep.equal([
      { name: 'lo', ifindex: 1 },
      { name: 'vethd94fc644', ifindex: 6, master: 'pcdeadbeef' },
    ]);
  });

  it('finds the host-local IPAM directory in recorded crictl info', function () {
    const info = JSON.parse(readFileSync(new URL('../../fixtures/recorded/crictl-info.json', import.meta.url), 'utf8')) as { cniconfig: unknown };
    expect(hostLocalIpamDirs(info.cniconfig)).to.deep.equal(['/var/lib/pc-node/cni-state/probe']);
  });

  it('reads image names from an OCI index and a docker save manifest', function () {
    expect(referencesInIndex(JSON.stringify({ manifests: [{ annotations: { 'io.containerd.image.name': 'registry.k8s.io/pause:3.10' } }] }))).to.deep.equal(['registry.k8s.io/pause:3.10']);
    expect(referencesInDockerManifest(JSON.stringify([{ Config: 'x.json', RepoTags: ['registry.k8s.io/pause:3.10'], Layers: [] }]))).to.deep.equal(['registry.k8s.io/pause:3.10']);
  });
});

