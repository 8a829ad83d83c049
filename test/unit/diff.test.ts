/**
 * `diff` logic on real reports from the embedded node (fixtures/reports/README.md): a run with
 * the default pause image, one with another pause image (no regression, a new sandbox image) and
 * one with a pause that never reaps (a real regression). Deliberate regressions are also made by
 * editing a copy of the real before report, one change at a time.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from '../../lib/errors.ts';
import { DEFAULT_DIFF_OPTIONS, diffReports } from '../../lib/report/diff.ts';
import { formatDiff } from '../../lib/report/diff-text.ts';
import { checkReport, loadReport } from '../../lib/report/load-report.ts';
import type { Report } from '../../lib/report/report.ts';

const reportFile = (name: string): string => new URL(`../../fixtures/reports/${name}`, import.meta.url).pathname;
const real = (name: string): Report => checkReport(JSON.parse(readFileSync(reportFile(name), 'utf8')));

const ORPHAN = 'an orphaned child that exits is reaped by pause (no zombie left)';
const ENTRYPOINT = "the pause process runs the sandbox image's entrypoint";

function checkNamed(report: Report, title: string): Report['targets'][number]['checks'][number] {
  const check = report.targets[0]!.checks.find((c) => c.title === title);
  if (!check) throw new Error(`fixture report has no check "${title}"`);
  return check;
}

describe('diff of two reports', function () {
  it('a report against itself: nothing changed, no regression', function () {
    const diff = diffReports(real('before-default-pause.json'), real('before-default-pause.json'));
    expect(diff.regressed).to.equal(false);
    expect(diff.targets).to.have.length(1);
    expect(diff.targets[0]!.info).to.deep.equal([]);
    expect(diff.targets[0]!.checks).to.deep.equal([]);
    expect(diff.steps).to.deep.equal([]);
  });

  it('only where the sandbox image was read changed (containerd 1.x status -> 2.x pinned image): no target change, no regression', function () {
    const before = real('before-default-pause.json');
    const after = structuredClone(before);
    const target = after.targets[0]!;
    target.info.sandboxImageSource = "the runtime's one pinned image (crictl images -o json)";
    target.info.details['sandboxImageSource'] = target.info.sandboxImageSource;
    before.targets[0]!.info.sandboxImageSource = 'crictl info: config.sandboxImage';
    const diff = diffReports(before, after);
    expect(diff.regressed).to.equal(false);
    expect(diff.targets[0]!.info).to.deep.equal([]);
    expect(formatDiff(diff, 'before.json', 'after.json')).to.not.match(/REGRESSED|sandboxImage:/);
  });

  it('another sandbox image: image and id change, the pause command in the evidence, no regression', function () {
    const diff = diffReports(real('before-default-pause.json'), real('after-alt-pause.json'));
    expect(diff.regressed).to.equal(false);
    const target = diff.targets[0]!;
    expect(target.info.map((c) => c.path)).to.deep.equal(['sandboxImage', 'sandboxImageId']);
    expect(target.info[0]).to.include({ before: 'localhost/pause-conformance/pause:catatonit', after: 'localhost/pause-conformance/pause:alt' });
    const entrypoint = target.checks.find((c) => c.fullTitle.endsWith(ENTRYPOINT))!;
    expect(entrypoint.change).to.equal('same-status');
    expect(entrypoint.evidence.find((e) => e.path === 'pauseCommand')).to.deep.equal({ path: 'pauseCommand', before: '/pause -P', after: '/sbin/catatonit-pause -P' });
    // Pids, ids and inodes differ between any two runs: they are marked, not shown as findings.
    const perRun = target.checks.flatMap((c) => c.evidence).filter((e) => e.perRun);
    expect(perRun.some((e) => /pausePid$/.test(e.path))).to.equal(true);
    expect(perRun.some((e) => /sandboxId$/.test(e.path))).to.equal(true);
    expect(perRun.every((e) => !/pauseCommand|sandboxImage/.test(e.path))).to.equal(true);
  });

  it('a pause that does not reap: the orphan check regressed, and the text says so', function () {
    const diff = diffReports(real('before-default-pause.json'), real('after-no-reap-pause.json'));
    expect(diff.regressed).to.equal(true);
    expect(diff.regressions).to.have.length(1);
    expect(diff.regressions[0]).to.include({ before: 'passed', after: 'failed' });
    expect(diff.regressions[0]!.fullTitle).to.include(ORPHAN);
    expect(diff.regressions[0]!.reason).to.match(/state Z/);
    const text = formatDiff(diff, 'before.json', 'after.json');
    expect(text).to.match(/REGRESSED .*an orphaned child/);
    expect(text).to.match(/diff: 1 check\(s\) regressed/);
  });

  it('containerd 1.6.20 -> 2.1.9 on the idempotence suite: StopPodSandbox of an unknown id is fixed, nothing regressed; the rollback regresses it', function () {
    const STOP_UNKNOWN = 'StopPodSandbox of a sandbox id that never existed answers OK';
    const diff = diffReports(real('idempotence-containerd-1.6.json'), real('idempotence-containerd-2.1.json'));
    expect(diff.regressed).to.equal(false);
    const target = diff.targets[0]!;
    expect(target.info.find((c) => c.path === 'runtimeVersion')).to.include({ before: '1.6.20~ds1', after: '2.1.9+unknown' });
    expect(target.counts).to.include({ before: 5, after: 5, fixed: 1, regressed: 0 });
    const fixed = target.checks.filter((c) => c.change === 'fixed');
    expect(fixed.map((c) => [c.fullTitle.endsWith(STOP_UNKNOWN), c.before, c.after])).to.deep.equal([[true, 'failed', 'passed']]);
    // What the runtime answered, before and after, is the evidence that changed (not the per-run id).
    expect(fixed[0]!.evidence.filter((e) => !e.perRun).map((e) => [e.path, e.after])).to.deep.equal([['calls[0].code', 'OK'], ['calls[0].message', '']]);
    expect(fixed[0]!.evidence.find((e) => e.path === 'calls[0].code')!.before).to.equal('NOT_FOUND');
    const text = formatDiff(diff, '1.6.json', '2.1.json');
    expect(text).to.match(new RegExp(`^    fixed +CRI idempotence: .*${STOP_UNKNOWN}: failed -> passed$`, 'm'));
    expect(text).to.include('calls[0].code: "NOT_FOUND" -> "OK"');
    expect(text).to.match(/diff: no regression\n$/);

    const rollback = diffReports(real('idempotence-containerd-2.1.json'), real('idempotence-containerd-1.6.json'));
    expect(rollback.regressions.map((r) => [r.fullTitle.endsWith(STOP_UNKNOWN), r.before, r.after])).to.deep.equal([[true, 'passed', 'failed']]);
    expect(rollback.regressions[0]!.reason).to.match(/answered NOT_FOUND: an error occurred when try to find sandbox "[0-9a-f]{64}": not found/);
  });

  it('containerd 1.7.24 answers as 2.1.9 does: the same five checks pass, nothing changed status', function () {
    const diff = diffReports(real('idempotence-containerd-1.7.json'), real('idempotence-containerd-2.1.json'));
    expect(diff.regressed).to.equal(false);
    expect(diff.targets[0]!.counts).to.include({ before: 5, after: 5, fixed: 0, regressed: 0, statusChanged: 0 });
  });

  it('deliberate regressions in a copy of the real report: failed, skipped, missing; and a fix', function () {
    const before = real('before-default-pause.json');
    const failed = structuredClone(before);
    Object.assign(checkNamed(failed, ENTRYPOINT), { status: 'failed', error: 'AssertionError: pause command line' });
    expect(diffReports(before, failed).regressions.map((r) => [r.after, r.reason])).to.deep.equal([['failed', 'AssertionError: pause command line']]);

    const skipped = structuredClone(before);
    Object.assign(checkNamed(skipped, ENTRYPOINT), { status: 'skipped', skipReason: 'no image config' });
    expect(diffReports(before, skipped).regressions.map((r) => r.after)).to.deep.equal(['skipped']);

    const missing = structuredClone(before);
    missing.targets[0]!.checks = missing.targets[0]!.checks.filter((c) => c.title !== ENTRYPOINT);
    const gone = diffReports(before, missing);
    expect(gone.regressed).to.equal(true);
    expect(gone.regressions.map((r) => [r.before, r.after])).to.deep.equal([['passed', null]]);

    const fixed = diffReports(failed, before);
    expect(fixed.regressed).to.equal(false);
    expect(fixed.targets[0]!.counts.fixed).to.equal(1);
  });

  it('a new leak in the after run is a regression even when every check passed', function () {
    const before = real('before-default-pause.json');
    const leaked = structuredClone(before);
    leaked.teardown.leaks = ['netns /var/run/netns/cni-1234 (left by this run)'];
    const diff = diffReports(before, leaked);
    expect(diff.regressions).to.deep.equal([]);
    expect(diff.teardown.newLeaks).to.deep.equal(['netns /var/run/netns/cni-1234 (left by this run)']);
    expect(diff.regressed).to.equal(true);
  });

  it('timings are reported only beyond both thresholds', function () {
    const before = real('before-default-pause.json');
    const slower = structuredClone(before);
    const check = checkNamed(slower, ENTRYPOINT);
    check.durationMs = checkNamed(before, ENTRYPOINT).durationMs + 500;
    const reported = diffReports(before, slower).targets[0]!.checks.find((c) => c.fullTitle.endsWith(ENTRYPOINT))!;
    expect(reported.timings.map((t) => [t.path, t.delta])).to.deep.equal([['durationMs', 500]]);
    expect(diffReports(before, slower, { ...DEFAULT_DIFF_OPTIONS, thresholdMs: 501 }).targets[0]!.checks).to.deep.equal([]);
  });

  it('flags a sandbox image that differs between the nodes of one report', function () {
    const one = real('before-default-pause.json');
    const cluster = structuredClone(one);
    const node = (name: string, image: string): Report['targets'][number] => ({ info: { ...one.targets[0]!.info, nodeName: name, sandboxImage: image }, checks: [] });
    cluster.targets = [node('a', 'registry.k8s.io/pause:3.10'), node('b', 'registry.k8s.io/pause:3.10'), node('c', 'registry.k8s.io/pause:3.9')];
    const diff = diffReports(one, cluster);
    expect(diff.sandboxImageDrift.before.outliers).to.deep.equal([]);
    expect(diff.sandboxImageDrift.after.outliers.map((o) => [o.nodeName, o.differs])).to.deep.equal([['c', 'reference']]);
    expect(formatDiff(diff, 'b.json', 'a.json')).to.include('after: sandbox image differs between nodes: c uses registry.k8s.io/pause:3.9');
  });
});

describe('reading report files for diff', function () {
  let dir: string;
  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pc-diff-'));
  });
  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  const problem = async (name: string, content: string | undefined): Promise<string> => {
    const file = path.join(dir, name);
    if (content !== undefined) await writeFile(file, content);
    try {
      await loadReport(file);
    } catch (error) {
      expect(error).to.be.instanceOf(UsageError);
      return (error as Error).message;
    }
    throw new Error(`${name} was accepted`);
  };

  it('reads the real reports', async function () {
    expect((await loadReport(reportFile('after-alt-pause.json'))).targets[0]!.info.sandboxImage).to.equal('localhost/pause-conformance/pause:alt');
  });

  it('refuses what is not a report, in one line that names the file', async function () {
    const messages = [
      await problem('missing.json', undefined),
      await problem('broken.json', '{"schemaVersion": 1,'),
      await problem('package.json', '{"name": "x"}'),
      await problem('future.json', JSON.stringify({ ...real('before-default-pause.json'), schemaVersion: 2 })),
      await problem('bad-status.json', JSON.stringify((() => { const r = real('before-default-pause.json'); (r.targets[0]!.checks[0] as { status: string }).status = 'ok'; return r; })())),
    ];
    expect(messages[0]).to.match(/missing\.json cannot be read: ENOENT/);
    expect(messages[1]).to.match(/broken\.json is not JSON/);
    expect(messages[2]).to.match(/package\.json is not a pause-conformance report: schemaVersion is undefined/);
    expect(messages[3]).to.match(/schemaVersion is 2, this version reads 1/);
    expect(messages[4]).to.match(/targets\[0\]\.checks\[0\]\.status is not passed, failed or skipped/);
    for (const message of messages) expect(message).to.not.include('\n');
  });
});
