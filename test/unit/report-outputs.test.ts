/**
 * junit.xml, summary.md and lifecycle.svg derived from a real report.json (recorded: an embedded
 * node run with a pause image that does not reap zombies, so one check really failed and one was
 * really skipped). Each output is read back with an XML parser, not matched as text, where it is XML.
 */
import { expect } from 'chai';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeDerivedReports } from '../../lib/report/outputs.ts';
import type { Report } from '../../lib/report/report.ts';

const RECORDED = new URL('../../fixtures/recorded/report-local-bad-pause.json', import.meta.url);

async function recordedReport(): Promise<Report> {
  return JSON.parse(await readFile(RECORDED, 'utf8')) as Report;
}

const ARRAYS = new Set(['testsuite', 'testcase', 'property', 'g', 'text', 'rect', 'line', 'circle']);
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '', isArray: (name) => ARRAYS.has(name) });

interface JunitCase {
  name: string;
  classname: string;
  failure?: { message: string; '#text'?: string };
  skipped?: { message: string } | '';
}
interface JunitSuite {
  name: string;
  tests: string;
  failures: string;
  skipped: string;
  testcase: JunitCase[];
}
interface Junit {
  testsuites: { tests: string; failures: string; skipped: string; testsuite: JunitSuite[] };
}

function parseXml<T>(xml: string): T {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new Error(`not well-formed XML: ${JSON.stringify(valid.err)}`);
  return parser.parse(xml) as T;
}

