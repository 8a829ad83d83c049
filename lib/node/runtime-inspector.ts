/**
 * A RuntimeInspector reads sandboxes and containers from the node's runtime: over CRI gRPC
 * (embedded node, --cri-endpoint), or by parsing crictl / ctr output through a NodeShell
 * (kind, microk8s, k3s, probe pods). All of them end in the same SandboxFacts / ContainerFacts.
 */
import type { ContainerFacts, ContainerStateFact, ImageFacts, SandboxFacts, SandboxState } from './node-view.ts';

export interface RuntimeInspector {
  /** Facts of one sandbox; state 'gone' when the runtime no longer knows it. */
  sandbox(sandboxId: string): Promise<SandboxFacts>;
  /** Containers of the sandbox, every attempt the runtime still lists. */
  containers(sandboxId: string): Promise<ContainerFacts[]>;
  /** Facts of one container; state 'gone' when the runtime no longer knows it. */
  container(containerId: string): Promise<ContainerFacts>;
  /**
   * An image with its config's entrypoint and cmd (CRI ImageStatus verbose; `crictl inspecti`),
   * undefined when the runtime does not have it. Optional: parse with parseImageInspect.
   */
  image?(reference: string): Promise<ImageFacts | undefined>;
  /**
   * Only the sandbox's state, without the verbose info (the runtime spec, ~20 KB of JSON): what a
   * teardown watch asks again after each change. Optional: sandbox() answers it too.
   */
  sandboxState?(sandboxId: string): Promise<SandboxState>;
  /** Only the state of each container the runtime lists for the sandbox, from one list call. Optional: containers() answers it too. */
  containerStates?(sandboxId: string): Promise<ContainerStateFact[]>;
}
