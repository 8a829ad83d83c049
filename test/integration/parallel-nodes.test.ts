/**
 * --parallel: two nodes' suites run at the same time in one process, each against its own node,
 * with the report grouped per node. Two real embedded nodes play the nodes (helpers/two-node-run.ts).
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Report } from '../../lib/report/report.ts';
import { cliPath, REPO } from './helpers/cli.ts';
import { tempReportDir } from './helpers/cli.ts';
import { teamSpecDir } from './helpers/team-spec.ts';

const SCRIPT = path.join(REPO, 'test', 'integration', 'helpers', 'two-node-run.ts');
const GREP = 'pod IP and network namespace|IPC and UTS';

function span(report: Report, node: string): { start: number; end: number } {
  const checks = report.targets.find((t) => t.info.nodeName === node)!.checks;
  const starts = checks.map((c) => Date.parse(c.startedAt));
  return { start: Math.min(...starts), end: Math.max(...checks.map((c, i) => starts[i]! + c.durationMs)) };
}

describe('--parallel runs the nodes at the same time', function () {
  it('two nodes, --parallel 2: every check passes on each, their runs overlap, lines name their node', async function () {
    const reportDir = tempReportDir();
    const result = await execa('node', [SCRIPT, reportDir, '2', GREP], { cwd: REPO, env: { PATH: cliPath(), NO_COLOR: '1' }, reject: false, timeout: 180_000 });
    const output = result.stdout.replace(/\x1b\[[0-9;]*m/g, '');
    expect(result.exitCode, output.split('\n').slice(-15).join('\n')).to.equal(0);
    const report = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8')) as Report;
    expect(report.targets.map((t) => t.info.nodeName)).to.deep.equal(['node-a', 'node-b']);
    for (const target of report.targets) {
      expect(target.checks.length, target.info.nodeName).to.equal(6);
      expect(target.checks.every((c) => c.status === 'passed'), target.info.nodeName).to.equal(true);
    }
    // Each node's own pods: the pod IPs come from that node's subnet.
    const podIp = (node: string): unknown => report.targets.find((t) => t.info.nodeName === node)!.checks.find((c) => 'podIp' in c.evidence)?.evidence['podIp'];
    expect(podIp('node-a')).to.match(/^10\.213\.1\./);
    expect(podIp('node-b')).to.match(/^10\.213\.2\./);
    const a = span(report, 'node-a');
    const b = span(report, 'node-b');
    expect(a.start < b.end && b.start < a.end, `runs overlap: node-a ${JSON.stringify(a)}, node-b ${JSON.stringify(b)}`).to.equal(true);
    expect(output).to.match(/^\[node-a\] +✔ every container shares the net namespace/m);
    expect(output).to.match(/^\[node-b\] +✔ every container shares the net namespace/m);
    expect(report.teardown.leaks).to.deep.equal([]);
  });

  it('two nodes, --parallel 1: one after the other, same results', async function () {
    const reportDir = tempReportDir();
    const result = await execa('node', [SCRIPT, reportDir, '1', GREP], { cwd: REPO, env: { PATH: cliPath(), NO_COLOR: '1' }, reject: false, timeout: 180_000 });
    expect(result.exitCode, result.stdout.split('\n').slice(-15).join('\n')).to.equal(0);
    const report = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8')) as Report;
    const a = span(report, 'node-a');
    const b = span(report, 'node-b');
    expect(a.end <= b.start, `node-b starts after node-a ends: ${JSON.stringify(a)}, ${JSON.stringify(b)}`).to.equal(true);
    expect(report.targets.flatMap((t) => t.checks).every((c) => c.status === 'passed')).to.equal(true);
  });

  it('two nodes, --parallel 2, --suites: a team\'s spec runs on each node, each instance seeing its own target', async function () {
    const reportDir = tempReportDir();
    const result = await execa('node', [SCRIPT, reportDir, '2', 'IPC and UTS|team check', teamSpecDir()], { cwd: REPO, env: { PATH: cliPath(), NO_COLOR: '1' }, reject: false, timeout: 180_000 });
    expect(result.exitCode, result.stdout.split('\n').slice(-15).join('\n')).to.equal(0);
    const report = JSON.parse(readFileSync(path.join(reportDir, 'report.json'), 'utf8')) as Report;
    const teamChecks = report.targets.map((t) => t.checks.find((c) => c.suite === 'a team check'));
    expect(teamChecks.map((c) => c?.status)).to.deep.equal(['passed', 'passed']);
    expect(teamChecks.map((c) => c?.evidence['node'])).to.deep.equal(['node-a', 'node-b']);
  });
});
