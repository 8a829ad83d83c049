/**
 * reports/lifecycle.svg: each pod's sandbox timeline from report.json, so a person sees where the
 * time goes between "asked for" and "IP released". One block per pod: a phase bar (starting,
 * running, tearing down) and one lane per event with its time. All pods share one time axis
 * (ms since the pod was asked for), so a slow pod stands out. d3-scale picks the axis and its
 * ticks; xmlbuilder2 writes the SVG, escaping every text; nothing here needs a browser.
 */
import { scaleLinear } from 'd3-scale';
import { create } from 'xmlbuilder2';
import type { Report } from './report.ts';
import { TEARDOWN_START, timelinesOf, UPGRADE_DONE, UPGRADE_START, type PodTimeline, type TimelineEvent } from './timeline.ts';
import { xmlSafe } from './xml-safe.ts';

const WIDTH = 1000;
const LABEL_WIDTH = 210;
/** Room right of the plot for the value text of an event at the very end. */
const VALUE_WIDTH = 200;
const HEADER = 96;
const LANE = 18;
const BLOCK_TOP = 44;
const BLOCK_GAP = 22;
const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

const PHASES = [
  { from: 'created', to: 'ready', name: 'starting', color: '#4e79a7' },
  { from: 'ready', to: TEARDOWN_START, name: 'running', color: '#b5bdc6' },
  { from: TEARDOWN_START, to: undefined, name: 'tearing down', color: '#e15759' },
] as const;

const UPGRADE_COLOR = '#9467bd';

function eventColor(event: TimelineEvent, deleteMs: number | undefined): string {
  if (event.name === TEARDOWN_START) return '#f28e2b';
  if (event.name === UPGRADE_START || event.name === UPGRADE_DONE) return UPGRADE_COLOR;
  if (deleteMs !== undefined && event.atMs > deleteMs) return '#e15759';
  return '#4e79a7';
}

function blockHeight(timeline: PodTimeline): number {
  return BLOCK_TOP + timeline.events.length * LANE + BLOCK_GAP;
}

