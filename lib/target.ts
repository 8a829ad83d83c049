/**
 * What a suite sees: a Target = { info, pods, node }. Suites never know which provider made it.
 * - pods: makes and acts on pods (a PodDriver: CRI gRPC as kubelet would, or the Kubernetes API);
 * - node: observes the sandbox from the node (a NodeView: pause pid, namespaces, netns, IPAM);
 * - info: what the report says about the target (runtime, versions, sandbox image, kernel).
 */
import type { PodDriver } from './pods/pod-driver.ts';
import type { NodeView } from './node/node-view.ts';

export interface TargetInfo {
  /** Provider name: local, cri, kind, microk8s, k3s, kubeconfig. */
  provider: string;
  /** The node these facts describe (a cluster run has one Target per node). */
  nodeName: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
  /** The sandbox (pause) image the runtime is configured with, as the runtime names it. */
  sandboxImage: string;
  /** Its digest or image id where the runtime tells it. */
  sandboxImageId?: string;
  /**
   * Where sandboxImage was read ("crictl info: config.sandboxImage", "the runtime's one pinned
   * image (...)", ...): containerd 2.x tells it elsewhere than 1.x, and a change of source alone is
   * not a change of image (the diff compares sandboxImage and sandboxImageId only).
   */
  sandboxImageSource?: string;
  /** Where sandboxImageId was read (the image list, ImageStatus, crictl inspecti, ctr images ls). */
  sandboxImageIdSource?: string;
  kernel: string;
  /** Kubernetes version of the kubelet on that node, for cluster providers. */
  kubeletVersion?: string;
  /** Provider-specific facts worth a line in the report (endpoint, cluster name, subnet...). */
  details: Record<string, string>;
}

/** What a target can do; a suite that needs what is missing skips with the reason printed. */
export interface TargetCapabilities {
  /** Pods are run by a kubelet (restart policies, SandboxChanged, restartCount exist). */
  kubelet: boolean;
  /** The harness itself can create a new container attempt in a sandbox (CRI level). */
  containerAttempts: boolean;
  /** The node's CNI IPAM store can be read, so IP release can be checked. */
  ipamVisible: boolean;
  /** When ipamVisible is false: why, for the checks' "not checked: <why>" (e.g. "network cbr0: IPAM calico-ipam keeps no host-local store ..."). */
  ipamNotChecked?: string;
  /** Host links can be listed, so a pod's veth can be followed. */
  linksVisible: boolean;
}

/** Actions on the node itself, where the provider can do them. */
export interface TargetControls {
  /**
   * Restarts the container runtime with its configuration unchanged (the embedded node's
   * containerd; a node's containerd service). Resolves once the runtime answers again.
   */
  restartRuntime?(): Promise<{ downMs: number }>;
}

export interface Target {
  info: TargetInfo;
  capabilities: TargetCapabilities;
  pods: PodDriver;
  node: NodeView;
  controls: TargetControls;
}
