/**
 * Is the runtime the harness reads the one the node's kubelet uses? With --node-shell local and
 * a wrong --cri-endpoint (or crictl's default pointing at another containerd), every sandbox
 * lookup would come back empty and every check would fail for a reason it does not say. So the
 * pods the API says run on the node are looked up in the runtime once, at start.
 */
import { requestTimeout, type KubeApi } from '../../kube/api.ts';
import { isApiStatus } from '../../kube/api-errors.ts';
import type { SandboxSummary } from '../../node/runtime-facts.ts';
import { LABEL_POD_UID } from '../../labels.ts';

export interface ApiPodIdentity {
  namespace: string;
  name: string;
  uid: string;
  /**
   * For a mirror pod (a static pod's API copy): the kubelet's own uid of the static pod, which
   * its sandbox carries, from the kubernetes.io/config.mirror annotation.
   */
  kubeletUid?: string;
}

/** Which of the API's pods (running on the node, not host-network-only) the runtime has a sandbox for. */
export function matchPodsToSandboxes(pods: ApiPodIdentity[], sandboxes: SandboxSummary[]): { seen: ApiPodIdentity[]; missing: ApiPodIdentity[] } {
  const uids = new Set(sandboxes.map((sandbox) => sandbox.podUid ?? sandbox.labels[LABEL_POD_UID]).filter(Boolean));
  const has = (pod: ApiPodIdentity): boolean => uids.has(pod.uid) || (pod.kubeletUid !== undefined && uids.has(pod.kubeletUid));
  return { seen: pods.filter(has), missing: pods.filter((pod) => !has(pod)) };
}

/** Running pods the API places on the node; undefined when the user may not list pods cluster-wide. */
export async function runningPodsOnNode(api: KubeApi, nodeName: string): Promise<ApiPodIdentity[] | undefined> {
  try {
    const list = await api.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName},status.phase=Running` }, requestTimeout());
    return list.items
      .map((pod) => {
        const identity: ApiPodIdentity = { namespace: pod.metadata?.namespace ?? '', name: pod.metadata?.name ?? '', uid: pod.metadata?.uid ?? '' };
        const mirror = pod.metadata?.annotations?.['kubernetes.io/config.mirror'];
        if (mirror) identity.kubeletUid = mirror;
        return identity;
      })
      .filter((pod) => pod.uid);
  } catch (error) {
    if (isApiStatus(error, 403)) return undefined;
    throw error;
  }
}
