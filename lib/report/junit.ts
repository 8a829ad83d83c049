/**
 * reports/junit.xml from report.json, for CI test views. Built from the report rather than by a
 * second Mocha reporter: Mocha takes one reporter per run, the run is one Mocha run per target
 * (a JUnit reporter would overwrite its file per target), and the report already holds what
 * JUnit should show: hook failures as failed checks, skip reasons, evidence. One <testsuite> per
 * suite and target; one more, "pause-conformance run", fails when the run aborted or leaked, as
 * the exit code does.
 */
import { create } from 'xmlbuilder2';
import type { CheckResult, Report } from './report.ts';
import { xmlSafe } from './xml-safe.ts';

type XMLBuilder = ReturnType<typeof create>;

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

interface Case {
  name: string;
  classname: string;
  timeMs: number;
  status: CheckResult['status'];
  message?: string;
  body?: string;
  out?: string;
}

function caseOf(check: CheckResult, classname: string): Case {
  const evidence = JSON.stringify(check.evidence, null, 2);
  const result: Case = { name: check.title, classname, timeMs: check.durationMs, status: check.status, out: evidence };
  if (check.status === 'failed') {
    result.message = check.error ?? 'failed';
    result.body = `${check.error ?? 'failed'}\n\nevidence:\n${evidence}`;
  }
  if (check.status === 'skipped') result.message = check.skipReason ?? 'skipped';
  return result;
}

function runCases(report: Report): Case[] {
  const { undoFailures, leaks } = report.teardown;
  const teardownProblems = [...undoFailures.map((f) => `undo failed: ${f.label}: ${f.error}`), ...leaks.map((leak) => `leaked: ${leak}`)];
  const completed: Case = { name: 'the run completed', classname: 'pause-conformance run', timeMs: Date.parse(report.finishedAt) - Date.parse(report.startedAt), status: report.aborted ? 'failed' : 'passed' };
  if (report.aborted) {
    completed.message = report.aborted;
    completed.body = report.aborted;
  }
  const teardown: Case = { name: 'teardown left nothing behind', classname: 'pause-conformance run', timeMs: 0, status: teardownProblems.length > 0 ? 'failed' : 'passed' };
  if (teardownProblems.length > 0) {
    teardown.message = `${teardownProblems.length} teardown problem(s)`;
    teardown.body = teardownProblems.join('\n');
  }
  return [completed, teardown];
}

function addSuite(parent: XMLBuilder, name: string, hostname: string, timestamp: string, cases: Case[], properties: Record<string, string>): void {
  const count = (status: CheckResult['status']): number => cases.filter((c) => c.status === status).length;
  const suite = parent.ele('testsuite', {
    name: xmlSafe(name),
    tests: String(cases.length),
    failures: String(count('failed')),
    errors: '0',
    skipped: String(count('skipped')),
    time: seconds(cases.reduce((sum, c) => sum + c.timeMs, 0)),
    timestamp: timestamp.replace(/Z$/, ''),
    hostname: xmlSafe(hostname),
  });
  const props = suite.ele('properties');
  for (const [key, value] of Object.entries(properties)) props.ele('property', { name: key, value: xmlSafe(value) });
  for (const c of cases) {
    const testcase = suite.ele('testcase', { name: xmlSafe(c.name), classname: xmlSafe(c.classname), time: seconds(c.timeMs) });
    if (c.status === 'failed') testcase.ele('failure', { message: xmlSafe(c.message ?? ''), type: 'CheckFailed' }).txt(xmlSafe(c.body ?? ''));
    if (c.status === 'skipped') testcase.ele('skipped', { message: xmlSafe(c.message ?? '') });
    if (c.out) testcase.ele('system-out').txt(xmlSafe(c.out));
  }
}

export function renderJunit(report: Report): string {
  const multiTarget = report.targets.length > 1;
  const allCases: Case[] = [];
  const root = create({ version: '1.0', encoding: 'UTF-8' }).ele('testsuites', { name: `pause-conformance ${report.runId} (${report.provider})` });
  for (const target of report.targets) {
    const info = target.info;
    const properties: Record<string, string> = {
      provider: info.provider,
      runId: report.runId,
      runtime: `${info.runtimeName} ${info.runtimeVersion}`,
      sandboxImage: info.sandboxImage,
      kernel: info.kernel,
    };
    const suites = new Map<string, CheckResult[]>();
    for (const check of target.checks) suites.set(check.suite, [...(suites.get(check.suite) ?? []), check]);
    for (const [suite, checks] of suites) {
      const name = multiTarget ? `${suite} [${info.nodeName}]` : suite;
      const cases = checks.map((check) => caseOf(check, name));
      allCases.push(...cases);
      addSuite(root, name, info.nodeName, checks[0]!.startedAt, cases, properties);
    }
  }
  const cases = runCases(report);
  allCases.push(...cases);
  addSuite(root, 'pause-conformance run', report.targets[0]?.info.nodeName ?? '', report.startedAt, cases, { provider: report.provider, runId: report.runId });
  root.att({
    tests: String(allCases.length),
    failures: String(allCases.filter((c) => c.status === 'failed').length),
    errors: '0',
    skipped: String(allCases.filter((c) => c.status === 'skipped').length),
    time: seconds(Date.parse(report.finishedAt) - Date.parse(report.startedAt)),
  });
  return root.end({ prettyPrint: true }) + '\n';
}
