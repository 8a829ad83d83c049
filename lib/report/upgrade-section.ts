/**
 * The upgrade section of report.json, written by `pause-conformance upgrade`: what was upgraded
 * to what, whether containerd supports that path, the in-place upgrade's times, each witness pod
 * before and after, and the diff of the suites before and after. summary.md turns the witnesses
 * into a table and lifecycle.svg marks the upgrade on each witness's line.
 */
import type { ReportDiff } from './diff.ts';
import type { Report } from './report.ts';

/** What a witness was at one moment, in the few facts the table compares. */
export interface WitnessFacts {
  at: string;
  sandboxState: string;
  pausePid?: number;
  pauseAlive?: boolean;
  netnsPath?: string;
  /** The pause process's net namespace, e.g. net:[4026532177]. */
  netns?: string;
  ip?: string;
  /** Container name -> pid of its process (none when it is not running). */
  containerPids: Record<string, number | null>;
  /** Container name -> state (running, exited, ...). */
  containerStates: Record<string, string>;
  execWorks: boolean;
  shimPids?: number[];
}

export interface WitnessRow {
  name: string;
  why: string;
  /** A hostNetwork pod: no netns or IP of its own to compare. */
  hostNetwork: boolean;
  pod: string;
  sandboxId: string;
  before: WitnessFacts;
  after?: WitnessFacts;
  /** Same pause alive, netns, IP, READY, containers with the same pids, exec works. */
  kept: boolean;
}

export interface UpgradeSection {
  /** As asked: --from and --to (or the runtimes seen before and after, on a real node). */
  from: string;
  to: string;
  /** The runtime as the target described it before and after: "containerd@1.6 (containerd v1.6.20~ds1, config version 2), runc". */
  runtimeBefore: string;
  runtimeAfter: string;
  /** RELEASES.md's verdict on the path (lib/upgrade/upgrade-path.ts). */
  path: { from: string; to: string; verdict: string; why: string; endOfLife: Record<string, string> };
  upgrade: {
    ok: boolean;
    error?: string;
    startedAt: string;
    finishedAt: string;
    downMs?: number;
    stopMs?: number;
    startMs?: number;
    command?: string[];
    output?: string;
  };
  witnesses: WitnessRow[];
  /** The suites before vs after, as `pause-conformance diff` computes it. */
  diff?: ReportDiff;
  /** Whole command, bring-up to report. */
  wallMs: number;
  /** Why the command exits as it does. */
  verdict: { upgradeChecksFailed: number; regressions: number; leaks: number; exitCode: number };
}

/** report.json of `pause-conformance upgrade`: a Report with the upgrade section. */
export interface UpgradeReport extends Report {
  upgrade: UpgradeSection;
}

export function upgradeOf(report: Report): UpgradeSection | undefined {
  return (report as Partial<UpgradeReport>).upgrade;
}
