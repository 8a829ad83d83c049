/**
 * The k3s provider where no container runtime is reachable (this machine has no Docker engine):
 * testcontainers' real answer becomes one line, before anything is registered for undo. Where a
 * runtime is reachable the case cannot happen, and the test says so and skips.
 */
import { expect } from 'chai';
import { existsSync } from 'node:fs';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import { EnvironmentError } from '../../lib/errors.ts';
import { DEFAULT_K3S_IMAGE, k3sProvider } from '../../lib/providers/k3s/k3s-provider.ts';
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
});
