/**
 * What a cluster provider hands to startClusterTargets once its cluster is up: a loaded
 * KubeConfig and how to reach each node (a NodeShell, optionally its own RuntimeInspector and
 * node controls).
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { NodeEvents } from '../../node/node-events.ts';
import type { NodeShell } from '../../node/node-shell.ts';
import type { RuntimeInspector } from '../../node/runtime-inspector.ts';
import type { TargetControls } from '../../target.ts';

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
  /**
   * The image id of the node's sandbox image where the inspector cannot tell it (no image()):
   * e.g. microk8s's ctr reads it from `ctr images ls`. Answers the id and where it was read.
   */
  sandboxImageId?(shell: NodeShell, image: string): Promise<{ id: string; source: string } | undefined>;
  /**
   * The node's change sources (task events, link changes), where the provider can reach them: a
   * teardown watch then looks again when a thing changed instead of every few ms. Started once
   * per node and closed through the run's undo. Without it, watches poll and the evidence says
   * "the target tells no changes of its node".
   */
  nodeEvents?(nodeName: string): Promise<NodeEvents>;
  /** Optional node-level actions (e.g. restart the node's containerd). */
  controls?(nodeName: string, shell: NodeShell): TargetControls;
  /** Extra lines for TargetInfo.details. */
  details?: Record<string, string>;
  /** --cri-endpoint for the default crictl inspector, where the provider takes it. */
  criEndpoint?: string;
  /**
   * The node to check when --nodes is not given (e.g. the node that is this machine); default:
   * the first Ready, schedulable worker by name.
   */
  defaultNode?: string;
}