describe('derived reports (junit.xml, summary.md, lifecycle.svg)', function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pc-outputs-'));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the three files next to report.json and returns them', async function () {
    const written = await writeDerivedReports(await recordedReport(), dir, {});
    expect(written.map((file) => path.basename(file))).to.deep.equal(['junit.xml', 'summary.md', 'lifecycle.svg']);
  });

  it('junit.xml reads back with the checks counted as the report counts them, plus the run itself', async function () {
    const report = await recordedReport();
    await writeDerivedReports(report, dir, {});
    const junit = parseXml<Junit>(await readFile(path.join(dir, 'junit.xml'), 'utf8')).testsuites;
    const cases = junit.testsuite.flatMap((suite) => suite.testcase);
    const checks = report.targets.flatMap((t) => t.checks);
    // Every check, plus "the run completed" and "teardown left nothing behind".
    expect(cases).to.have.length(checks.length + 2);
    expect(junit.tests).to.equal(String(checks.length + 2));
    expect(junit.failures).to.equal('1');
    expect(junit.skipped).to.equal('1');
    expect(cases.filter((c) => c.failure !== undefined)).to.have.length(1);
    expect(cases.filter((c) => c.skipped !== undefined)).to.have.length(1);
    for (const suite of junit.testsuite) {
      expect(suite.tests, suite.name).to.equal(String(suite.testcase.length));
      expect(suite.failures, suite.name).to.equal(String(suite.testcase.filter((c) => c.failure !== undefined).length));
      expect(suite.skipped, suite.name).to.equal(String(suite.testcase.filter((c) => c.skipped !== undefined).length));
    }
    const failed = cases.find((c) => c.failure !== undefined)!;
    const check = checks.find((c) => c.status === 'failed')!;
    expect(failed.name).to.equal(check.title);
    expect(failed.classname).to.equal(check.suite);
    expect(failed.failure!.message).to.equal(check.error);
    // The failure body carries the evidence, so a CI test view explains the failure alone.
    expect(failed.failure!['#text']).to.include('"lifeSeconds": 3');
  });

  it('junit.xml fails the run case on leaks and an aborted run, and stays well-formed with control characters', async function () {
    const report = await recordedReport();
    report.teardown.leaks = ['process 4242: /pause'];
    report.aborted = 'interrupted by SIGINT';
    report.targets[0]!.checks.find((c) => c.status === 'failed')!.error = '\u001b[31mexpected 1 to equal 2\u001b[39m';
    await writeDerivedReports(report, dir, {});
    const junit = parseXml<Junit>(await readFile(path.join(dir, 'junit.xml'), 'utf8')).testsuites;
    const run = junit.testsuite.find((s) => s.name === 'pause-conformance run')!;
    expect(run.testcase.map((c) => [c.name, c.failure?.message])).to.deep.equal([
      ['the run completed', 'interrupted by SIGINT'],
      ['teardown left nothing behind', '1 teardown problem(s)'],
    ]);
    expect(junit.failures).to.equal('3');
    const failure = junit.testsuite.flatMap((s) => s.testcase).find((c) => c.failure?.message.includes('expected 1'));
    expect(failure?.failure?.message).to.equal('[31mexpected 1 to equal 2[39m');
  });

  it('summary.md holds the target, the per-suite table, the failure with its evidence, the skip reason and teardown', async function () {
    const report = await recordedReport();
    await writeDerivedReports(report, dir, {});
    const summary = await readFile(path.join(dir, 'summary.md'), 'utf8');
    const failed = report.targets[0]!.checks.find((c) => c.status === 'failed')!;
    const skipped = report.targets[0]!.checks.find((c) => c.status === 'skipped')!;
    expect(summary.split('\n')[0]).to.equal('# ❌ pause-conformance: 24 passed, 1 failed, 1 skipped');
    await writeDerivedReports({ ...report, aborted: 'interrupted by SIGINT' }, dir, {});
    expect((await readFile(path.join(dir, 'summary.md'), 'utf8')).split('\n')[0], 'an interrupted run').to.equal('# ❌ pause-conformance: interrupted by SIGINT: 24 passed, 1 failed, 1 skipped');
    expect(summary).to.include(`| sandbox image | \`${report.targets[0]!.info.sandboxImage}\``);
    expect(summary).to.include('| Suite | Passed | Failed | Skipped | Time in checks |');
    expect(summary).to.match(new RegExp(`^\\| ❌ ${failed.suite.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\| 3 \\| \\*\\*1\\*\\* \\| 0 \\|`, 'm'));
    const failures = summary.slice(summary.indexOf('### Failed checks'), summary.indexOf('### Skipped checks'));
    expect(failures).to.include(`#### ❌ ${failed.suite} › ${failed.title}`);
    expect(failures).to.include(failed.error!);
    expect(failures).to.include('"lifeSeconds": 3');
    expect(summary).to.include(`- ${skipped.suite} › ${skipped.title}: ${skipped.skipReason}`);
    expect(summary).to.include('## Teardown');
  });

  it('appends summary.md to $GITHUB_STEP_SUMMARY when it is set, keeping what was there', async function () {
    const stepSummary = path.join(dir, 'step-summary.md');
    await writeFile(stepSummary, '# earlier step\n');
    await writeDerivedReports(await recordedReport(), path.join(dir, 'reports'), { GITHUB_STEP_SUMMARY: stepSummary });
    const appended = await readFile(stepSummary, 'utf8');
    expect(appended.startsWith('# earlier step\n# ❌ pause-conformance')).to.equal(true);
    expect(appended).to.include(await readFile(path.join(dir, 'reports', 'summary.md'), 'utf8'));
  });

  it('lifecycle.svg is well-formed SVG with one row per pod timeline and one lane per event', async function () {
    const report = await recordedReport();
    // A second node with the same pod, as a cluster run has one target per node.
    const second = structuredClone(report.targets[0]!);
    second.info.nodeName = 'worker-2';
    report.targets.push(second);
    await writeDerivedReports(report, dir, {});
    const svg = parseXml<{ svg: { g: { class: string; 'data-pod'?: string; g?: { class: string; 'data-event': string }[] }[] } }>(await readFile(path.join(dir, 'lifecycle.svg'), 'utf8')).svg;
    const pods = svg.g.filter((g) => g.class === 'pod');
    expect(pods).to.have.length(2);
    const recorded = report.targets[0]!.checks.find((c) => c.evidence['timeline'])!.evidence['timeline'] as { pod: string; events: Record<string, string> };
    expect(pods[0]!['data-pod']).to.equal(recorded.pod);
    expect(pods[0]!.g!.map((e) => e['data-event']).sort()).to.deep.equal(Object.keys(recorded.events).sort());
  });

  it('lifecycle.svg says so when no check recorded a timeline', async function () {
    const report = await recordedReport();
    for (const check of report.targets[0]!.checks) delete check.evidence['timeline'];
    await writeDerivedReports(report, dir, {});
    const xml = await readFile(path.join(dir, 'lifecycle.svg'), 'utf8');
    const svg = parseXml<{ svg: { g: { class: string }[] } }>(xml).svg;
    expect(svg.g.filter((g) => g.class === 'pod')).to.have.length(0);
    expect(xml).to.include('No check recorded a pod timeline');
  });
});
