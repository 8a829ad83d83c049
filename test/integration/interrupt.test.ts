/**
 * Interrupted runs clean up. Real runs of the embedded node get SIGINT or SIGTERM at several
 * points (while the node starts, while a pod is half made, during a check, during teardown);
 * afterwards nothing of the run may be left: no containerd, shim or pause process, no mount
 * (overlay rootfs, shm, netns bind mount: all live under the run directory), no veth or bridge,
 * no CNI cache file, no cgroup, no run directory (which holds the IPAM store). The finder is the
 * harness's own (lib/runtime/run-residue.ts), the same one its leak check and stale-run cleanup use.
 * Each signal is sent the moment a line is printed, never after a sleep.
 */
import { expect } from 'chai';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startCli, tempReportDir } from './helpers/cli.ts';
import { removeRun, residueOf } from './helpers/residue.ts';

interface Point {
  name: string;
  signal: NodeJS.Signals;
  /** The signal goes out when this line is printed. */
  after: RegExp;
  /** One suite is enough to reach the point; it keeps each run to a few seconds. */
  suite: string;
}

const NETWORK = 'pause holds the pod IP and network namespace';
const IPC = 'pause holds the IPC and UTS namespaces';
const EXITS = 'the sandbox survives app-container exits';

const POINTS: Point[] = [
  { name: 'while the node starts (images being built)', signal: 'SIGINT', after: /^ {2}✓ run directory /, suite: IPC },
  { name: 'while containerd starts', signal: 'SIGTERM', after: /^ {2}✓ containerd \(config version \d\) and CNI configuration/, suite: IPC },
  { name: 'while a pod is half made (suite before hook)', signal: 'SIGINT', after: new RegExp(`^ {2}${NETWORK}$`), suite: NETWORK },
  { name: 'while a pod is half made (another suite)', signal: 'SIGTERM', after: new RegExp(`^ {2}${EXITS}$`), suite: EXITS },
  { name: 'during a check', signal: 'SIGINT', after: /✔ every container shares the ipc and uts namespaces/, suite: IPC },
  { name: 'during a check', signal: 'SIGTERM', after: /✔ containers exit 0, exit non-zero and die by SIGKILL/, suite: EXITS },
  { name: 'during teardown', signal: 'SIGTERM', after: /^teardown$/, suite: IPC },
  { name: 'during teardown', signal: 'SIGINT', after: /^teardown$/, suite: IPC },
];

const NO_STACK = /^\s+at .+:\d+:\d+\)?$/m;

describe('interrupted runs leave nothing behind', function () {
  this.timeout(90_000);

  for (const point of POINTS) {
    it(`${point.signal} ${point.name}: exit 130, nothing of the run left`, async function () {
      const reportDir = tempReportDir();
      const run = startCli(['run', '--provider', 'local', '--report-dir', reportDir, '--grep', point.suite]);
      const runId = await run.runId();
      await run.waitForLine(point.after);
      run.signal(point.signal);
      const result = await run.result;
      const left = await residueOf(runId);
      const context = `run ${runId}; stdout tail: ${run.lines.slice(-6).join(' | ')}; stderr: ${result.stderr.trim()}`;
      expect(result.exitCode, `exit code (${context})`).to.equal(130);
      expect(result.stdout, context).to.include(`${point.signal}: stopping the run and cleaning up`);
      expect(result.stdout, context).to.include('✓ leak check: nothing of this run is left');
      expect(result.stderr, 'stderr').to.not.match(NO_STACK);
      expect(left, `residue of run ${runId}`).to.deep.equal([]);
      const report = JSON.parse(await readFile(path.join(reportDir, 'report.json'), 'utf8')) as { runId: string; aborted?: string };
      expect(report.runId).to.equal(runId);
      expect(report.aborted).to.equal(`interrupted by ${point.signal}`);
      // The closing lines say so: an interrupted run must not read like a green one.
      expect(run.lines.findLast((line) => line.startsWith('conformance: ')), context).to.match(new RegExp(`^conformance: interrupted by ${point.signal}: \\d+ passed, \\d+ failed`));
      const summary = await readFile(path.join(reportDir, 'summary.md'), 'utf8');
      expect(summary.split('\n')[0]).to.match(new RegExp(`^# ❌ pause-conformance: interrupted by ${point.signal}: \\d+ passed, \\d+ failed, \\d+ skipped`));
    });
  }

  describe('a second SIGINT exits at once and names what it leaves', function () {
    let runId: string | undefined;

    after(async function () {
      // The forced exit left the run's things on purpose; remove them so the machine stays clean.
      if (!runId) return;
      await removeRun(runId);
      expect(await residueOf(runId), `residue of run ${runId} after removal`).to.deep.equal([]);
    });

    it('prints what is still registered for cleanup, and that is what is left', async function () {
      const run = startCli(['run', '--provider', 'local', '--report-dir', tempReportDir(), '--grep', NETWORK]);
      runId = await run.runId();
      await run.waitForLine(/✔ every container shares the net namespace of the pause process/);
      run.signal('SIGINT');
      await run.waitForLine(/^SIGINT: stopping the run/);
      run.signal('SIGINT');
      const result = await run.result;
      expect(result.exitCode, `exit code; stdout tail: ${run.lines.slice(-4).join(' | ')}`).to.equal(130);
      const line = run.lines.find((l) => l.startsWith('second SIGINT: exiting now; still registered for cleanup: '));
      expect(line, 'the second-SIGINT line').to.be.a('string');
      // What it names is what is there: the node was still up, so its containerd and run directory are left.
      expect(line).to.include('stop private containerd');
      expect(line).to.include(`embedded node residue (/var/lib/pause-conformance/runs/${runId})`);
      const left = await residueOf(runId);
      expect(left, 'residue right after the forced exit').to.include('run directory');
      expect(left.some((entry) => entry.includes(`containerd --config /var/lib/pause-conformance/runs/${runId}/config.toml`)), `containerd still running: ${left.join('; ')}`).to.equal(true);
    });
  });
});
