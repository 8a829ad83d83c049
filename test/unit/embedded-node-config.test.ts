/**
 * Configuration of the embedded node (lib/runtime): containerd's config, the CNI network, the
 * image names of an archive. The containerd config is checked by field, because containerd 1.6
 * silently ignores keys it does not know: a typo would not fail, it would just leave the system's
 * paths in use.
 */
import { expect } from 'chai';
import { renderContainerdConfig } from '../../lib/runtime/containerd-config.ts';
import { renderCniConflist } from '../../lib/runtime/cni-config.ts';
import { runLayout } from '../../lib/runtime/run-layout.ts';
import { referencesInDockerManifest, referencesInIndex } from '../../lib/runtime/image-import.ts';

const layout = runLayout('0a1b2c3d', '/var/lib/pause-conformance/runs');

describe('embedded node configuration', function () {
  it('keeps every containerd path inside the run directory', function () {
    const toml = renderContainerdConfig({ layout, sandboxImage: 'localhost/p:1', cniBinDir: '/usr/lib/cni', ociBinary: '/usr/sbin/runc', shimPath: '/usr/bin/containerd-shim-runc-v2', configVersion: 2, hasNri: false });
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

describe('embedded node images', function () {
  it('reads image names from an OCI index and a docker save manifest', function () {
    expect(referencesInIndex(JSON.stringify({ manifests: [{ annotations: { 'io.containerd.image.name': 'registry.k8s.io/pause:3.10' } }] }))).to.deep.equal(['registry.k8s.io/pause:3.10']);
    expect(referencesInDockerManifest(JSON.stringify([{ Config: 'x.json', RepoTags: ['registry.k8s.io/pause:3.10'], Layers: [] }]))).to.deep.equal(['registry.k8s.io/pause:3.10']);
  });
});

