/**
 * `pause-conformance diff` through the real CLI (bin/pause-conformance.js) on the real reports in
 * fixtures/reports: exit 1 and REGRESSED for the pause that does not reap, exit 0 for another
 * good pause image, --json, and one line + exit 2 for bad input.
 */
import { expect } from 'chai';
import { runCli, type CliResult } from './helpers/cli.ts';

/** Relative to the repository, where the CLI runs. */
const fixture = (name: string): string => `fixtures/reports/${name}`;

const cli = (...args: string[]): Promise<CliResult> => runCli(args);

describe('pause-conformance diff (CLI)', function () {

  it('exits 1 and names the regressed check when the after run has a pause that does not reap', async function () {
    const result = await cli('diff', fixture('before-default-pause.json'), fixture('after-no-reap-pause.json'));
    expect(result.exitCode).to.equal(1);
    expect(result.stdout).to.match(/REGRESSED .*an orphaned child that exits is reaped by pause/);
    expect(result.stdout).to.include('sandboxImage: "localhost/pause-conformance/pause:catatonit" -> "localhost/pause-conformance/pause:no-reap"');
    expect(result.stderr).to.equal('');
  });

  it('exits 0 and prints the sandbox image change for another good pause image', async function () {
    const result = await cli('diff', fixture('before-default-pause.json'), fixture('after-alt-pause.json'));
    expect(result.exitCode).to.equal(0);
    expect(result.stdout).to.include('sandboxImage: "localhost/pause-conformance/pause:catatonit" -> "localhost/pause-conformance/pause:alt"');
    expect(result.stdout).to.include('pauseCommand: "/pause -P" -> "/sbin/catatonit-pause -P"');
    expect(result.stdout).to.match(/diff: no regression$/);
  });

  it('--json prints the whole diff as JSON', async function () {
    const result = await cli('diff', '--json', fixture('before-default-pause.json'), fixture('after-no-reap-pause.json'));
    expect(result.exitCode).to.equal(1);
    const diff = JSON.parse(result.stdout) as { regressed: boolean; regressions: { fullTitle: string }[]; afterFile: string };
    expect(diff.regressed).to.equal(true);
    expect(diff.afterFile).to.equal(fixture('after-no-reap-pause.json'));
    expect(diff.regressions.map((r) => r.fullTitle)).to.have.length(1);
  });

  it('bad input is one line on stderr and exit 2', async function () {
    for (const args of [
      ['diff', fixture('before-default-pause.json')],
      ['diff', fixture('before-default-pause.json'), 'package.json'],
      ['diff', fixture('before-default-pause.json'), fixture('after-alt-pause.json'), '--threshold-ms', 'fast'],
      ['diff', '--bogus', 'a', 'b'],
    ]) {
      const result = await cli(...args);
      expect(result.exitCode, args.join(' ')).to.equal(2);
      expect(result.stderr.trim().split('\n'), args.join(' ')).to.have.length(1);
      expect(result.stderr).to.match(/^pause-conformance: /);
      expect(result.stdout).to.equal('');
    }
  });
});
