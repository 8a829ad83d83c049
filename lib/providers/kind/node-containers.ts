/**
 * kind's nodes are containers of the engine, labelled io.x-k8s.kind.cluster=<cluster> and
 * io.x-k8s.kind.role=<control-plane|worker|external-load-balancer>; a node's container name is its
 * Kubernetes node name (kind sets the hostname to it). Listed the way kind lists them
 * (pkg/cluster/internal/providers/{docker,podman,nerdctl}: ps -a --filter label=... --format
 * {{.Names}}, then inspect for the role label).
 */
import { execa } from 'execa';
import { EnvironmentError } from '../../errors.ts';

export const CLUSTER_LABEL = 'io.x-k8s.kind.cluster';
export const ROLE_LABEL = 'io.x-k8s.kind.role';

export interface KindNodeContainer {
  name: string;
  role: string;
}

export function listNodesArgs(cluster: string): string[] {
  return ['ps', '-a', '--filter', `label=${CLUSTER_LABEL}=${cluster}`, '--format', '{{.Names}}'];
}

export function roleArgs(container: string): string[] {
  return ['inspect', '--format', `{{ index .Config.Labels "${ROLE_LABEL}"}}`, container];
}

/** One container name per line (empty lines, which nerdctl may print, skipped). */
export function parseNames(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

async function engineOutput(binary: string, args: string[]): Promise<string> {
  const result = await execa(binary, args, { reject: false, timeout: 60_000, stdin: 'ignore' });
  if (result.exitCode !== 0) {
    const said = String(result.stderr).trim().split('\n').at(-1) ?? '';
    throw new EnvironmentError(`${[binary, ...args].join(' ')} failed (exit ${result.exitCode ?? 'none'})`, said || 'no message', 'Check that the engine kind uses is running.');
  }
  return String(result.stdout);
}

/** The node containers of a cluster with their roles; the load balancer of an HA cluster is not a node. */
export async function listNodeContainers(binary: string, cluster: string): Promise<KindNodeContainer[]> {
  const names = parseNames(await engineOutput(binary, listNodesArgs(cluster)));
  const nodes: KindNodeContainer[] = [];
  for (const name of names) {
    const role = (await engineOutput(binary, roleArgs(name))).trim();
    if (role !== 'external-load-balancer') nodes.push({ name, role });
  }
  return nodes;
}
