/**
 * What the registry and the command line know of provider `microk8s` before it is chosen. Its
 * start (microk8s-provider.ts) loads only when a run asks for it: it brings the Kubernetes
 * client, which local and cri runs never need.
 */
import { CLUSTER_OPTIONS } from '../cluster/cluster-options.ts';
import type { ProviderDeclaration } from '../provider.ts';

export const microk8sDeclaration = {
  name: 'microk8s',
  summary: 'the microk8s snap on this machine (runtime seen through microk8s ctr); needs root',
  options: { ...CLUSTER_OPTIONS },
} satisfies ProviderDeclaration;
