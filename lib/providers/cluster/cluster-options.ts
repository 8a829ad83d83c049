/**
 * Options every cluster provider takes (kind, microk8s, k3s, kubeconfig): which nodes to check and
 * how many at a time. CRICTL_OPTIONS is for those whose node view runs crictl (all but microk8s,
 * which reads its runtime through ctr).
 */
import { positiveInteger, text, value } from '../../options.ts';

export const CLUSTER_OPTIONS = {
  nodes: text('all|SELECTOR', 'run on every schedulable node, or those matching a label selector (default: one node)'),
  parallel: value('N', 'nodes checked at a time (default: 1)', positiveInteger('it is how many nodes are checked at a time', 2)),
};

export const CRICTL_OPTIONS = {
  criEndpoint: text('ENDPOINT', "the runtime socket crictl talks to on the node (default: crictl's own configuration)"),
};
