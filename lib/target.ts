/**
 * What a suite sees: a Target = { info, pods, node }. Suites never know which provider made it.
 * - pods: makes and acts on pods (a PodDriver: CRI gRPC as kubelet would, or the Kubernetes API);
 * - node: observes the sandbox from the node (a NodeView: pause pid, namespaces, netns, IPAM);
 * - info: what the report says about the target (runtime, versions, sandbox image, kernel).
 */
import type { RuntimeShim } from './node/runtime-shims.ts';
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
  /** The OCI runtime the runtime's shims call, with its version, where the provider knows it: "crun 1.8.1 (...)". */
  ociRuntime?: string;
  /** The version of the runtime's config file, where the provider wrote or read it: "3". */
  runtimeConfigVersion?: string;
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
  /**
   * The operator's in-place runtime upgrade (or rollback, or OCI runtime switch) the provider was
   * configured for: the old runtime stopped with its shims and pods left running, the new one
   * started on the same state and socket. Resolves once the new runtime answers; the Target's info
   * then describes the new runtime. Used by `pause-conformance upgrade`.
   */
  upgradeRuntime?(): Promise<RuntimeUpgradeResult>;
  /** The runtime's shim processes on the node, each with the sandbox it serves (by its -id). */
  runtimeShims?(): Promise<RuntimeShim[]>;
}

export interface RuntimeUpgradeResult {
  /** What ran before and after, as the provider names it: "containerd@1.6 (containerd v1.6.20~ds1), runc". */
  from: string;
  to: string;
  /** From the old runtime's stop to the new one answering. */
  downMs: number;
  stopMs?: number;
  startMs?: number;
  /** The operator's command, where one was run, and the tail of what it printed. */
  command?: string[];
  output?: string;
}

/** A shim as the node's command lines show it (lib/node/runtime-shims.ts reads them). */
export type { RuntimeShim };

export interface Target {
  info: TargetInfo;
  capabilities: TargetCapabilities;
  pods: PodDriver;
  node: NodeView;
  controls: TargetControls;
}
