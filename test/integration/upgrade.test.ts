/**
 * `pause-conformance upgrade` on the embedded node, through the real CLI, with the outcome each
 * path really has asserted (research containerd-2.1 FINDINGS.md §6):
 * - containerd 1.6 -> 2.1 keeps every witness (same pause, netns, IP, pids; exec; a new
 *   container attempt; the breakage step; a full teardown by 2.1); the run still exits 1, because
 *   2.1 leaks the shim of the after part's pause-dies sandbox (containerd/containerd#10421): the
 *   pause-dies delete check, passed before on 1.6, fails after on 2.1 naming that shim (the one
 *   regression), and the leak check names it too.
 * - the rollback 2.1 -> 1.6 keeps none: 1.6 cannot talk to 2.1's v3 shims, so pause and the
 *   containers are gone, and 2.1's shims stay orphaned after 1.6 removed the sandboxes; the
 *   checks fail with exactly that evidence, the run ends every orphaned shim and names it.
 * - runc -> crun on containerd 1.6: the old sandboxes keep running under runc, new pods run under
 *   crun (through the cgroup wrapper this machine needs).
 * - containerd 1.6.20's NOT_FOUND to StopPodSandbox of an unknown id (suite 120, containerd#10520):
 *   "fixed" in the 1.6 -> 2.1 diff, a regression of the rollback, failing alike before and after
 *   runc -> crun (the same containerd: no regression).
 * One report either way, and nothing of any of them left on the machine.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadReport } from '../../lib/report/load-report.ts';
import { cgroupHybridWithControllers } from '../../lib/runtime/oci-runtime.ts';
import type { CheckResult } from '../../lib/report/report.ts';
import type { UpgradeReport } from '../../lib/report/upgrade-section.ts';
import { runCli, tempReportDir, type CliResult } from './helpers/cli.ts';
import { residueOf } from './helpers/residue.ts';

const SHIM_LEFT = /^shim pid (\d+) of sandbox ([0-9a-f]{64}) \(namespace k8s\.io, socket \/run\/containerd\/s\/[0-9a-f]{64}, (\S+)\): left running after its sandbox was removed and containerd stopped; ended by the clean-up \(SIGTERM\)$/;
const SHIM_21 = /\/runtimes\/containerd-2\.1\.[^/]+\/usr\/bin\/containerd-shim-runc-v2$/;
/** containerd 1.6.20's NOT_FOUND to StopPodSandbox of an unknown id (suite 120; containerd#10520, fixed in 2.0.0). */
const STOP_UNKNOWN = /^CRI idempotence: .* StopPodSandbox of a sandbox id that never existed answers OK$/;

interface Outcome {
  result: CliResult;
  report: UpgradeReport;
  dir: string;
  upgradeChecks: CheckResult[];
}

async function upgrade(args: string[]): Promise<Outcome> {
  const dir = tempReportDir();
  const result = await runCli(['upgrade', ...args, '--report-dir', dir]);
  const report = JSON.parse(await readFile(path.join(dir, 'report.json'), 'utf8')) as UpgradeReport;
  const upgradeChecks = report.targets.find((target) => target.phase === 'upgrade')?.checks ?? [];
  return { result, report, dir, upgradeChecks };
}

async function expectOneReport(outcome: Outcome): Promise<void> {
  expect(outcome.report.targets.map((target) => target.phase)).to.deep.equal(['before', 'upgrade', 'after']);
  const summary = await readFile(path.join(outcome.dir, 'summary.md'), 'utf8');
  expect(summary).to.contain('## The runtime upgrade');
  expect(summary).to.match(/\| Witness \| Kept \| Before \| After \|/);
  for (const row of outcome.report.upgrade.witnesses) expect(summary).to.contain(`| ${row.name} (\`${row.sandboxId.slice(0, 12)}\`) |`);
  const svg = await readFile(path.join(outcome.dir, 'lifecycle.svg'), 'utf8');
  expect(svg.match(/<rect class="upgrade"/g) ?? [], 'the upgrade marked on each witness line').to.have.length(4);
  // before.json and after.json are reports `pause-conformance diff` reads.
  await loadReport(path.join(outcome.dir, 'before.json'));
  await loadReport(path.join(outcome.dir, 'after.json'));
  expect(outcome.result.stdout).to.match(/^conformance: \d+ passed, \d+ failed/m);
  expect(await residueOf(outcome.report.runId), 'residue after the run').to.deep.equal([]);
}

