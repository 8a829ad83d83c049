/**
 * The cri provider's leak check names a runtime shim still serving one of the run's sandboxes.
 * A containerd 2.1.9 of the test's own (an embedded node with its own run id, from the verified
 * runtime cache) plays the user's runtime; the CLI runs the pause-dies suite on it with --provider
 * cri. 2.1.9 keeps the killed sandbox's shim alive after RemovePodSandbox (containerd#10421), so
 * the delete check fails naming it, and the leak check names the same pid ("on this machine"). The
 * test's own clean-up then removes the shim with the rest of its containerd: nothing is left.
 */
import { expect } from 'chai';
import { readFile, readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import type { Report } from '../../lib/report/report.ts';
import { startEmbeddedNode, type EmbeddedNode } from '../../lib/runtime/embedded-node.ts';
import { APP_IMAGE } from '../../lib/runtime/local-images.ts';
import { newRunId } from '../../lib/runtime/run-dir.ts';
import { runLayout } from '../../lib/runtime/run-layout.ts';
import { containerdBinaries, DEFAULT_RUNTIME_CACHE } from '../../lib/runtime/runtime-cache.ts';
import { DEFAULT_DEBIAN_MIRROR } from '../../lib/runtime/debian-archive.ts';
import { CONTAINERD_RELEASES } from '../../lib/runtime/runtime-versions.ts';
import { runCli, tempReportDir, type CliResult } from './helpers/cli.ts';
import { residueOf } from './helpers/residue.ts';

describe('the cri provider: a shim the runtime leaves is a failed check and a leak', function () {
  this.timeout(180_000);

  const undo = new UndoStack();
  const usersRunId = newRunId();
  let node: EmbeddedNode;
  let result: CliResult;
  let report: Report;

  before(async function () {
    const layout = runLayout(usersRunId);
    const release = CONTAINERD_RELEASES['containerd@2.1'];
    const binaries = await containerdBinaries(release, { cacheDir: DEFAULT_RUNTIME_CACHE, mirror: DEFAULT_DEBIAN_MIRROR, say: () => undefined });
    node = await startEmbeddedNode({ layout, subnet: '10.213.251.0/24', containerd: { release, binaries }, undo, step: (_title, work) => work() });
    const reportDir = tempReportDir();
    result = await runCli(['run', '--provider', 'cri', '--cri-endpoint', `unix://${layout.socket}`, '--app-image', APP_IMAGE, '--report-dir', reportDir, '--grep', 'the pause process dies']);
    report = JSON.parse(await readFile(path.join(reportDir, 'report.json'), 'utf8')) as Report;
  });

  after(async function () {
    const failures = await undo.unwind();
    expect(failures, 'undo failures of the test containerd').to.deep.equal([]);
    expect(await residueOf(usersRunId), 'residue of the test containerd (its leaked shim included)').to.deep.equal([]);
    for (const dir of (await readdir('/var/log/pods').catch(() => [])).filter((d) => d.startsWith(`pause-conformance-${report?.runId}_`))) {
      await rm(`/var/log/pods/${dir}`, { recursive: true, force: true });
    }
  });

  it('the delete check and the leak check name the same shim, with how long each waited', async function () {
    const check = report.targets[0]!.checks.find((c) => c.title.startsWith('the pod with a dead pause still deletes cleanly'))!;
    expect(check.status, `${check.title}: ${check.error ?? ''}`).to.equal('failed');
    const named = /^at step 'wait until each thing is gone from the node': shimGone: shim pid (\d+) of sandbox ([0-9a-f]{64}) \(socket (\/run\/containerd\/s\/[0-9a-f]{64})\).* \(waited 10000 ms for it\)$/.exec(check.error ?? '');
    expect(named, `the check names the shim: ${check.error}`).to.not.equal(null);
    const [, pid, sandbox, socket] = named!;
    expect(report.teardown.leaks).to.have.length(1);
    expect(report.teardown.leaks[0]).to.match(new RegExp(`^shim pid ${pid} of sandbox ${sandbox} \\(socket ${socket}\\) on this machine: still running after the run's pods were deleted \\(waited \\d+ ms\\)$`));
    expect(result.exitCode, `exit code; tail: ${result.stdout.trim().split('\n').slice(-4).join(' | ')}`).to.equal(1);
    // The runtime still has it: the test's containerd is the one that must clean it up.
    expect((await node.shims()).map((shim) => String(shim.pid))).to.include(pid);
  });
});
