/**
 * The package API from a program (helpers/api-calls.ts): run() refuses bad input by throwing the
 * command line's one-line error; startTargets() brings up an embedded node whose target makes and
 * observes a pod, and stop() tears it all down with nothing left; run() runs a built-in suite
 * and a team's spec folder with the command line's report.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { cliPath, REPO, tempReportDir } from './helpers/cli.ts';
import { changesSince, machineState } from './helpers/machine.ts';
import { residueOf } from './helpers/residue.ts';
import { TEAM_CHECK, teamSpecDir } from './helpers/team-spec.ts';

const SCRIPT = path.join(REPO, 'test', 'integration', 'helpers', 'api-calls.ts');

describe('the package API from a program', function () {
  it('run() throws on bad input; startTargets() starts a node and stop() leaves nothing; run() writes the report', async function () {
    this.timeout(240_000);
    const before = await machineState();
    const reportDir = tempReportDir();
    const result = await execa('node', [SCRIPT, reportDir, teamSpecDir()], { cwd: REPO, env: { PATH: cliPath(), NO_COLOR: '1' }, reject: false, timeout: 200_000 });
    const steps = Object.fromEntries(
      result.stdout
        .split('\n')
        .filter((line) => line.startsWith('API '))
        .map((line) => JSON.parse(line.slice(4)) as { step: string } & Record<string, unknown>)
        .map((step) => [step.step, step]),
    );
    const context = `exit ${result.exitCode}; stderr: ${result.stderr.trim().split('\n').slice(-3).join(' | ')}; stdout: ${result.stdout.trim().split('\n').slice(-5).join(' | ')}`;
    expect(result.exitCode, context).to.equal(0);
    expect(steps['bad input'], context).to.deep.include({ thrown: true, usageError: true });
    expect(steps['bad input']!['message']).to.match(/^--keep is not an option of provider local: it is an option of provider kind\./);
    expect(steps['started'], context).to.deep.include({ targets: 1 });
    expect(steps['started']!['pausePid']).to.be.a('number');
    expect(steps['started']!['ip']).to.match(/^10\.213\.3\./);
    expect(steps['stopped'], context).to.deep.equal({ step: 'stopped', undoFailures: [], leaks: [] });
    expect(await residueOf(steps['started']!['runId'] as string)).to.deep.equal([]);
    expect(steps['run'], context).to.deep.include({ exitCode: 0, summary: { passed: 4, failed: 0, skipped: 0 } });
    expect(steps['run']!['titles']).to.include(TEAM_CHECK.replace('a team check ', ''));
    expect(await changesSince(before), 'left on the machine').to.deep.equal([]);
  });
});
