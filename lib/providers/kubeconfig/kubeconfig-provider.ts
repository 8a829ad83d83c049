/**
 * Provider `kubeconfig`: any existing cluster (--kubeconfig FILE, --context NAME). The pods go
 * through the API server; the node side is seen one of two ways:
 * - --node-shell local: this machine is the node (a single-node cluster, or a node you are
 *   logged in to). crictl runs here, against --cri-endpoint when given; reading /proc of the
 *   pods' processes needs root.
 * - --node-shell probe (with --allow-privileged-probe): a privileged pod on each checked node
 *   runs the node's own crictl through nsenter (lib/node/shells/probe-pod-shell.ts).
 * --restart-runtime 'systemctl restart containerd' lets the runtime-restart suite run there: the
 * command runs through the node shell, as words (no shell), and the runtime is awaited after it.
 * Everything after that is shared with kind, microk8s and k3s (startClusterTargets).
 */
import { EnvironmentError, UsageError } from '../../errors.ts';
import { KubeApi } from '../../kube/api.ts';
import { checkApiServer, loadKubeConfig } from '../../kube/kubeconfig.ts';
import { isThisMachine, listNodes, type MachineIdentity, type NodeSummary } from '../../kube/nodes.ts';
import { startClusterTargets } from '../cluster/cluster-targets.ts';
import { requireRoot } from '../common/require-root.ts';
import { thisMachine } from '../common/this-machine.ts';
import { defineProvider, type StartedProvider } from '../provider.ts';
import { kubeconfigDeclaration } from './kubeconfig-declaration.ts';
import { restartRuntimeAndWait } from '../common/restart-runtime.ts';
import type { TargetControls } from '../../target.ts';
import { runOperatorUpgrade } from '../../upgrade/operator-upgrade.ts';
import { shimsThrough } from '../../node/runtime-shims.ts';
import { LocalShell } from '../../node/shells/local-shell.ts';
import type { NodeShell } from '../../node/node-shell.ts';
import { ProbePods } from './probe-pods.ts';
import type { ClusterAccess } from '../cluster/cluster-access.ts';

/** The image the probe pod runs when --app-image is not given: busybox has sh, sleep and nsenter. */
export const DEFAULT_PROBE_IMAGE = 'docker.io/library/busybox:1.36';

export type NodeShellMode = 'local' | 'probe';

/** The pods are the kubelet's; what needs root is looking at them from this machine. */
export const NODE_SHELL_LOCAL_NEEDS_ROOT = "it runs crictl against the kubelet's runtime socket and reads the pods' /proc/<pid>/ns links, netns mounts and IPAM store, all root's";

/** --node-shell and --allow-privileged-probe -> the mode, or one line saying what to pass. */
export function nodeShellMode(options: { nodeShell?: string; allowPrivilegedProbe?: boolean }): NodeShellMode {
  const mode = options.nodeShell ?? (options.allowPrivilegedProbe ? 'probe' : undefined);
  if (mode === undefined) {
    throw new UsageError(
      'provider kubeconfig needs a way to see the nodes',
      'pass --node-shell local when this machine is the node, or --node-shell probe --allow-privileged-probe to run a privileged probe pod on each node',
      'See docs/kubernetes.md.',
    );
  }
  if (mode !== 'local' && mode !== 'probe') throw new UsageError(`--node-shell ${mode} is not known`, 'the kubeconfig provider knows local and probe', 'Pass --node-shell local or --node-shell probe.');
  if (mode === 'probe' && !options.allowPrivilegedProbe) {
    throw new UsageError(
      '--node-shell probe runs a privileged pod (host PID namespace, nsenter into the node) on every checked node',
      'that is root on those nodes, so it is opt-in',
      'Add --allow-privileged-probe to allow it, or use --node-shell local on the node itself.',
    );
  }
  return mode;
}

