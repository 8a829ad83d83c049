/**
 * The outputs of `pause-conformance upgrade`, rendered from real upgrade reports (fixtures/reports/
 * README.md): report.json is a report `diff` and the loaders accept, summary.md has the witness
 * table before/after with the path's verdict, lifecycle.svg marks the upgrade on each witness's
 * line, and the suites' diff names the runtime facts that changed (version, config version).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { checkReport } from '../../lib/report/load-report.ts';
import { renderSummary } from '../../lib/report/summary-md.ts';
import { renderLifecycleSvg } from '../../lib/report/lifecycle-svg.ts';
import { upgradeOf } from '../../lib/report/upgrade-section.ts';
import type { Report } from '../../lib/report/report.ts';

const real = (name: string): Report => checkReport(JSON.parse(readFileSync(new URL(`../../fixtures/reports/${name}`, import.meta.url), 'utf8')));

describe('the upgrade report', function () {
  const upgrade = real('upgrade-containerd-1.6-to-2.1.json');
  const rollback = real('upgrade-containerd-2.1-to-1.6.json');

  it('is a report with before, upgrade and after parts and an upgrade section', function () {
    for (const report of [upgrade, rollback]) {
      expect(report.targets.map((target) => target.phase)).to.deep.equal(['before', 'upgrade', 'after']);
      expect(upgradeOf(report)?.witnesses.map((row) => row.name)).to.deep.equal(['trio', 'shared-pid', 'host-network', 'restarted']);
    }
    expect(upgradeOf(upgrade)?.path.verdict).to.equal('not documented');
    expect(upgradeOf(rollback)?.path.verdict).to.equal('downgrade');
  });

  it('summary.md: the witnesses before and after, kept or not, and the path containerd supports', function () {
    const kept = renderSummary(upgrade);
    expect(kept).to.contain('## The runtime upgrade');
    expect(kept).to.match(/Upgrade path 1\.6 → 2\.1: \*\*not documented\*\*/);
    expect(kept.match(/^\| (trio|shared-pid|host-network|restarted) \(`[0-9a-f]{12}`\) \| ✅ \|/gm)).to.have.length(4);
    expect(kept).to.contain('## Target `vm` (local), before the upgrade');
    expect(kept).to.contain('## Target `vm` (local), after the upgrade');
    expect(kept).to.match(/\| OCI runtime \| runc 1\.1\.5/);
    expect(kept).to.match(/\| runtime config \| version 3 \|/);
    const lost = renderSummary(rollback);
    expect(lost.match(/^\| (trio|shared-pid|host-network|restarted) \(`[0-9a-f]{12}`\) \| ❌ \|.* \| notready; pause –;/gm)).to.have.length(4);
    expect(lost).to.contain('containerd/containerd#11720');
  });

  it('lifecycle.svg shades the upgrade on each witness\'s line', function () {
    for (const report of [upgrade, rollback]) {
      const svg = renderLifecycleSvg(report);
      expect(svg.match(/<rect class="upgrade"/g) ?? []).to.have.length(4);
      expect(svg.match(/>runtime upgrade \(\d+ ms\)</g) ?? []).to.have.length(4);
    }
  });

  it('the suites\' diff names the runtime facts that changed', function () {
    const changes = upgradeOf(upgrade)?.diff?.targets[0]?.info.map((change) => `${change.path}: ${String(change.before)} -> ${String(change.after)}`);
    expect(changes).to.include('runtimeVersion: 1.6.20~ds1 -> 2.1.9+unknown');
    expect(changes).to.include('runtimeConfigVersion: 2 -> 3');
  });
});
