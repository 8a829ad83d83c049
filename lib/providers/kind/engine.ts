/**
 * Which container engine kind uses for its nodes, decided the way the kind CLI decides it
 * (pkg/internal/runtime GetDefault + pkg/cluster DetectNodeProvider): KIND_EXPERIMENTAL_PROVIDER
 * names it (docker, podman, nerdctl, finch, nerdctl.lima); unset or unknown, kind takes the first
 * of docker, nerdctl (or finch), podman that is installed, and docker when none is. The harness
 * must talk to the same engine, since it runs `<engine> exec` into kind's node containers.
 */
import { onPath } from '../common/on-path.ts';

export type KindEngineName = 'docker' | 'podman' | 'nerdctl' | 'finch' | 'nerdctl.lima';

export interface KindEngine {
  name: KindEngineName;
  /** The CLI binary kind runs for this engine (nerdctl's family runs under its own name). */
  binary: string;
  /** Why this engine: the variable, kind's detection, or kind's fallback. */
  reason: string;
}

const NAMED: Record<string, KindEngineName> = { docker: 'docker', podman: 'podman', nerdctl: 'nerdctl', finch: 'finch', 'nerdctl.lima': 'nerdctl.lima' };

export function kindEngine(variable: string | undefined, installed: (binary: string) => boolean = (binary) => onPath(binary)): KindEngine {
  const named = variable ? NAMED[variable] : undefined;
  if (named) return { name: named, binary: named, reason: `KIND_EXPERIMENTAL_PROVIDER=${variable}` };
  const ignored = variable ? ` (KIND_EXPERIMENTAL_PROVIDER=${variable} is not a value kind knows, so kind ignores it)` : '';
  for (const candidate of ['docker', 'nerdctl', 'finch', 'podman'] as const) {
    if (installed(candidate)) return { name: candidate, binary: candidate, reason: `kind's detection: ${candidate} is installed${ignored}` };
  }
  return { name: 'docker', binary: 'docker', reason: `kind's default: no engine found on PATH${ignored}` };
}
