/**
 * The kind provider against the real kind binary (Debian sid's kind, helpers/docker/kind-binary.ts)
 * and a real Docker engine (the private one the test starts and stops): kind's engine detection
 * as the harness predicts it, `kind get clusters`, a create whose node image no registry serves
 * (one line, exit 2, the cluster deleted and proven gone by listing), and, with the locally built
 * node image, a create that gets through "Preparing nodes" (the image prints the line kind waits
 * for and has /kind/version) and stops at "Starting control-plane" (no kubeadm): there the harness
 * finds kind's node by its labels and runs commands in it through its `docker exec` shell.
 * Nothing may be left: kind's own `kind` network is removed, as is /lib/modules when dockerd
 * created it for kind's bind mount.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, rm, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CtrInspector } from '../../lib/node/ctr-inspector.ts';
import { ContainerExecShell } from '../../lib/node/shells/container-exec-shell.ts';
import { startExecNodeEvents } from '../../lib/node/exec-node-events.ts';
import { kindEngine } from '../../lib/providers/kind/engine.ts';
import { KindCli, kindFailureError } from '../../lib/providers/kind/kind-cli.ts';
import { listNodeContainers } from '../../lib/providers/kind/node-containers.ts';
import { cliPath, runCli } from './helpers/cli.ts';
import { ENGINE_HOST } from './helpers/docker/engine-layout.ts';
import { usePrivateEngine } from './helpers/docker/engine-hooks.ts';
import { ensureKind } from './helpers/docker/kind-binary.ts';
import { sourcesRunningIn } from './helpers/docker/node-container-provider.ts';

/** kind retries a failed pull 4 more times, sleeping 1+2+3+4 s (pkg/cluster/internal/providers/*\/images.go): ~11 s here. */
const PULL_FAILURE_BOUND_MS = 60_000;

