/**
 * What a cluster provider can learn from a node's runtime beyond the RuntimeInspector basics:
 * which sandboxes belong to a pod (by CRI labels) and what the runtime is (versions, configured
 * sandbox image, host-local IPAM directories). CrictlInspector implements both; an inspector made
 * by a provider (ctr, a runtime's own CLI) may implement them too, and startClusterTargets uses
 * whatever it finds (see hasPodSandboxLister / hasRuntimeFacts).
 */
import type { RuntimeInspector } from './runtime-inspector.ts';
import type { SandboxImageFacts } from './sandbox-image.ts';
import type { SandboxReadiness } from '../cri/states.ts';

/** One sandbox as a runtime lists it (crictl pods), without the verbose inspect. */
export interface SandboxSummary {
  id: string;
  state: SandboxReadiness;
  attempt: number;
  /** Creation time in ns since the epoch, as the runtime reports it (a string: too big for a double). */
  createdAtNs: bigint;
  labels: Record<string, string>;
  podName?: string;
  podNamespace?: string;
  podUid?: string;
}

/**
 * Adds the pod's name, namespace and uid to a summary, each only where the runtime told it
 * (crictl's metadata, or ctr's sandbox config and labels): one place for both parsers.
 */
export function withPodIdentity(summary: SandboxSummary, pod: { name?: string | undefined; namespace?: string | undefined; uid?: string | undefined }): SandboxSummary {
  if (pod.name) summary.podName = pod.name;
  if (pod.namespace) summary.podNamespace = pod.namespace;
  if (pod.uid) summary.podUid = pod.uid;
  return summary;
}

export interface PodSandboxLister {
  /** Sandboxes whose labels include every given label (crictl pods --label k=v ...). */
  listPodSandboxes(labels: Record<string, string>): Promise<SandboxSummary[]>;
}

/** The sandbox image (and its id) with where each came from: see sandbox-image.ts for the sources, in order. */
export interface RuntimeFacts extends SandboxImageFacts {
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
  /** host-local IPAM directories from the runtime's CNI config ([] when not host-local). */
  ipamDirs: string[];
  /** Why IP release cannot be checked on this node, when ipamDirs is empty ("network cbr0: IPAM calico-ipam keeps no ..."). */
  ipamNotChecked?: string;
}

export interface RuntimeFactsSource {
  runtimeFacts(): Promise<RuntimeFacts>;
}

export function hasPodSandboxLister(inspector: RuntimeInspector): inspector is RuntimeInspector & PodSandboxLister {
  return typeof (inspector as Partial<PodSandboxLister>).listPodSandboxes === 'function';
}

export function hasRuntimeFacts(inspector: RuntimeInspector): inspector is RuntimeInspector & RuntimeFactsSource {
  return typeof (inspector as Partial<RuntimeFactsSource>).runtimeFacts === 'function';
}

/** The sandbox a kubelet uses now: READY first, then the highest attempt, then the newest. */
export function currentSandbox(sandboxes: SandboxSummary[]): SandboxSummary | undefined {
  return [...sandboxes].sort((a, b) => {
    if (a.state !== b.state) return a.state === 'ready' ? -1 : 1;
    if (a.attempt !== b.attempt) return b.attempt - a.attempt;
    return a.createdAtNs === b.createdAtNs ? 0 : a.createdAtNs > b.createdAtNs ? -1 : 1;
  })[0];
}
