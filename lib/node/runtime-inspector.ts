/**
 * A RuntimeInspector reads sandboxes and containers from the node's runtime: over CRI gRPC
 * (embedded node, --cri-endpoint), or by parsing crictl / ctr output through a NodeShell
 * (kind, microk8s, k3s, probe pods). All of them end in the same SandboxFacts / ContainerFacts.
 */
import type { ContainerFacts, SandboxFacts } from './node-view.ts';

export interface RuntimeInspector {
  /** Facts of one sandbox; state 'gone' when the runtime no longer knows it. */
  sandbox(sandboxId: string): Promise<SandboxFacts>;
  /** Containers of the sandbox, every attempt the runtime still lists. */
  containers(sandboxId: string): Promise<ContainerFacts[]>;
  /** Facts of one container; state 'gone' when the runtime no longer knows it. */
  container(containerId: string): Promise<ContainerFacts>;
}
