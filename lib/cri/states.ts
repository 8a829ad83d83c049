/**
 * The states of sandboxes and containers, named once. CRI reports them as proto enum names
 * (SANDBOX_READY, CONTAINER_RUNNING...); crictl prints the same names; ctr and the CRI plugin's
 * files are read into them too. Every reader maps into these words, and everything above speaks them.
 */
export type ContainerRunState = 'created' | 'running' | 'exited' | 'unknown';

export type SandboxReadiness = 'ready' | 'notready';

/** A CRI ContainerState name (from gRPC or crictl JSON) -> its word; anything else is 'unknown'. */
export function containerStateOf(state: unknown): ContainerRunState {
  switch (state) {
    case 'CONTAINER_CREATED':
      return 'created';
    case 'CONTAINER_RUNNING':
      return 'running';
    case 'CONTAINER_EXITED':
      return 'exited';
    default:
      return 'unknown';
  }
}

/** A CRI PodSandboxState name -> its word: only SANDBOX_READY is ready. */
export function sandboxStateOf(state: unknown): SandboxReadiness {
  return state === 'SANDBOX_READY' ? 'ready' : 'notready';
}
