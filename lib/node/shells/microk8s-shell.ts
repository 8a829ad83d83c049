/**
 * The microk8s node is this machine: its pods' processes, namespaces and netns mounts are on the
 * host, so node commands run here directly. What differs from a plain host shell is the runtime:
 * the snap's containerd listens on its own socket and ships ctr but no crictl, so runtime
 * commands go through the snap's `microk8s ctr` wrapper, which adds the snap's socket
 * (microk8s-resources/default-args/ctr: --address=${SNAP_COMMON}/run/containerd.sock
 * --namespace k8s.io); the namespace is named again so the argv says what it reads.
 */
import { LocalShell } from './local-shell.ts';

/** ctr against the snap's containerd, in the CRI plugin's namespace. */
export function microk8sCtr(binary = 'microk8s'): string[] {
  return [binary, 'ctr', '--namespace', 'k8s.io'];
}

export class Microk8sShell extends LocalShell {}
