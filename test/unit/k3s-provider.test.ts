/**
 * The k3s provider where no container runtime is reachable (this machine has no Docker engine):
 * testcontainers' real answer becomes one line, before anything is registered for undo. Where a
 * runtime is reachable the case cannot happen, and the test says so and skips.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import { EnvironmentError } from '../../lib/errors.ts';
import { DEFAULT_K3S_IMAGE } from '../../lib/providers/k3s/k3s-declaration.ts';
import { k3sProvider, leaksAfterContainerStop } from '../../lib/providers/k3s/k3s-provider.ts';
import net from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { KubeApi } from '../../lib/kube/api.ts';
import { describeApiError } from '../../lib/kube/api-errors.ts';
import { clusterLeaks } from '../../lib/providers/cluster/cluster-leaks.ts';
import { readOptions } from '../../lib/options.ts';

/** What testcontainers would try: DOCKER_HOST, its config file's host, or the usual sockets. */
function runtimeMayBeReachable(): string | undefined {
  if (process.env['DOCKER_HOST']) return `DOCKER_HOST is set (${process.env['DOCKER_HOST']})`;
  if (process.env['TESTCONTAINERS_HOST_OVERRIDE']) return 'TESTCONTAINERS_HOST_OVERRIDE is set';
  for (const socket of ['/var/run/docker.sock', `/run/user/${process.getuid?.() ?? 0}/docker.sock`, `/run/user/${process.getuid?.() ?? 0}/podman/podman.sock`]) {
    if (existsSync(socket)) return `${socket} exists`;
  }
  return undefined;
}

describe('k3s provider', function () {
  it('defaults to the K3s image @testcontainers/k3s 12.1.0 pins for its own tests', function () {
    // testcontainers/testcontainers-node 457707f3 (v12.1.0), packages/modules/k3s/Dockerfile line 1.
    const dockerfileLine1 = 'FROM rancher/k3s:v1.36.2-k3s1';
    expect(DEFAULT_K3S_IMAGE).to.equal(dockerfileLine1.split(' ')[1]);
  });

  it('says in one line that no container runtime is reachable, having made nothing', async function () {
    const reachable = runtimeMayBeReachable();
    if (reachable) {
      console.log(`      (skipped: a container runtime may be reachable here: ${reachable})`);
      this.skip();
    }
    const undo = new UndoStack();
    const error = await k3sProvider
      .start({ runId: '1a2b3c4d', common: {}, options: readOptions(k3sProvider.options, {}), undo, step: (_title, work) => work(), say: () => undefined })
      .then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
    expect(error).to.be.instanceOf(EnvironmentError);
    expect(error!.message).to.equal(
      'no container runtime reachable for testcontainers: Could not find a working container runtime strategy. Start Docker (or a Docker-compatible engine) or point DOCKER_HOST at one; see https://node.testcontainers.org/supported-container-runtimes/.',
    );
    expect(undo.size).to.equal(0);
  });

  describe('the leak check after the container stop', function () {
    const ID = '4f1c2a9be0d7a1c2b3d4e5f60718293a4b5c6d7e8f901a2b3c4d5e6f708192a3';
    // How docker-modem (modem.js buildPayload) rejects an inspect the engine answers 404
    // ({"message":"No such container: <id>"}, Docker Engine API ContainerInspect).
    const noSuchContainer = Object.assign(new Error(`(HTTP code 404) no such container - No such container: ${ID} `), { statusCode: 404, reason: 'no such container' });

    it("no longer asks the stopped cluster's API server, which only refuses the connection", async function () {
      // What the run did before: the cluster leak check against an API server that went with the container.
      const server = net.createServer();
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as net.AddressInfo;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromOptions({ clusters: [{ name: 'k3s', server: `https://127.0.0.1:${port}`, skipTLSVerify: true }], users: [{ name: 'u' }], contexts: [{ name: 'k3s', cluster: 'k3s', user: 'u' }], currentContext: 'k3s' });
      const old = await clusterLeaks(new KubeApi(kubeConfig), '1a2b3c4d', 'pause-conformance-1a2b3c4d').then(
        () => 'answered',
        (error: unknown) => describeApiError(error),
      );
      expect(old).to.match(/ECONNREFUSED/);
      // Now: the container is gone, so nothing is left.
      expect(await leaksAfterContainerStop(ID, DEFAULT_K3S_IMAGE, () => Promise.reject(noSuchContainer))).to.deep.equal([]);
    });

    it('reports the container when the engine still has it, and says so when the engine cannot tell', async function () {
      expect(await leaksAfterContainerStop(ID, DEFAULT_K3S_IMAGE, async () => ({ State: { Status: 'running' } }))).to.deep.equal([`k3s container 4f1c2a9be0d7 (${DEFAULT_K3S_IMAGE}) still exists after the run (state running)`]);
      const error = await leaksAfterContainerStop(ID, DEFAULT_K3S_IMAGE, () => Promise.reject(new Error('connect ENOENT /var/run/docker.sock'))).then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      expect(error?.message).to.equal('cannot tell whether the k3s container 4f1c2a9be0d7 is gone: connect ENOENT /var/run/docker.sock');
    });
  });
});
