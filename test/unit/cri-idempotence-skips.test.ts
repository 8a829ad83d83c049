/**
 * Suite 120 (CRI idempotence) runs only where the harness makes the sandbox calls itself. On a
 * target whose pod driver has none it skips every check, each with its reason printed: under a
 * kubelet, that the kubelet owns those calls. Run in a fresh Node, as `run` runs the suites (the
 * runner's own Mocha), on fake targets whose every pod or node action throws: a check that made
 * anything there would fail, not skip.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const probe = `
  import { checkTargets, loadSuites } from './lib/cli/suite-runner.ts';
  import { Interruption } from './lib/cli/interruption.ts';
  import { UndoStack } from './lib/cleanup/undo-stack.ts';
  const files = ['${path.join(REPO, 'suites', '120-cri-idempotence.spec.ts')}'];
  const mocha = await loadSuites(undefined, 0, files);
  // Every action throws; the optional sandboxCalls is absent, as on a kube pod driver.
  const refuse = new Proxy({}, { get: (_, name) => name === 'sandboxCalls' ? undefined : () => { throw new Error('this target makes nothing: ' + String(name)); } });
  const target = (provider, kubelet) => ({
    info: { provider, nodeName: provider + '-node', runtimeName: 'containerd', runtimeVersion: 'fake', runtimeApiVersion: 'v1', sandboxImage: 'pause', kernel: 'fake', details: {} },
    capabilities: { kubelet, containerAttempts: !kubelet, ipamVisible: false, linksVisible: false },
    pods: refuse, node: refuse, controls: {},
  });
  const say = () => undefined;
  const reports = await checkTargets([target('kind', true), target('team', false)], { mocha, files, grep: undefined, fixturesDir: '.', parallel: 1, interruption: new Interruption(new UndoStack(), say), say });
  console.log(JSON.stringify(reports.map((report) => report.checks.map((check) => [check.status, check.skipReason ?? check.error ?? '']))));`;

describe('suite 120 where the harness makes no CRI sandbox calls', function () {
  this.timeout(60_000);

  it('skips every check, saying why: the kubelet owns the calls, or the driver makes none', async function () {
    const result = await execa(process.execPath, ['--input-type=module', '-e', probe], { cwd: REPO, reject: false });
    expect(result.exitCode, result.stderr).to.equal(0);
    const [kubelet, other] = JSON.parse(result.stdout.trim().split('\n').at(-1)!) as [string, string][][];
    expect(kubelet).to.have.length(5);
    for (const [status, reason] of kubelet!) {
      expect(status).to.equal('skipped');
      expect(reason).to.equal('not checked: the kubelet owns the CRI calls on the kind target (the harness makes pods through the Kubernetes API)');
    }
    expect(other).to.have.length(5);
    for (const [status, reason] of other!) expect([status, reason]).to.deep.equal(['skipped', "not checked: the team target's pod driver makes no CRI sandbox calls of its own"]);
  });
});
