/**
 * What the registry and the command line know of provider `kind` before it is chosen: its name,
 * summary and options. Its start (kind-provider.ts) loads only when a run asks for it: it brings
 * the Kubernetes client, which local and cri runs never need.
 */
import { flag, text } from '../../options.ts';
import { CLUSTER_OPTIONS, CRICTL_OPTIONS } from '../cluster/cluster-options.ts';
import type { ProviderDeclaration } from '../provider.ts';

export const kindDeclaration = {
  name: 'kind',
  summary: 'a kind cluster (created for the run and deleted after it, or --reuse an existing one)',
  options: {
    clusterName: text('NAME', 'the cluster (default: pause-conformance-<run id>)'),
    nodeImage: text('REF', 'node image of a cluster the run creates, e.g. kindest/node:v1.33.1'),
    kindConfig: text('FILE', 'cluster config of a cluster the run creates, e.g. fixtures/kind/multi-node.yaml'),
    reuse: flag('run on the existing cluster of that name instead of creating one (it is left as it is)'),
    keep: flag('keep the cluster the run creates after the run'),
    ...CLUSTER_OPTIONS,
    ...CRICTL_OPTIONS,
  },
} satisfies ProviderDeclaration;
