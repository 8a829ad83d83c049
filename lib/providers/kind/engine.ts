/**
 * Which container engine kind uses for its nodes, decided the way the kind CLI decides it (kind
 * v0.33.0, pkg/internal/runtime/runtime.go GetDefault + pkg/cluster/provider.go DetectNodeProvider):
 * - KIND_EXPERIMENTAL_PROVIDER names it: docker, podman, nerdctl, finch, nerdctl.lima; an unknown
 *   value is ignored (kind warns and detects);
 * - otherwise the first engine whose `<binary> -v` prints exactly one line (stdout only) starting
 *   with its banner: "Docker version" (docker/util.go IsAvailable), then "nerdctl version", else
 *   `finch -v` and "finch version" (nerdctl/util.go), then "podman version" (podman/util.go);
 *   none: docker. So podman's docker shim (`docker -v` prints "podman version ...") is podman,
 *   not docker, as kind sees it.
 * The harness must talk to the same engine, since it runs `<engine> exec` into kind's node
 * containers. It predicts kind's choice and never makes it for kind: KindCli passes the user's
 * environment through unchanged (setting KIND_EXPERIMENTAL_PROVIDER itself would only make kind
 * print "using docker due to KIND_EXPERIMENTAL_PROVIDER" on every command).
 */
import { execa } from 'execa';

export type KindEngineName = 'docker' | 'podman' | 'nerdctl' | 'finch' | 'nerdctl.lima';

export interface KindEngine {
  name: KindEngineName;
  /** The CLI binary kind runs for this engine (nerdctl's family runs under its own name). */
  binary: string;
  /** Why this engine: the variable, kind's detection, or kind's fallback. */
  reason: string;
  /** Named by KIND_EXPERIMENTAL_PROVIDER (kind's own detection was not asked). */
  fromVariable: boolean;
}

/** `<binary> -v` as kind reads it: stdout lines, or undefined when the binary cannot run or fails. */
export type EngineBanner = (binary: string) => Promise<string[] | undefined>;

const NAMED: Record<string, KindEngineName> = { docker: 'docker', podman: 'podman', nerdctl: 'nerdctl', finch: 'finch', 'nerdctl.lima': 'nerdctl.lima' };

/** Detection order and banners, from kind's IsAvailable functions. */
const DETECTION: { name: KindEngineName; banner: string }[] = [
  { name: 'docker', banner: 'Docker version' },
  { name: 'nerdctl', banner: 'nerdctl version' },
  { name: 'finch', banner: 'finch version' },
  { name: 'podman', banner: 'podman version' },
];

/** Lines as Go's bufio.Scanner gives them (kind's exec.OutputLines): no empty last line, no trailing \r. */
export function scannerLines(stdout: string): string[] {
  const lines = stdout.split('\n').map((line) => line.replace(/\r$/, ''));
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** Whether a banner is the one kind's IsAvailable accepts for `prefix`: exactly one line, starting with it. */
export function bannerMatches(lines: string[] | undefined, prefix: string): boolean {
  return lines !== undefined && lines.length === 1 && lines[0]!.startsWith(prefix);
}

/** Runs `<binary> -v` (bounded); stderr is ignored, as kind ignores it (podman's shim writes its notice there). */
export const engineBanner: EngineBanner = async (binary) => {
  const result = await execa(binary, ['-v'], { reject: false, timeout: 10_000, stdin: 'ignore' });
  if (result.exitCode !== 0) return undefined;
  return scannerLines(String(result.stdout));
};

export async function kindEngine(variable: string | undefined, banner: EngineBanner = engineBanner): Promise<KindEngine> {
  const named = variable ? NAMED[variable] : undefined;
  if (named) return { name: named, binary: named, reason: `KIND_EXPERIMENTAL_PROVIDER=${variable}`, fromVariable: true };
  const ignored = variable ? ` (KIND_EXPERIMENTAL_PROVIDER=${variable} is not a value kind knows, so kind ignores it)` : '';
  for (const { name, banner: prefix } of DETECTION) {
    const lines = await banner(name);
    if (bannerMatches(lines, prefix)) return { name, binary: name, reason: `kind's detection: \`${name} -v\` says "${lines![0]}"${ignored}`, fromVariable: false };
  }
  return { name: 'docker', binary: 'docker', reason: `kind's default: no engine answered \`-v\` with its banner${ignored}`, fromVariable: false };
}
