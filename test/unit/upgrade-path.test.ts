/**
 * Whether containerd supports an upgrade path, by its RELEASES.md ("Upgrade Path" and the release
 * table at containerd/containerd 301026e5): sequential minors, sequential LTS releases, nothing
 * across a major version promised, no downgrade documented.
 */
import { expect } from 'chai';
import { assessUpgradePath, minorOf } from '../../lib/upgrade/upgrade-path.ts';

describe('containerd upgrade paths (RELEASES.md)', function () {
  it('reads the minor from the forms runtimes and choices name it in', function () {
    expect(minorOf('v1.6.20~ds1')).to.equal('1.6');
    expect(minorOf('2.1.9+unknown')).to.equal('2.1');
    expect(minorOf('containerd@1.7')).to.equal('1.7');
    expect(minorOf('runc')).to.equal(undefined);
  });

  it('sequential minors are supported: 1.6 -> 1.7, 2.0 -> 2.1', function () {
    expect(assessUpgradePath('1.6.20~ds1', '1.7.24~ds1')).to.include({ verdict: 'supported', why: 'sequential minor releases 1.6 -> 1.7 (RELEASES.md "Upgrade Path")' });
    expect(assessUpgradePath('2.0.7', '2.1.9').verdict).to.equal('supported');
  });

  it('sequential LTS releases are supported: 1.7 -> 2.0, 2.0 -> 2.3; 1.7 -> 2.3 skips the LTS 2.0', function () {
    expect(assessUpgradePath('1.7.29', '2.0.1').verdict).to.equal('supported');
    expect(assessUpgradePath('2.0.1', '2.3.0')).to.include({ verdict: 'supported', why: 'sequential LTS releases 2.0 -> 2.3 (RELEASES.md "Upgrade Path")' });
    expect(assessUpgradePath('1.7.29', '2.3.0').verdict).to.equal('not documented');
  });

  it('1.6 -> 2.1 and microk8s 1.34 -> 1.35 (1.7 -> 2.1) are not documented paths, and say the route', function () {
    const jump = assessUpgradePath('1.6.20~ds1', '2.1.9+unknown');
    expect(jump.verdict).to.equal('not documented');
    expect(jump.why).to.contain('the documented route is 1.6 -> 1.7 -> 2.0 -> 2.1');
    expect(jump.why).to.contain('across a major version RELEASES.md gives no compatibility guarantee');
    expect(jump.endOfLife).to.deep.equal({ '1.6': 'August 23, 2025', '2.1': 'July 3, 2026' });
    expect(assessUpgradePath('1.7.29', '2.1.6').why).to.contain('1.7 -> 2.0 -> 2.1');
  });

  it('a rollback is a downgrade no release documents, and names containerd#11720', function () {
    const back = assessUpgradePath('2.1.9+unknown', '1.6.20~ds1');
    expect(back.verdict).to.equal('downgrade');
    expect(back.why).to.contain('containerd/containerd#11720');
  });

  it('the same minor on both sides is the same containerd (an OCI runtime switch)', function () {
    expect(assessUpgradePath('1.6.20~ds1', '1.6.20~ds1').verdict).to.equal('same containerd');
  });
});
