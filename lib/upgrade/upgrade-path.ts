/**
 * Whether containerd supports going from one minor version to another, by its own RELEASES.md
 * (containerd/containerd at 301026e5, "Upgrade Path" and the release table): upgrades are
 * supported between sequential minor releases, and directly between sequential LTS releases
 * (its example: 1.7 to 2.3); there are no compatibility guarantees across a major version (for
 * 2.0 a config migration was added for 1.6 and 1.7); no downgrade is documented, and 1.x cannot
 * talk to the v3 shims 2.x starts (containerd/containerd#11720, open). So an upgrade check that
 * fails on a path containerd never promised reads as such in the report.
 */

export interface ContainerdMinorFacts {
  minor: string;
  /** End of life as RELEASES.md states it. */
  endOfLife: string;
  lts: boolean;
}

/** RELEASES.md's release table, 1.6 onwards, in release order. */
export const CONTAINERD_MINORS: ContainerdMinorFacts[] = [
  { minor: '1.6', endOfLife: 'August 23, 2025', lts: false },
  { minor: '1.7', endOfLife: 'September 2026 (extended support)', lts: true },
  { minor: '2.0', endOfLife: 'March 2027 (extended support)', lts: true },
  { minor: '2.1', endOfLife: 'July 3, 2026', lts: false },
  { minor: '2.2', endOfLife: 'November 6, 2026', lts: false },
  { minor: '2.3', endOfLife: 'April 30, 2028', lts: true },
];

/** RELEASES.md's Kubernetes matrix: the containerd minors it recommends for Kubernetes 1.36. */
export const KUBERNETES_1_36_CONTAINERD = ['2.2', '2.3'];

export type PathVerdict = 'supported' | 'not documented' | 'downgrade' | 'same containerd';

export interface UpgradePathAssessment {
  from: string;
  to: string;
  verdict: PathVerdict;
  /** One sentence: why, with RELEASES.md's words or the upstream issue. */
  why: string;
  /** End-of-life facts of both minors, for the report. */
  endOfLife: Record<string, string>;
}

/** "1.6" from "1.6", "v1.6.20~ds1", "containerd@1.6", "2.1.9+unknown". */
export function minorOf(version: string): string | undefined {
  const match = /(\d+)\.(\d+)/.exec(version);
  return match ? `${Number(match[1])}.${Number(match[2])}` : undefined;
}

export function assessUpgradePath(fromVersion: string, toVersion: string): UpgradePathAssessment {
  const from = minorOf(fromVersion) ?? fromVersion;
  const to = minorOf(toVersion) ?? toVersion;
  const endOfLife: Record<string, string> = {};
  for (const minor of [from, to]) {
    const facts = CONTAINERD_MINORS.find((known) => known.minor === minor);
    endOfLife[minor] = facts ? facts.endOfLife : 'not in RELEASES.md as read';
  }
  const base = { from, to, endOfLife };
  if (from === to) return { ...base, verdict: 'same containerd', why: `containerd ${from} stays; only what it runs changes (e.g. the OCI runtime)` };
  const i = CONTAINERD_MINORS.findIndex((known) => known.minor === from);
  const j = CONTAINERD_MINORS.findIndex((known) => known.minor === to);
  if (i === -1 || j === -1) return { ...base, verdict: 'not documented', why: `RELEASES.md as read names no upgrade path between ${from} and ${to}` };
  if (j < i) {
    return { ...base, verdict: 'downgrade', why: `a downgrade from ${from} to ${to}: RELEASES.md documents none, and containerd 1.x cannot talk to the v3 shims 2.x starts (containerd/containerd#11720, open)` };
  }
  if (j === i + 1) return { ...base, verdict: 'supported', why: `sequential minor releases ${from} -> ${to} (RELEASES.md "Upgrade Path")` };
  const ltsBetween = CONTAINERD_MINORS.slice(i + 1, j).some((known) => known.lts);
  if (CONTAINERD_MINORS[i]!.lts && CONTAINERD_MINORS[j]!.lts && !ltsBetween) {
    return { ...base, verdict: 'supported', why: `sequential LTS releases ${from} -> ${to} (RELEASES.md "Upgrade Path")` };
  }
  const route = CONTAINERD_MINORS.slice(i, j + 1).map((known) => known.minor).join(' -> ');
  const major = from.split('.')[0] !== to.split('.')[0] ? '; across a major version RELEASES.md gives no compatibility guarantee (a config migration exists for 1.6 and 1.7 to 2.0)' : '';
  return { ...base, verdict: 'not documented', why: `not sequential minors nor sequential LTS releases: the documented route is ${route}${major}` };
}
