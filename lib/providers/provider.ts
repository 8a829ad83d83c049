/**
 * A Provider brings Targets up and down: local (embedded node), cri (an existing runtime
 * socket), kind, microk8s, k3s, kubeconfig. One folder per provider, one interface (as kind's
 * pkg/cluster/internal/providers). A provider registers every undo in the run's UndoStack; the
 * run unwinds it on success, failure and signals, then asks the provider's leak check.
 */
import type { UndoStack } from '../cleanup/undo-stack.ts';
import type { Target } from '../target.ts';

export interface RunOptions {
  provider: string;
  reportDir: string;
  grep?: string;
  subnet?: string;
  sandboxImageTar?: string;
  criEndpoint?: string;
  appImage?: string;
  kubeconfig?: string;
  context?: string;
  nodeShell?: string;
  allowPrivilegedProbe?: boolean;
  clusterName?: string;
  nodeImage?: string;
  kindConfig?: string;
  reuse?: boolean;
  keep?: boolean;
  nodes?: string;
  parallel?: number;
  k3sImage?: string;
  /** Directory of pod fixtures (default fixtures/pods). */
  fixtures?: string;
}

export interface ProviderContext {
  runId: string;
  options: RunOptions;
  undo: UndoStack;
  /** Runs one bring-up step and prints it with its duration, so a slow start is not silence. */
  step: <T>(title: string, work: () => Promise<T>) => Promise<T>;
  /** One line for the person watching. */
  say: (line: string) => void;
}

export interface StartedProvider {
  targets: Target[];
  /** After teardown: what of this run is still there, one line each. */
  leaks(): Promise<string[]>;
}

export interface Provider {
  name: string;
  summary: string;
  start(context: ProviderContext): Promise<StartedProvider>;
}
