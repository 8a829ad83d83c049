/**
 * A pod's sandbox timeline as evidence: when it was asked for, ready, deleted, and when each part
 * of the sandbox was seen gone, as absolute ISO times under evidence['timeline'], so
 * lifecycle.svg can be drawn from report.json alone and runs on different nodes line up.
 */
import type { Evidence, EvidenceValue } from './evidence.ts';
import type { Report } from './report.ts';

/** Known events in lifecycle order, with the words the picture uses. Others are drawn by their key. */
export const TIMELINE_EVENTS: Record<string, string> = {
  created: 'created (sandbox asked for)',
  ready: 'ready (all containers started)',
  deleteCalled: 'delete called',
  containersGone: 'containers exited',
  pauseGone: 'pause process gone',
  sandboxNotReady: 'sandbox not ready',
  vethGone: 'veth gone',
  netnsGone: 'netns gone',
  ipReleased: 'IP released',
  deleteReturned: 'delete returned',
  shimGone: 'shim gone',
  upgradeStarted: 'old runtime stopped (upgrade)',
  upgradeDone: 'new runtime answering',
  containerRestarted: 'container restarted',
  runtimeRestarted: 'runtime restarted again',
};

/** Events that mark the runtime upgrade on a witness's line (lifecycle.svg shades the span between). */
export const UPGRADE_START = 'upgradeStarted';
export const UPGRADE_DONE = 'upgradeDone';

/** Events after which the pod is being torn down; their times are also shown relative to the delete call. */
export const TEARDOWN_START = 'deleteCalled';

/** evidence['timeline'] for a pod: `events` are ms since the epoch. */
export function timelineEvidence(pod: string, events: Record<string, number>): Evidence {
  const iso: Record<string, EvidenceValue> = {};
  for (const [name, ms] of Object.entries(events)) iso[name] = new Date(ms).toISOString();
  return { pod, events: iso };
}

export interface TimelineEvent {
  name: string;
  label: string;
  /** ms since the epoch. */
  atMs: number;
}

export interface PodTimeline {
  pod: string;
  node: string;
  check: string;
  /** Sorted by time; the first is the start of the timeline. */
  events: TimelineEvent[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every pod timeline recorded in the report, in report order; malformed ones are left out. */
export function timelinesOf(report: Report): PodTimeline[] {
  const timelines: PodTimeline[] = [];
  for (const target of report.targets) {
    for (const check of target.checks) {
      const timeline = check.evidence['timeline'];
      if (!isRecord(timeline) || typeof timeline['pod'] !== 'string' || !isRecord(timeline['events'])) continue;
      const events: TimelineEvent[] = [];
      for (const [name, value] of Object.entries(timeline['events'])) {
        const atMs = typeof value === 'string' ? Date.parse(value) : NaN;
        if (!Number.isNaN(atMs)) events.push({ name, label: TIMELINE_EVENTS[name] ?? name, atMs });
      }
      if (events.length === 0) continue;
      events.sort((a, b) => a.atMs - b.atMs);
      timelines.push({ pod: timeline['pod'], node: target.info.nodeName, check: check.fullTitle, events });
    }
  }
  return timelines;
}
