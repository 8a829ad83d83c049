/**
 * What the registry and the command line know of provider `kubeconfig` before it is chosen. Its
 * start (kubeconfig-provider.ts) loads only when a run asks for it: it brings the Kubernetes
 * client, which local and cri runs never need.
 */
import { flag, text, value } from '../../options.ts';
import { CLUSTER_OPTIONS, CRICTL_OPTIONS } from '../cluster/cluster-options.ts';
import { commandWords } from '../common/command-words.ts';
import type { ProviderDeclaration } from '../provider.ts';

export const kubeconfigDeclaration = {
  name: 'kubeconfig',
  summary: 'an existing cluster (--kubeconfig, --context); node view with --node-shell local (this machine) or probe (--allow-privileged-probe)',
  options: {
    kubeconfig: text('FILE', "the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)"),
    context: text('NAME', 'the context to use (default: the current one)'),
    nodeShell: text('local|probe', 'how to see the node: local (this machine is the node) or probe (a privileged pod on it)'),
    allowPrivilegedProbe: flag('allow the privileged node-probe pod (opt-in)'),
    restartRuntime: value('COMMAND', "how to restart the node's runtime for the runtime-restart suite, e.g. 'systemctl restart containerd' (run through the node shell, no shell of its own)", (raw, flag) => commandWords(raw, flag)),
    upgradeCommand: value('COMMAND', "`upgrade` only: the operator's in-place runtime upgrade, run on the node through the node shell (no shell of its own)", (raw, flag) => commandWords(raw, flag)),
    ...CRICTL_OPTIONS,
    ...CLUSTER_OPTIONS,
  },
} satisfies ProviderDeclaration;
