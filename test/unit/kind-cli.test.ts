/**
 * The kind CLI as the provider drives it: outputs of kind v0.33.0 recorded with and without a
 * Docker engine (fixtures/recorded/kind-*), the command lines against kind's documented flags
 * and its own node-listing commands (pkg/cluster/internal/providers/{docker,podman,nerdctl}),
 * and the engine choice against kind's KIND_EXPERIMENTAL_PROVIDER rules.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UserFacingError } from '../../lib/errors.ts';
import { containerExecArgs, ContainerExecShell } from '../../lib/node/shells/container-exec-shell.ts';
import { bannerMatches, kindEngine, scannerLines, type EngineBanner, type KindEngine } from '../../lib/providers/kind/engine.ts';
import { KindCli, clusterNameProblem, createClusterArgs, deleteClusterArgs, GET_CLUSTERS_ARGS, getKubeconfigArgs, kindFailureError } from '../../lib/providers/kind/kind-cli.ts';
import { parseKindClusters, parseKindFailure, parseKindVersion } from '../../lib/providers/kind/kind-parsers.ts';
import { listNodesArgs, parseNames, roleArgs } from '../../lib/providers/kind/node-containers.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');
const docker: KindEngine = { name: 'docker', binary: 'docker', reason: 'KIND_EXPERIMENTAL_PROVIDER=docker', fromVariable: true };

describe('kind CLI (recorded kind v0.33.0 output)', function () {
  describe('parsers', function () {
    it('reads `kind version`', function () {
      expect(parseKindVersion(recorded('kind-version.stdout.txt'))).to.deep.equal({ version: 'v0.33.0', go: 'go1.27.2', platform: 'linux/amd64' });
    });

    it('reads `kind get clusters` with no cluster: exit 0, nothing on stdout, the notice on stderr', function () {
      expect(recorded('kind-b-engine-no-clusters-get-clusters.exitcode.txt').trim()).to.equal('0');
      expect(recorded('kind-b-engine-no-clusters-get-clusters.stderr.txt').trim()).to.equal('No kind clusters found.');
      expect(parseKindClusters(recorded('kind-b-engine-no-clusters-get-clusters.stdout.txt'))).to.deep.equal([]);
      expect(parseKindClusters('kind\npause-conformance-1a2b3c4d\n')).to.deep.equal(['kind', 'pause-conformance-1a2b3c4d']);
    });

    it('knows that `kind delete cluster` succeeds for a cluster that does not exist', function () {
      expect(recorded('kind-b-delete-cluster-nonexistent.exitcode.txt').trim()).to.equal('0');
      expect(recorded('kind-b-delete-cluster-nonexistent.stderr.txt')).to.not.include('ERROR');
    });

    it('recognises a docker CLI with no daemon (get clusters and create)', function () {
      expect(recorded('kind-a1-cli-no-daemon-get-clusters.exitcode.txt').trim()).to.equal('1');
      for (const file of ['kind-a1-cli-no-daemon-get-clusters.stderr.txt', 'kind-a1-cli-no-daemon-create-cluster.stderr.txt']) {
        const failure = parseKindFailure(recorded(file));
        expect(failure.kind, file).to.equal('daemon-down');
        expect(failure.subject, file).to.equal('unix:///var/run/docker.sock');
      }
    });

    it('recognises a missing docker binary (get clusters and create)', function () {
      for (const file of ['kind-a2-no-docker-binary-get-clusters.stderr.txt', 'kind-a2-no-docker-binary-create-cluster.stderr.txt']) {
        expect(parseKindFailure(recorded(file)), file).to.include({ kind: 'engine-missing', subject: 'docker' });
      }
    });

    it('recognises a node image that cannot be pulled, with the engine\'s reason', function () {
      const failure = parseKindFailure(recorded('kind-b-engine-create-cluster-no-image.stderr.txt'));
      expect(failure).to.include({ kind: 'image-pull', subject: 'kindest/node:v1.37.0@sha256:a1ed56cfb0e7b93589bdf97c8cd566405a265939e3620fc4f5de89adff580ae5' });
      expect(failure.engineSaid).to.match(/^Error response from daemon: Get "https:\/\/registry-1\.docker\.io\/v2\/": dial tcp: lookup registry-1\.docker\.io/);
    });
  });

  describe('one line per failure', function () {
    const cases: [string, RegExp][] = [
      ['kind-a1-cli-no-daemon-get-clusters.stderr.txt', /^kind get clusters failed: the Docker daemon is not running \(nothing answers at unix:\/\/\/var\/run\/docker\.sock\)\. Start it/],
      ['kind-a2-no-docker-binary-get-clusters.stderr.txt', /^kind get clusters failed: kind uses docker \(KIND_EXPERIMENTAL_PROVIDER=docker\) and "docker" is not on PATH\. Install Docker/],
      ['kind-b-engine-create-cluster-no-image.stderr.txt', /^kind get clusters failed: the node image kindest\/node:v1\.37\.0@sha256:a1ed56cf\w+ could not be pulled \(Error response from daemon: .*no such host\)\. Check the network/],
      ['kind-c-create-missing-local-image.stderr.txt', /^kind get clusters failed: the node image localhost\/pause-conformance\/node:missing could not be pulled \(Error response from daemon: Get "http:\/\/localhost\/v2\/": dial tcp 127\.0\.0\.1:80: connect: connection refused\)\. /],
      // Not "docker is not on PATH": kubeadm is missing in kind's node, whose image is no kind node image.
      ['kind-c-create-node-image-without-kubeadm.stderr.txt', /^kind get clusters failed: kind's node has no "kubeadm" \(OCI runtime exec failed: .*"kubeadm": executable file not found in \$PATH: unknown\): the node image is not a kind node image\. Pass a kind node image with --node-image/],
    ];
    for (const [file, expected] of cases) {
      it(`maps ${file}`, function () {
        const error = kindFailureError('kind get clusters', recorded(file), docker);
        expect(error).to.be.instanceOf(UserFacingError);
        expect(error.exitCode).to.equal(2);
        expect(error.message).to.match(expected);
        expect(error.message).to.not.include('\n');
      });
    }

    it('falls back to kind\'s own ERROR line for anything else', function () {
      const error = kindFailureError('kind get kubeconfig --name x', "ERROR: could not locate any control plane nodes for cluster named 'x'\n", docker);
      expect(error.message).to.equal("kind get kubeconfig --name x failed: could not locate any control plane nodes for cluster named 'x'. Run the same command by hand to see kind's full output.");
    });
  });

  describe('command lines', function () {
    it('creates with name, image, config, wait and a private kubeconfig', function () {
      expect(createClusterArgs({ name: 'pc', image: 'kindest/node:v1.36.4', config: '/r/fixtures/kind/multi-node.yaml', wait: '5m', kubeconfig: '/tmp/k/kubeconfig' })).to.deep.equal([
        'create', 'cluster', '--name', 'pc', '--image', 'kindest/node:v1.36.4', '--config', '/r/fixtures/kind/multi-node.yaml', '--wait', '5m', '--kubeconfig', '/tmp/k/kubeconfig',
      ]);
      expect(createClusterArgs({ name: 'pc', wait: '5m', kubeconfig: '/tmp/k' })).to.deep.equal(['create', 'cluster', '--name', 'pc', '--wait', '5m', '--kubeconfig', '/tmp/k']);
    });

    it('deletes, lists and reads the kubeconfig the way kind documents', function () {
      expect(deleteClusterArgs('pc', '/tmp/k')).to.deep.equal(['delete', 'cluster', '--name', 'pc', '--kubeconfig', '/tmp/k']);
      expect(GET_CLUSTERS_ARGS).to.deep.equal(['get', 'clusters']);
      expect(getKubeconfigArgs('pc')).to.deep.equal(['get', 'kubeconfig', '--name', 'pc']);
    });

    it('lists node containers and their roles as kind does', function () {
      expect(listNodesArgs('pc')).to.deep.equal(['ps', '-a', '--filter', 'label=io.x-k8s.kind.cluster=pc', '--format', '{{.Names}}']);
      expect(roleArgs('pc-worker')).to.deep.equal(['inspect', '--format', '{{ index .Config.Labels "io.x-k8s.kind.role"}}', 'pc-worker']);
      expect(parseNames('pc-control-plane\npc-worker\n\npc-worker2\n')).to.deep.equal(['pc-control-plane', 'pc-worker', 'pc-worker2']);
    });

    it('runs node commands as kind does: exec --privileged <node> argv', function () {
      expect(containerExecArgs('pc-control-plane', ['crictl', 'inspectp', '-o', 'json', 'abc'])).to.deep.equal(['exec', '--privileged', 'pc-control-plane', 'crictl', 'inspectp', '-o', 'json', 'abc']);
      expect(new ContainerExecShell('podman', 'pc-control-plane').describe).to.equal('podman exec --privileged pc-control-plane');
    });

    it('reports an engine binary that is not installed as exit 127, the way a shell does', async function () {
      const result = await new ContainerExecShell('pause-conformance-no-such-engine', 'pc-control-plane').run(['true']);
      expect(result.exitCode).to.equal(127);
      expect(result.stderr).to.match(/ENOENT/);
    });

    it('accepts kind\'s cluster names and refuses others in one line', function () {
      expect(clusterNameProblem('pause-conformance-1a2b3c4d')).to.equal(undefined);
      expect(clusterNameProblem('Bad_Name')).to.match(/lower-case/);
      expect(clusterNameProblem('a'.repeat(51))).to.match(/at most 50/);
    });
  });

  describe('engine, as kind v0.33.0 picks it (pkg/cluster/provider.go DetectNodeProvider, */util.go IsAvailable)', function () {
    // `<binary> -v` stdout as recorded (fixtures/recorded/engine-banner-*); a binary not listed cannot run.
    const banners = (outputs: Record<string, string>): EngineBanner => async (binary) => (binary in outputs ? scannerLines(outputs[binary]!) : undefined);
    const docker28 = recorded('engine-banner-docker-28.2.2.stdout.txt');
    const dockerIo = recorded('engine-banner-docker.io-20.10.24.stdout.txt');
    const podmanShim = recorded('engine-banner-podman-docker-shim.stdout.txt');
    const podman = recorded('engine-banner-podman-4.3.1.stdout.txt');

    it('follows KIND_EXPERIMENTAL_PROVIDER without asking any engine', async function () {
      const asked: string[] = [];
      const spy: EngineBanner = async (binary) => {
        asked.push(binary);
        return undefined;
      };
      expect(await kindEngine('podman', spy)).to.deep.include({ name: 'podman', binary: 'podman', fromVariable: true });
      expect(await kindEngine('nerdctl', spy)).to.deep.include({ name: 'nerdctl', binary: 'nerdctl' });
      expect(await kindEngine('finch', spy)).to.deep.include({ name: 'finch', binary: 'finch' });
      expect(asked).to.deep.equal([]);
    });

    it('takes docker when `docker -v` prints the Docker banner (CLI 28.2.2, Debian docker.io 20.10.24)', async function () {
      expect(await kindEngine(undefined, banners({ docker: docker28, podman }))).to.deep.include({ name: 'docker', fromVariable: false });
      expect((await kindEngine(undefined, banners({ docker: dockerIo }))).reason).to.equal('kind\'s detection: `docker -v` says "Docker version 20.10.24+dfsg1, build 297e128"');
    });

    it("takes podman when `docker` is podman's docker shim: its banner is podman's, so kind passes on docker", async function () {
      // The shim's notice goes to stderr, which kind does not read; stdout is podman's own banner.
      expect(recorded('engine-banner-podman-docker-shim.stderr.txt')).to.match(/^Emulate Docker CLI using podman/);
      expect(bannerMatches(scannerLines(podmanShim), 'Docker version')).to.equal(false);
      expect(await kindEngine(undefined, banners({ docker: podmanShim, podman }))).to.deep.include({ name: 'podman', binary: 'podman' });
    });

    it('takes nerdctl, then finch, before podman; a banner of more than one line is refused, as kind refuses it', async function () {
      // Banners as nerdctl/util.go expects them (neither tool is packaged in Debian to record from).
      expect((await kindEngine(undefined, banners({ nerdctl: 'nerdctl version 2.1.2\n', podman }))).name).to.equal('nerdctl');
      expect((await kindEngine(undefined, banners({ finch: 'finch version v1.4.1\n', podman }))).name).to.equal('finch');
      expect((await kindEngine(undefined, banners({ docker: `${docker28}WARNING: something\n`, podman }))).name).to.equal('podman');
    });

    it("falls back to docker when nothing answers, and says when kind ignores an unknown KIND_EXPERIMENTAL_PROVIDER", async function () {
      expect(await kindEngine(undefined, banners({}))).to.deep.include({ name: 'docker', reason: "kind's default: no engine answered `-v` with its banner" });
      const ignored = await kindEngine('rkt', banners({ podman }));
      expect(ignored).to.deep.include({ name: 'podman', fromVariable: false });
      expect(ignored.reason).to.match(/KIND_EXPERIMENTAL_PROVIDER=rkt is not a value kind knows, so kind ignores it/);
    });

    it('leaves KIND_EXPERIMENTAL_PROVIDER out of kind\'s environment when the user did not set it', async function () {
      // A stand-in kind that prints its environment: `version` falls back to printing what the binary said.
      const dir = await mkdtemp(path.join(os.tmpdir(), 'pc-kind-env-'));
      const saved = process.env['KIND_EXPERIMENTAL_PROVIDER'];
      delete process.env['KIND_EXPERIMENTAL_PROVIDER'];
      try {
        await writeFile(path.join(dir, 'kind'), '#!/bin/sh\nenv\n', { mode: 0o755 });
        const printed = await new KindCli({ binary: path.join(dir, 'kind'), engine: await kindEngine(undefined, banners({ docker: docker28 })) }).version();
        expect(printed).to.match(/^PATH=/m);
        expect(printed).to.not.match(/^KIND_EXPERIMENTAL_PROVIDER=/m);
      } finally {
        if (saved !== undefined) process.env['KIND_EXPERIMENTAL_PROVIDER'] = saved;
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
