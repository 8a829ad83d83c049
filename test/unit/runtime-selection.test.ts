/**
 * Runtime selection of the embedded node: each containerd's config in the version it reads
 * natively, with every path inside the run directory, NRI off and the shim of the same
 * containerd; the private apt's reading of a Packages entry (recorded from the real archive);
 * the crun wrapper; and what `upgrade --to` may name. Config keys are checked by field because
 * containerd ignores keys it does not know: a typo would not fail, it would leave a system path in use.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { renderContainerdConfig } from '../../lib/runtime/containerd-config.ts';
import { parsePackagesEntry } from '../../lib/runtime/debian-archive.ts';
import { crunWrapperScript } from '../../lib/runtime/oci-runtime.ts';
import { runLayout } from '../../lib/runtime/run-layout.ts';
import { CONTAINERD_RELEASES, DEFAULT_CONTAINERD } from '../../lib/runtime/runtime-versions.ts';
import { localUpgradeTarget } from '../../lib/providers/local/local-provider.ts';

const layout = runLayout('0a1b2c3d', '/var/lib/pause-conformance/runs');
const run = layout.dir;
const recorded = (file: string): string => readFileSync(new URL(`../../fixtures/recorded/${file}`, import.meta.url), 'utf8');

function config(version: 2 | 3, hasNri = false): string {
  return renderContainerdConfig({ layout, sandboxImage: 'localhost/p:1', cniBinDir: '/usr/lib/cni', ociBinary: '/usr/bin/crun', shimPath: '/cache/usr/bin/containerd-shim-runc-v2', configVersion: version, hasNri });
}

describe('containerd config in the version each containerd reads', function () {
  it('version 3 (containerd 2.x): its own keys, every path in the run directory, NRI off, its own shim', function () {
    const toml = config(3);
    expect(toml).to.match(/^version = 3$/m);
    for (const line of [
      `root = '${run}/root'`,
      `state = '${run}/state'`,
      `address = '${run}/containerd.sock'`,
      `address = '${run}/containerd.sock.ttrpc'`,
      `Root = '${run}/runc'`,
      `conf_dir = '${run}/cni/net.d'`,
      `path = '${run}/opt'`,
      "bin_dirs = ['/usr/lib/cni']",
      "sandbox = 'localhost/p:1'",
      "runtime_path = '/cache/usr/bin/containerd-shim-runc-v2'",
      "BinaryName = '/usr/bin/crun'",
      'netns_mounts_under_state_dir = true',
      'restrict_oom_score_adj = true',
      "stream_server_port = '0'",
    ]) {
      expect(toml, line).to.contain(line);
    }
    expect(toml).to.match(/\[plugins\.'io\.containerd\.nri\.v1\.nri'\]\n\s+disable = true/);
    expect(toml).to.match(/\[plugins\.'io\.containerd\.cri\.v1\.images'\.pinned_images\]/);
    // 1.x-only keys would be migrated (and warned about) by 2.x.
    expect(toml).to.not.contain('sandbox_image');
    expect(toml).to.not.contain('bin_dir =');
    expect(toml).to.not.contain('io.containerd.grpc.v1.cri".containerd');
  });

  it('version 3 has the keys of the config recorded working on containerd 2.1.9 (research, configs/containerd-2.1.9-v3-recommended.toml)', function () {
    const keys = (text: string): string[] => [...text.matchAll(/^\s*([a-z_A-Z]+) = /gm)].map((match) => match[1]!).sort();
    const reference = recorded('containerd-2.1.9/containerd-2.1.9-v3-recommended.toml');
    // The recorded one has a second handler ("crun") with the same keys; the set of key names is what must agree.
    expect([...new Set(keys(config(3)))]).to.deep.equal([...new Set(keys(reference))]);
  });

  it('version 2 (containerd 1.6, 1.7): runtime_path names the same containerd\'s shim; NRI off where the plugin exists', function () {
    const toml = config(2, true);
    expect(toml).to.match(/^version = 2$/m);
    expect(toml).to.contain('runtime_path = "/cache/usr/bin/containerd-shim-runc-v2"');
    expect(toml).to.contain('BinaryName = "/usr/bin/crun"');
    expect(toml).to.contain(`Root = "${run}/runc"`);
    expect(toml).to.match(/\[plugins\."io\.containerd\.nri\.v1\.nri"\]\n\s+disable = true/);
    expect(config(2, false)).to.not.contain('nri');
  });

  it('each choice names the config version its containerd reads natively; the default is 1.7 (passes every check)', function () {
    expect(CONTAINERD_RELEASES['containerd@1.6'].configVersion).to.equal(2);
    expect(CONTAINERD_RELEASES['containerd@1.7'].configVersion).to.equal(2);
    expect(CONTAINERD_RELEASES['containerd@2.1'].configVersion).to.equal(3);
    expect(DEFAULT_CONTAINERD).to.equal('containerd@1.7');
  });
});

describe('the private apt', function () {
  it('reads the Packages entry apt-cache shows (recorded from Debian sid and trixie)', function () {
    expect(parsePackagesEntry(recorded('containerd-2.1.9/apt-cache-show-containerd-sid.txt'))).to.deep.equal({
      package: 'containerd',
      version: '2.1.9+ds1-5',
      filename: 'pool/main/c/containerd/containerd_2.1.9+ds1-5_amd64.deb',
      size: 29547080,
      sha256: '2dda86ce7033fd612fc50e136679d8174ccad680eb29cd4611e0d2a1b84cf591',
    });
    expect(parsePackagesEntry(recorded('apt-cache-show-containerd-trixie.txt'))).to.include({ version: '1.7.24~ds1-6+deb13u1', size: 32784720 });
  });

  it('reads no entry from an answer without one', function () {
    expect(parsePackagesEntry('')).to.equal(undefined);
    expect(parsePackagesEntry('N: Unable to locate package containerd\nE: No packages found')).to.equal(undefined);
  });
});

describe('crun on a cgroup-hybrid machine', function () {
  it('runs crun in a private mount namespace with the unified hierarchy covered, passing every argument on', function () {
    const script = crunWrapperScript('/usr/bin/crun');
    expect(script).to.match(/^#!\/bin\/sh\n/);
    expect(script).to.contain("exec unshare --mount --propagation private /bin/sh -c 'mount -t tmpfs -o size=4k,mode=555 none /sys/fs/cgroup/unified && exec \"$0\" \"$@\"' /usr/bin/crun \"$@\"");
    // The spec is never touched: no ociVersion rewrite.
    expect(script).to.not.match(/sed|ociVersion/);
  });
});

describe('upgrade --to on the local provider', function () {
  it('takes a containerd or an OCI runtime, and refuses anything else in one line', function () {
    expect(localUpgradeTarget('containerd@2.1')).to.deep.equal({ containerd: 'containerd@2.1' });
    expect(localUpgradeTarget('crun')).to.deep.equal({ oci: 'crun' });
    expect(() => localUpgradeTarget('containerd@9.9')).to.throw(/^--to containerd@9\.9 is not known: the local provider upgrades to containerd@1\.6, containerd@1\.7, containerd@2\.1, runc, crun\. /);
  });
});