describe('pause-conformance upgrade on the embedded node', function () {
  this.timeout(20 * 60_000);

  it('containerd 1.6 -> 2.1 keeps every witness; the exit is 1 only for the shim 2.1 leaks after a pause dies, a regression of the pause-dies delete check', async function () {
    const outcome = await upgrade(['--from', 'containerd@1.6', '--to', 'containerd@2.1']);
    const { report, upgradeChecks } = outcome;
    const failed = upgradeChecks.filter((check) => check.status === 'failed').map((check) => `${check.title}: ${check.error}`);
    expect(failed, 'failed upgrade checks').to.deep.equal([]);
    // the switch, 4 witnesses kept, a new attempt, the breakage step, 4 teardowns
    expect(upgradeChecks.filter((check) => check.status === 'passed')).to.have.length(11);
    expect(report.upgrade.witnesses.map((row) => [row.name, row.kept])).to.deep.equal([['trio', true], ['shared-pid', true], ['host-network', true], ['restarted', true]]);
    for (const row of report.upgrade.witnesses) {
      expect(row.after?.pausePid, `${row.name} pause pid`).to.equal(row.before.pausePid);
      expect(row.after?.ip, `${row.name} IP`).to.equal(row.before.ip);
      expect(row.after?.netns, `${row.name} netns`).to.equal(row.before.netns);
      expect(row.after?.containerPids, `${row.name} container pids`).to.deep.equal(row.before.containerPids);
    }
    expect(report.upgrade.path.verdict).to.equal('not documented');
    expect(report.upgrade.runtimeBefore).to.match(/^containerd@1\.6 \(containerd 1\.6\.\S+, config version 2\), runc 1\.1\.5\S*$/);
    expect(report.upgrade.runtimeAfter).to.match(/^containerd@2\.1 \(containerd 2\.1\.\S+, config version 3\), runc 1\.1\.5\S*$/);
    const regressions = report.upgrade.diff?.regressions ?? [];
    expect(regressions.map((r) => [r.fullTitle, r.before, r.after]), 'regressions').to.deep.equal([
      ['the pause process dies the pod with a dead pause still deletes cleanly: no pause, app process, netns, veth, IP or runtime shim left', 'passed', 'failed'],
    ]);
    expect(report.upgrade.diff?.targets[0]?.info.map((change) => change.path)).to.include.members(['runtimeVersion', 'runtimeConfigVersion']);
    // The upgrade fixes 1.6.20's StopPodSandbox NOT_FOUND, and the diff says so.
    const fixed = report.upgrade.diff?.targets[0]?.checks.filter((check) => check.change === 'fixed').map((check) => check.fullTitle) ?? [];
    expect(fixed.filter((title) => STOP_UNKNOWN.test(title)), `fixed: ${fixed.join(' || ')}`).to.have.length(1);
    expect(report.teardown.leaks, 'leaks').to.have.length(1);
    const leak = SHIM_LEFT.exec(report.teardown.leaks[0]!);
    expect(leak?.[3], 'the leaked shim is 2.1\'s').to.match(SHIM_21);
    const after = report.targets.find((target) => target.phase === 'after')!;
    expect(after.checks.filter((check) => check.suite === 'the pause process dies').some((check) => JSON.stringify(check.evidence).includes(leak![2]!)), 'the leak is the after part\'s pause-dies sandbox').to.equal(true);
    const deleteCheck = after.checks.find((check) => check.title.startsWith('the pod with a dead pause still deletes cleanly'))!;
    expect(deleteCheck.error, 'the after part\'s delete check names the leaked shim').to.match(new RegExp(`^at step 'wait until each thing is gone from the node': shimGone: shim pid ${leak![1]} of sandbox ${leak![2]} `));
    expect(report.upgrade.verdict).to.deep.include({ upgradeChecksFailed: 0, regressions: 1, leaks: 1, exitCode: 1 });
    expect(outcome.result.exitCode).to.equal(1);
    await expectOneReport(outcome);
  });

  it('the rollback containerd 2.1 -> 1.6 keeps no witness: failed checks show the dead pods and 2.1\'s orphaned shims, which the run ends and names', async function () {
    const outcome = await upgrade(['--from', 'containerd@2.1', '--to', 'containerd@1.6']);
    const { report, upgradeChecks } = outcome;
    expect(report.upgrade.path.verdict).to.equal('downgrade');
    expect(report.upgrade.path.why).to.contain('containerd/containerd#11720');
    expect(upgradeChecks[0]!.status, `the switch itself: ${upgradeChecks[0]!.error ?? ''}`).to.equal('passed');
    const kept = upgradeChecks.filter((check) => /^witness \S+ .* is kept by the new runtime/.test(check.title));
    expect(kept).to.have.length(4);
    for (const check of kept) {
      expect(check.status).to.equal('failed');
      expect(check.error).to.match(/is notready, not READY/);
      expect(check.error).to.match(/pause \d+ is not alive/);
    }
    const teardowns = upgradeChecks.filter((check) => check.title.startsWith('stop + remove of witness'));
    const witnessSandboxes = report.upgrade.witnesses.map((row) => row.sandboxId);
    for (const check of teardowns) {
      expect(check.status).to.equal('failed');
      expect(check.error).to.match(/^shim pid \d+ \(\S+containerd-2\.1\.\S+containerd-shim-runc-v2\) of sandbox [0-9a-f]{64} still running \d+ s after the delete$/);
    }
    const leaked = report.teardown.leaks.map((line) => SHIM_LEFT.exec(line)).filter((match) => match !== null);
    expect(leaked, `every leak is a named shim: ${report.teardown.leaks.join(' || ')}`).to.have.length(report.teardown.leaks.length);
    for (const sandbox of witnessSandboxes) expect(leaked.some((match) => match[2] === sandbox && SHIM_21.test(match[3]!)), `2.1's orphaned shim of witness sandbox ${sandbox} named`).to.equal(true);
    // Beside the four orphans: the before part (on 2.1) leaks its pause-dies shim too.
    expect(leaked).to.have.length(5);
    // Back on 1.6.20, StopPodSandbox of an unknown id answers NOT_FOUND again: a regression the diff names.
    const regressed = report.upgrade.diff?.regressions.map((row) => row.fullTitle) ?? [];
    expect(regressed.filter((title) => STOP_UNKNOWN.test(title)), `regressions: ${regressed.join(' || ')}`).to.have.length(1);
    expect(outcome.result.exitCode).to.equal(1);
    await expectOneReport(outcome);
  });

  it('runc -> crun on containerd 1.6 keeps every witness under runc, and the suites after run under crun (through the cgroup wrapper, named in the report)', async function () {
    const outcome = await upgrade(['--runtime', 'containerd@1.6', '--from', 'runc', '--to', 'crun']);
    const { report, upgradeChecks } = outcome;
    const failed = upgradeChecks.filter((check) => check.status === 'failed').map((check) => `${check.title}: ${check.error}`);
    expect(failed, 'failed upgrade checks').to.deep.equal([]);
    expect(report.upgrade.witnesses.every((row) => row.kept)).to.equal(true);
    expect(report.upgrade.path.verdict).to.equal('same containerd');
    expect(report.upgrade.runtimeBefore).to.match(/, runc 1\.1\.5\S*$/);
    expect(report.upgrade.runtimeAfter).to.match(/, crun 1\.8\.1$/);
    const after = report.targets.find((target) => target.phase === 'after')!;
    expect(after.info.ociRuntime).to.match(/^crun 1\.8\.1 \(Debian package crun /);
    if (await cgroupHybridWithControllers()) {
      expect(after.info.details['ociRuntimeAdaptation'] ?? '', 'the wrapper this machine needs, named').to.match(/crun runs through \S+\/bin\/crun-hide-unified-cgroup: a private mount namespace hides \/sys\/fs\/cgroup\/unified/);
    } else {
      expect(after.info.details['ociRuntimeAdaptation'], 'no wrapper where the cgroup layout needs none').to.equal(undefined);
    }
    // Both parts run containerd 1.6.20, whose StopPodSandbox NOT_FOUND fails that one check before
    // and after alike: the same status, not a regression of the upgrade, so the exit stays 0.
    for (const part of ['before', 'after'] as const) {
      const failed = report.targets.find((target) => target.phase === part)!.checks.filter((check) => check.status === 'failed').map((check) => check.fullTitle);
      expect(failed.length, `suites ${part}: ${failed.join(' || ')}`).to.equal(1);
      expect(failed[0], `suites ${part}`).to.match(STOP_UNKNOWN);
    }
    expect(report.upgrade.diff?.regressions, 'regressions').to.deep.equal([]);
    expect(report.teardown.leaks).to.deep.equal([]);
    expect(outcome.result.exitCode).to.equal(0);
    await expectOneReport(outcome);
  });
});