describe('the kind provider against the real kind binary and a real Docker engine', function () {
  let kindBinary: string;
  const saved = { DOCKER_HOST: process.env['DOCKER_HOST'], KIND_EXPERIMENTAL_PROVIDER: process.env['KIND_EXPERIMENTAL_PROVIDER'] };
  const under = usePrivateEngine({
    tools: ['dpkg-deb', 'apt-get'],
    prepare: async () => {
      const kind = await ensureKind();
      kindBinary = kind.binary;
      under.figures['kind'] = kind.version;
      if (kind.fetchedMs !== undefined) under.figures['kindFetchMs'] = kind.fetchedMs;
      // The harness's node discovery and shell run the docker CLI of this process: they reach the engine through DOCKER_HOST.
      process.env['DOCKER_HOST'] = ENGINE_HOST;
      delete process.env['KIND_EXPERIMENTAL_PROVIDER'];
    },
    cleanUp: async (engine, host) => {
      for (const [key, value] of Object.entries(saved)) {
        if (value === undefined) delete process.env[key];
        else process.env[key] = value;
      }
      // kind never deletes the network it makes for its nodes (every cluster shares it).
      const network = await engine.docker(['network', 'rm', 'kind']);
      expect(network.exitCode === 0 || /not found/.test(network.stderr), `docker network rm kind: ${network.stderr}`).to.equal(true);
      // dockerd creates /lib/modules for the bind mount of kind's nodes when the machine has none.
      if (!host.libModules) await rmdir('/lib/modules').catch(() => undefined);
    },
  });
  const { figures } = under;

  it("predicts kind's engine from the `docker -v` banner, and kind lists no cluster on it", async function () {
    const engineSeen = await kindEngine(undefined);
    expect(engineSeen).to.deep.include({ name: 'docker', binary: 'docker', fromVariable: false });
    expect(engineSeen.reason).to.match(/^kind's detection: `docker -v` says "Docker version /);
    expect(await new KindCli({ binary: kindBinary, engine: engineSeen }).clusters()).to.deep.equal([]);
    // Only the variable makes kind print this; the harness no longer sets it.
    const listed = await execa(kindBinary, ['get', 'clusters'], { reject: false });
    expect(listed.stderr.trim()).to.equal('No kind clusters found.');
  });

  it('run --provider kind with a node image no registry serves: one line, exit 2, the cluster deleted and proven gone by listing', async function () {
    this.timeout(PULL_FAILURE_BOUND_MS + 60_000);
    const t0 = Date.now();
    const result = await runCli(['run', '--provider', 'kind', '--cluster-name', 'pc-no-image'], { env: { PATH: `${path.dirname(kindBinary)}:${cliPath()}`, DOCKER_HOST: ENGINE_HOST, NO_COLOR: '1' } });
    figures['missingImageRunMs'] = Date.now() - t0;
    expect(Date.now() - t0, 'the pull failed at once (through the closed proxy) and kind gave up').to.be.below(PULL_FAILURE_BOUND_MS);
    expect(result.exitCode, result.stdout).to.equal(2);
    const stderr = result.stderr.trim().split('\n');
    expect(stderr, result.stderr).to.have.length(1);
    expect(stderr[0]).to.match(/^pause-conformance: kind create cluster --name pc-no-image .* failed: the node image kindest\/node:\S+ could not be pulled \(.*proxyconnect tcp: dial tcp 127\.0\.0\.1:9: connect: connection refused\)\. /);
    expect(result.stdout).to.match(/kind's engine: docker \(kind's detection: `docker -v` says "Docker version /);
    expect(result.stdout).to.not.match(/due to KIND_EXPERIMENTAL_PROVIDER/);
    // The delete registered before the create ran, and its listing found the cluster gone (else it fails, with ✗).
    expect(result.stdout).to.not.match(/✗ delete kind cluster/);
    const kind = new KindCli({ binary: kindBinary, engine: await kindEngine(undefined) });
    expect(await kind.clusters()).to.deep.equal([]);
    expect((await under.engine().docker(['ps', '--all', '--quiet'])).stdout.trim()).to.equal('');
  });

  it("with the local node image: kind gets to Starting control-plane, the harness finds kind's node by its labels and reads it through docker exec", async function () {
    this.timeout(180_000);
    const name = 'pc-kind-node';
    const kind = new KindCli({ binary: kindBinary, engine: await kindEngine(undefined) });
    const scratch = await mkdtemp(path.join(os.tmpdir(), 'pc-kind-'));
    try {
      const t0 = Date.now();
      // --retain keeps the node of the failed create for the harness to look at; the finally deletes it.
      const created = await execa(kindBinary, ['create', 'cluster', '--name', name, '--image', under.image().reference, '--retain', '--kubeconfig', path.join(scratch, 'kubeconfig')], { reject: false, timeout: 120_000 });
      figures['createRetainMs'] = Date.now() - t0;
      expect(created.exitCode, created.stderr).to.equal(1);
      expect(created.stderr).to.match(/✓ Preparing nodes/);
      expect(created.stderr).to.match(/✓ Writing configuration/);
      expect(created.stderr).to.match(/✗ Starting control-plane/);
      expect(kindFailureError(`kind create cluster --name ${name}`, created.stderr, kind.engine).message).to.match(
        /^kind create cluster --name pc-kind-node failed: kind's node has no "kubeadm" \(OCI runtime exec failed: .*"kubeadm": executable file not found in \$PATH: unknown\): the node image is not a kind node image\. /,
      );
      expect(await kind.clusters()).to.deep.equal([name]);

      const nodes = await listNodeContainers('docker', name);
      expect(nodes).to.deep.equal([{ name: `${name}-control-plane`, role: 'control-plane' }]);
      const shell = new ContainerExecShell('docker', nodes[0]!.name);
      expect((await shell.run(['cat', '/kind/version'])).stdout.trim()).to.equal('v1.36.0');
      expect((await shell.run(['cat', '/proc/sys/kernel/hostname'])).stdout.trim()).to.equal(`${name}-control-plane`);
      // What the crictl inspector meets on a node without crictl: a missing command, as a shell says it.
      expect((await shell.run(['crictl', 'version'])).exitCode).to.equal(127);
      const facts = await new CtrInspector(shell, { ctr: ['ctr', '--namespace', 'k8s.io'], cniConfDir: '/etc/cni/net.d' }).runtimeFacts();
      expect(facts).to.deep.include({ runtimeName: 'containerd', ipamDirs: ['/var/lib/cni/networks/pc-node'] });
      // kind's node is on kind's network, with an address of its own.
      expect((await shell.run(['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0'])).stdout).to.match(/inet \d+\.\d+\.\d+\.\d+\//);
      // The kind provider's change sources (ClusterAccess.nodeEvents): ctr events and ip monitor in kind's node, and nothing of them left once closed.
      const events = await startExecNodeEvents({ engine: 'docker', container: nodes[0]!.name });
      try {
        expect(events.sources()).to.deep.equal({
          task: { source: `ctr events in the node (docker exec into ${name}-control-plane, /run/containerd/containerd.sock, /tasks/* of k8s.io)` },
          path: { none: `no inotify in the node: ${name}-control-plane is reached through docker exec` },
          link: { source: `ip -o monitor link in the node (docker exec into ${name}-control-plane)` },
          process: { none: `no pidfd helper in the node: ${name}-control-plane is reached through docker exec` },
        });
        expect(await sourcesRunningIn(shell)).to.not.deep.equal([]);
      } finally {
        await events.close();
      }
      expect(await sourcesRunningIn(shell)).to.deep.equal([]);
    } finally {
      const t1 = Date.now();
      await kind.delete(name, path.join(scratch, 'kubeconfig'));
      figures['deleteMs'] = Date.now() - t1;
      await rm(scratch, { recursive: true, force: true });
    }
    // kind exits 0 even for a cluster it did not find: only the listing proves it is gone.
    expect(await kind.clusters()).to.deep.equal([]);
    expect(await listNodeContainers('docker', name)).to.deep.equal([]);
  });
});
