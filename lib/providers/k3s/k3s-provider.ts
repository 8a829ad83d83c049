/**
 * Provider `k3s`: a single-node K3s cluster in a privileged container started by
 * @testcontainers/k3s, stopped at the end. The node is that container: node commands run through
 * long-lived exec sessions of the engine's exec API into it, where k3s ships crictl and ctr (its containerd listens on
 * /run/k3s/containerd/containerd.sock, which k3s' crictl uses by default). The kubeconfig comes
 * from the container (getKubeConfig) into memory. k3s supervises its own containerd, so the
 * harness offers no runtime restart here; the suite that needs one says so and skips.
 */
import type { StartedK3sContainer } from '@testcontainers/k3s';
import { EnvironmentError, messageOf } from '../../errors.ts';
import type { NodeShell } from '../../node/node-shell.ts';
import { kubeConfigFromText } from '../common/kubeconfig-text.ts';
import { TestcontainersExecShell } from '../../node/shells/testcontainers-exec-shell.ts';
import { NODE_EXEC_SESSIONS } from '../../node/shells/container-exec-shell.ts';
import { startClusterTargets } from '../cluster/cluster-targets.ts';
import { defineProvider, type StartedProvider } from '../provider.ts';
import { k3sDeclaration } from './k3s-declaration.ts';
import type { ClusterAccess } from '../cluster/cluster-access.ts';

/** One line when testcontainers finds no Docker-compatible engine to talk to. */
export async function requireContainerRuntime(): Promise<string> {
  // Loaded here, not at the top: testcontainers takes ~0.2 s to load, which no other provider should pay.
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    const client = await getContainerRuntimeClient();
    return `${client.info.containerRuntime.host} (engine ${String(client.info.containerRuntime.serverVersion)}, ${client.info.containerRuntime.operatingSystem})`;
  } catch (error) {
    throw new EnvironmentError(
      'no container runtime reachable for testcontainers',
      messageOf(error).split('\n')[0] ?? 'unknown error',
      'Start Docker (or a Docker-compatible engine) or point DOCKER_HOST at one; see https://node.testcontainers.org/supported-container-runtimes/.',
    );
  }
}

/** What the engine says of one container: its inspect document, or an error (dockerode's, statusCode 404 once it is removed). */
export type ContainerInspect = () => Promise<{ State?: { Status?: string } }>;

/**
 * The run's leak check once the k3s container is stopped. The container stop is the first undo
 * registered, so it runs last; the cluster, its API server and every pod and namespace of the run
 * went with the container. Asking that API server afterwards meets ECONNREFUSED, not a 404, and
 * failed every run. So, as for a kind cluster the run deleted, only the container itself is
 * looked for: the engine answers 404 for a container it no longer has.
 */
export async function leaksAfterContainerStop(containerId: string, image: string, inspect: ContainerInspect): Promise<string[]> {
  let state: string;
  try {
    state = (await inspect()).State?.Status ?? 'unknown';
  } catch (error) {
    if ((error as { statusCode?: unknown } | null)?.statusCode === 404) return [];
    throw new Error(`cannot tell whether the k3s container ${containerId.slice(0, 12)} is gone: ${messageOf(error)}`);
  }
  return [`k3s container ${containerId.slice(0, 12)} (${image}) still exists after the run (state ${state})`];
}

export const k3sProvider = defineProvider({
  ...k3sDeclaration,
  async start(context): Promise<StartedProvider> {
    const { options, undo, step } = context;
    const image = options.k3sImage;
    const engine = await step('container runtime reachable for testcontainers', () => requireContainerRuntime());

    let container: StartedK3sContainer | undefined;
    // Registered before start; a start that fails part-way is cleaned by testcontainers itself
    // and, should the process die, by its reaper (everything it makes carries its session label).
    undo.push(`stop k3s container (${image})`, async () => {
      await container?.stop();
    });
    const { K3sContainer } = await import('@testcontainers/k3s');
    container = await step(`k3s container started (${image})`, () => new K3sContainer(image).start());
    const started = container;

    const kubeConfig = kubeConfigFromText(started.getKubeConfig(), 'the kubeconfig of the k3s container', `Check the image ${image} is a K3s server image.`);
    // Long-lived exec sessions into the node, as into a kind node: openNode (cluster/node-access.ts)
    // closes them through the run's undo, before the container stops.
    const shell = new TestcontainersExecShell(started, { sessions: NODE_EXEC_SESSIONS });
    // k3s names its node after the container's hostname.
    const hostname = await step('k3s node hostname read', async () => {
      const result = await shell.run(['cat', '/etc/hostname']);
      if (result.exitCode !== 0) throw new EnvironmentError('the k3s container cannot be entered', result.stderr.trim() || `exit ${result.exitCode}`, 'Check the engine allows exec into privileged containers.');
      return result.stdout.trim();
    });

    const access: ClusterAccess = {
      providerName: 'k3s',
      kubeConfig,
      ...(options.criEndpoint ? { criEndpoint: options.criEndpoint } : {}),
      nodeShell: async (nodeName: string): Promise<NodeShell> => {
        if (nodeName !== hostname) throw new EnvironmentError(`node ${nodeName} is not the k3s container`, `the container's node is ${hostname}`, 'The k3s provider runs a single-node cluster; select that node.');
        return shell;
      },
      details: { image, engine, container: started.getId().slice(0, 12), runtimeSocket: '/run/k3s/containerd/containerd.sock' },
    };
    const targets = await startClusterTargets(context, access);
    const containerId = started.getId();
    return {
      ...targets,
      leaks: async () => {
        const { getContainerRuntimeClient } = await import('testcontainers');
        const client = await getContainerRuntimeClient();
        return leaksAfterContainerStop(containerId, image, () => client.container.inspect(client.container.getById(containerId)));
      },
    };
  },
});