export function renderLifecycleSvg(report: Report): string {
  const timelines = timelinesOf(report);
  const span = Math.max(1, ...timelines.map((t) => t.events.at(-1)!.atMs - t.events[0]!.atMs));
  const x = scaleLinear().domain([0, span]).range([LABEL_WIDTH, WIDTH - VALUE_WIDTH]).nice();
  const bodyHeight = timelines.length === 0 ? 40 : timelines.reduce((sum, t) => sum + blockHeight(t), 0);
  const height = HEADER + bodyHeight + 10;

  const svg = create({ version: '1.0', encoding: 'UTF-8' }).ele('http://www.w3.org/2000/svg', 'svg', {
    width: String(WIDTH),
    height: String(height),
    viewBox: `0 0 ${WIDTH} ${height}`,
    'font-family': FONT,
    'font-size': '12',
  });
  svg.ele('title').txt(xmlSafe(`pause-conformance ${report.runId}: pod sandbox lifecycle`));
  svg.ele('rect', { x: '0', y: '0', width: String(WIDTH), height: String(height), fill: '#ffffff' });
  svg.ele('text', { x: '12', y: '22', 'font-size': '15', 'font-weight': 'bold' }).txt(xmlSafe(`Pod sandbox lifecycle: run ${report.runId} (${report.provider})`));
  svg.ele('text', { x: '12', y: '40', fill: '#555555' }).txt('Time since the pod was asked for. Teardown events also show the time after the delete call (+ms).');

  let legendX = 12;
  for (const phase of PHASES) {
    svg.ele('rect', { x: String(legendX), y: '50', width: '14', height: '10', fill: phase.color });
    svg.ele('text', { x: String(legendX + 19), y: '59' }).txt(phase.name);
    legendX += 30 + phase.name.length * 7;
  }

  const axis = svg.ele('g', { class: 'axis' });
  const ticks = x.ticks(8);
  ticks.forEach((tick, i) => {
    axis.ele('line', { x1: String(x(tick)), x2: String(x(tick)), y1: String(HEADER - 8), y2: String(HEADER + bodyHeight), stroke: '#eeeeee' });
    // The unit once, on the last tick, keeps the labels apart.
    axis.ele('text', { x: String(x(tick)), y: String(HEADER - 12), 'text-anchor': 'middle', fill: '#555555' }).txt(i === ticks.length - 1 ? `${tick} ms` : String(tick));
  });

  if (timelines.length === 0) {
    svg.ele('text', { x: '12', y: String(HEADER + 24) }).txt('No check recorded a pod timeline in this run (the teardown suite records one: was it left out by --grep?).');
  }

  let y = HEADER;
  for (const timeline of timelines) {
    const start = timeline.events[0]!.atMs;
    const at = (name: string | undefined): number | undefined => (name === undefined ? timeline.events.at(-1)!.atMs : timeline.events.find((e) => e.name === name)?.atMs);
    const deleteMs = at(TEARDOWN_START);
    const readyMs = at('ready');
    const block = svg.ele('g', { class: 'pod', 'data-pod': xmlSafe(timeline.pod), transform: `translate(0 ${y})` });

    const facts = [`pod ${timeline.pod} on ${timeline.node}`];
    if (readyMs !== undefined) facts.push(`ready in ${readyMs - start} ms`);
    if (deleteMs !== undefined) {
      // "Gone" is the last part of the sandbox seen gone; the delete call's own return is a separate fact.
      const gone = timeline.events.filter((e) => e.atMs > deleteMs && e.name !== 'deleteReturned').at(-1);
      const returned = at('deleteReturned');
      if (gone) facts.push(`sandbox gone ${gone.atMs - deleteMs} ms after the delete call`);
      if (returned !== undefined) facts.push(`delete returned after ${returned - deleteMs} ms`);
    }
    block.ele('text', { x: '12', y: '14', 'font-weight': 'bold' }).txt(xmlSafe(facts.join(' · ')));

    for (const phase of PHASES) {
      const from = at(phase.from);
      const to = at(phase.to);
      if (from === undefined || to === undefined || to < from) continue;
      const x0 = x(from - start);
      const width = Math.max(1, x(to - start) - x0);
      block.ele('rect', { class: 'phase', x: String(x0), y: '22', width: String(width), height: '12', fill: phase.color });
      const text = `${phase.name} ${to - from} ms`;
      // Only inside the bar when it fits (~7 px per character at 11 px).
      if (width > text.length * 6.5 + 8) block.ele('text', { x: String(x0 + 4), y: '32', 'font-size': '11', fill: '#ffffff' }).txt(text);
    }
    block.ele('text', { x: String(LABEL_WIDTH - 14), y: '32', 'text-anchor': 'end', fill: '#555555' }).txt('phases');

    // A witness of a runtime upgrade: the span the runtime was being replaced under it, across its line.
    const upgradeFrom = at(UPGRADE_START);
    const upgradeTo = at(UPGRADE_DONE);
    if (upgradeFrom !== undefined) {
      const ux = x(upgradeFrom - start);
      const width = Math.max(2, (upgradeTo !== undefined ? x(upgradeTo - start) : ux + 2) - ux);
      const laneEnd = BLOCK_TOP + timeline.events.length * LANE - 4;
      block.ele('rect', { class: 'upgrade', x: String(ux), y: '18', width: String(width), height: String(laneEnd - 18), fill: UPGRADE_COLOR, 'fill-opacity': '0.18', stroke: UPGRADE_COLOR, 'stroke-dasharray': '2 2' });
      block.ele('text', { x: String(ux), y: String(laneEnd + 14), fill: UPGRADE_COLOR, 'font-size': '11' }).txt(`runtime upgrade (${upgradeTo !== undefined ? `${upgradeTo - upgradeFrom} ms` : 'did not finish'})`);
    }
    if (deleteMs !== undefined) {
      const dx = String(x(deleteMs - start));
      block.ele('line', { x1: dx, x2: dx, y1: '20', y2: String(BLOCK_TOP + timeline.events.length * LANE - 4), stroke: '#f28e2b', 'stroke-dasharray': '4 3' });
    }
    timeline.events.forEach((event, lane) => {
      const ly = BLOCK_TOP + lane * LANE + 9;
      const ex = x(event.atMs - start);
      const color = eventColor(event, deleteMs);
      const row = block.ele('g', { class: 'event', 'data-event': xmlSafe(event.name) });
      row.ele('text', { x: String(LABEL_WIDTH - 14), y: String(ly + 4), 'text-anchor': 'end' }).txt(xmlSafe(event.label));
      row.ele('line', { x1: String(LABEL_WIDTH), x2: String(ex), y1: String(ly), y2: String(ly), stroke: '#dddddd' });
      row.ele('circle', { cx: String(ex), cy: String(ly), r: '4', fill: color });
      const since = `${event.atMs - start} ms`;
      const value = deleteMs !== undefined && event.atMs > deleteMs ? `+${event.atMs - deleteMs} ms after delete (${since})` : since;
      row.ele('text', { x: String(ex + 9), y: String(ly + 4), fill: '#333333' }).txt(value);
    });
    y += blockHeight(timeline);
  }
  return svg.end({ prettyPrint: true }) + '\n';
}
