/**
 * One Target per Kubernetes node, for every cluster provider (kubeconfig, kind, microk8s, k3s).
 * A provider brings its cluster up and hands over a ClusterAccess: a loaded KubeConfig and how to
 * reach each node (a NodeShell, optionally its own RuntimeInspector and node controls). This file
 * does the rest, the same way for all of them: the per-run namespace, the choice of nodes
 * (--nodes), a kube PodDriver pinned to each node, a NodeView over crictl (or the provider's
 * inspector), TargetInfo per node, and the leak check.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { NodeShell } from '../node/node-shell.ts';
import type { RuntimeInspector } from '../node/runtime-inspector.ts';
import type { TargetControls } from '../target.ts';
import type { ProviderContext, StartedProvider } from './provider.ts';

export interface ClusterAccess {
  /** 'kubeconfig' | 'kind' | 'microk8s' | 'k3s': goes into TargetInfo.provider. */
  providerName: string;
  /** From @kubernetes/client-node, already loaded (and its context selected). */
  kubeConfig: KubeConfig;
  /** How to run commands on a given node (by Kubernetes node name). */
  nodeShell(nodeName: string): Promise<NodeShell>;
  /**
   * How to read the runtime on that node; default: crictl through the shell (CrictlInspector,
   * with --cri-endpoint when given). An inspector that also implements PodSandboxLister and
   * RuntimeFactsSource (lib/node/runtime-facts.ts) is used for those too; without them the pod's
   * sandbox is found through its containers and the runtime facts come from the Node object.
   */
  inspector?(shell: NodeShell, nodeName: string): Promise<RuntimeInspector>;
  /** Optional node-level actions (e.g. restart the node's containerd). */
  controls?(nodeName: string, shell: NodeShell): TargetControls;
  /** Extra lines for TargetInfo.details. */
  details?: Record<string, string>;
}

export async function startClusterTargets(context: ProviderContext, access: ClusterAccess): Promise<StartedProvider> {
  void context;
  void access;
  throw new Error('startClusterTargets: being written (issue 6); the signature is final');
}