/** The node that is this machine, or one line saying why none (or several) is. */
export function localNode(nodes: NodeSummary[], machine: MachineIdentity): NodeSummary {
  const matches = nodes.filter((node) => isThisMachine(node, machine));
  const exact = matches.find((node) => node.name.toLowerCase() === machine.hostname.toLowerCase());
  if (exact) return exact;
  if (matches.length === 1) return matches[0]!;
  const listed = nodes.map((node) => `${node.name} (${node.addresses.map((a) => a.address).join(', ') || 'no addresses'})`).join('; ');
  if (matches.length === 0) {
    throw new EnvironmentError(
      '--node-shell local: no node of the cluster is this machine',
      `this machine is ${machine.hostname}; the nodes are ${listed || 'none'}`,
      'Run the harness on the node, or use --node-shell probe --allow-privileged-probe.',
    );
  }
  throw new EnvironmentError('--node-shell local: several nodes look like this machine', matches.map((node) => node.name).join(', '), 'Use --node-shell probe --allow-privileged-probe.');
}

/**
 * --restart-runtime: the node's runtime restarted with the user's command through the node shell,
 * then awaited (bounded) until crictl reaches it again, as kind and microk8s do with theirs.
 */
export function runtimeRestartControls(restart: string[], criEndpoint?: string): (nodeName: string, shell: NodeShell) => TargetControls {
  const probe = ['crictl', ...(criEndpoint ? ['--runtime-endpoint', criEndpoint] : []), 'version'];
  return (nodeName, shell) => ({ restartRuntime: () => restartRuntimeAndWait({ node: nodeName, shell, restart, probe }) });
}

export const kubeconfigProvider = defineProvider({
  ...kubeconfigDeclaration,
  async start(context): Promise<StartedProvider> {
    const options = context.options;
    const mode = nodeShellMode(options);
    if (mode === 'local') requireRoot('--node-shell local', NODE_SHELL_LOCAL_NEEDS_ROOT);
    const loaded = loadKubeConfig({ ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), ...(options.context ? { context: options.context } : {}) });
    const serverVersion = await context.step(`API server ${loaded.server} answers (context ${loaded.contextName})`, () => checkApiServer(loaded));
    const api = new KubeApi(loaded.kubeConfig);
    const details: Record<string, string> = { context: loaded.contextName, apiServer: loaded.server, apiServerVersion: serverVersion, kubeconfig: loaded.source, nodeShellMode: mode };
    if (options.criEndpoint) details['criEndpoint'] = options.criEndpoint;
    const criEndpoint = options.criEndpoint ? { criEndpoint: options.criEndpoint } : {};
    if (options.restartRuntime) details['restartRuntime'] = options.restartRuntime.join(' ');
    const controls = options.restartRuntime ? { controls: runtimeRestartControls(options.restartRuntime, options.criEndpoint) } : {};

    let access: ClusterAccess;
    if (mode === 'local') {
      const node = localNode(await listNodes(api), thisMachine());
      context.say(`  this machine is node ${node.name}`);
      const shell = new LocalShell();
      access = {
        providerName: 'kubeconfig',
        kubeConfig: loaded.kubeConfig,
        ...criEndpoint,
        defaultNode: node.name,
        details,
        // `pause-conformance upgrade`: the operator's command, and the node's shims by their -id (ps).
        controls: (nodeName, nodeShell) => ({
          ...controls.controls?.(nodeName, nodeShell),
          runtimeShims: () => shimsThrough(nodeShell),
          ...(options.upgradeCommand
            ? { upgradeRuntime: () => runOperatorUpgrade({ node: nodeName, shell: nodeShell, command: options.upgradeCommand!, probe: ['crictl', ...(options.criEndpoint ? ['--runtime-endpoint', options.criEndpoint] : []), 'version'] }) }
            : {}),
        }),
        nodeShell: async (nodeName) => {
          if (nodeName !== node.name) {
            throw new UsageError(`--node-shell local sees only this machine (node ${node.name})`, `--nodes ${options.nodes} also selects node ${nodeName}`, 'Select only this node, or use --node-shell probe --allow-privileged-probe for the others.');
          }
          return shell;
        },
      };
    } else {
      const probes = new ProbePods({ api, undo: context.undo, runId: context.runId, image: context.common.appImage ?? DEFAULT_PROBE_IMAGE, say: context.say });
      access = { providerName: 'kubeconfig', kubeConfig: loaded.kubeConfig, ...criEndpoint, ...controls, details, nodeShell: (nodeName) => probes.shellOn(nodeName) };
    }
    return startClusterTargets(context, access);
  },
});
