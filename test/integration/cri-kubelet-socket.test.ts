/**
 * --provider cri refuses a socket a running kubelet uses (the kubelet would kill the run's
 * CRI-level pods under the checks), and runs when the kubelet uses another one. The runtime is a
 * real containerd of the test's own (an embedded node); the kubelet is a stand-in: a real process
 * whose argv[0] is `kubelet` and whose flags hold --container-runtime-endpoint, as /proc shows a
 * kubelet's. The refused run must make nothing: no sandbox, container or pod log directory.
 */
import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import { startEmbeddedNode, type EmbeddedNode } from '../../lib/runtime/embedded-node.ts';
import { APP_IMAGE } from '../../lib/runtime/local-images.ts';
import { newRunId } from '../../lib/runtime/run-dir.ts';
import { runLayout } from '../../lib/runtime/run-layout.ts';
import { pollUntil } from '../../lib/wait.ts';
import { runCli, tempReportDir, type CliResult } from './helpers/cli.ts';
import { processAlive } from './helpers/host.ts';
import { residueOf } from './helpers/residue.ts';
import { tempDir } from './helpers/temp-dirs.ts';

/** A process /proc shows as `kubelet ... --container-runtime-endpoint=<endpoint>` (Node idling: it takes the flag as a script argument). */
async function standInKubelet(undo: UndoStack, endpoint: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)', '--', `--container-runtime-endpoint=${endpoint}`], { argv0: 'kubelet', stdio: 'ignore' });
  undo.push(`stop the stand-in kubelet ${child.pid}`, async () => {
    child.kill('SIGKILL');
    await pollUntil(async () => ((await processAlive(child.pid!)) ? { done: false, seen: 'still alive' } : { done: true, value: undefined }), { awaited: `stand-in kubelet ${child.pid} gone`, timeoutMs: 5000, intervalMs: 20 });
  });
  // Seen in /proc as a kubelet before the run looks.
  await pollUntil(
    async () => {
      const cmdline = await readFile(`/proc/${child.pid}/cmdline`, 'utf8').catch(() => '');
      return cmdline.startsWith('kubelet\0') && cmdline.includes(endpoint) ? { done: true, value: undefined } : { done: false, seen: JSON.stringify(cmdline) };
    },
    { awaited: `stand-in kubelet ${child.pid} in /proc`, timeoutMs: 5000, intervalMs: 20 },
  );
  return child;
}

describe('the cri provider and a kubelet on the same socket', function () {
  this.timeout(120_000);

  const undo = new UndoStack();
  const runId = newRunId();
  let node: EmbeddedNode;
  let socket: string;
  let refused: CliResult;
  let refusedByAlias: CliResult;
  let logDirsBefore: string[] | undefined;
  let logDirsAfterRefusals: string[] | undefined;
  let sandboxesAfterRefusals: number;
  let containersAfterRefusals: number;
  let proceeded: CliResult;

  before(async function () {
    const layout = runLayout(runId);
    node = await startEmbeddedNode({ layout, subnet: '10.213.251.0/24', undo, step: (_title, work) => work() });
    socket = layout.socket;
    logDirsBefore = await readdir('/var/log/pods').catch(() => undefined);
    const args = ['run', '--provider', 'cri', '--cri-endpoint', `unix://${socket}`, '--app-image', APP_IMAGE, '--grep', 'pause holds the IPC and UTS namespaces'];

    const kubelet = await standInKubelet(undo, `unix://${socket}`);
    refused = await runCli([...args, '--report-dir', tempReportDir()]);
    kubelet.kill('SIGKILL');
    // The same socket by another path (a symlink, as /var/run is to /run): compared by inode.
    const alias = path.join(tempDir('kubelet-alias'), 'containerd.sock');
    await symlink(socket, alias);
    const aliased = await standInKubelet(undo, `unix://${alias}`);
    refusedByAlias = await runCli([...args, '--report-dir', tempReportDir()]);
    aliased.kill('SIGKILL');
    sandboxesAfterRefusals = (await node.client.listPodSandbox()).length;
    containersAfterRefusals = (await node.client.listContainers()).length;
    logDirsAfterRefusals = await readdir('/var/log/pods').catch(() => undefined);

    // A kubelet of another runtime does not stop the run.
    await standInKubelet(undo, 'unix:///run/containerd/containerd.sock');
    proceeded = await runCli([...args, '--report-dir', tempReportDir()]);
  });

  after(async function () {
    const failures = await undo.unwind();
    expect(failures, 'undo failures').to.deep.equal([]);
    expect(await residueOf(runId), 'residue of the test containerd').to.deep.equal([]);
  });

  it('refuses in one line naming --provider kubeconfig --node-shell local, exit 2', function () {
    expect(refused.exitCode, `stdout: ${refused.stdout}`).to.equal(2);
    const message = refused.stderr.trim();
    expect(message.split('\n'), message).to.have.length(1);
    expect(message).to.match(new RegExp(`--provider cri on unix://${socket.replaceAll('/', '\\/')}: a kubelet uses this runtime \\(pid \\d+, endpoint from --container-runtime-endpoint\\): `));
    expect(message).to.include('Use --provider kubeconfig --node-shell local on this node, or stop the kubelet first');
    expect(refusedByAlias.exitCode, `stderr: ${refusedByAlias.stderr}`).to.equal(2);
    expect(refusedByAlias.stderr).to.include('a kubelet uses this runtime');
  });

  it('made nothing on the runtime nor in /var/log/pods', function () {
    expect(sandboxesAfterRefusals, 'sandboxes').to.equal(0);
    expect(containersAfterRefusals, 'containers').to.equal(0);
    expect(logDirsAfterRefusals, '/var/log/pods').to.deep.equal(logDirsBefore);
  });

  it('runs when the kubelet uses another socket', function () {
    expect(proceeded.exitCode, `stderr: ${proceeded.stderr.trim()}; tail: ${proceeded.stdout.trim().split('\n').slice(-4).join(' | ')}`).to.equal(0);
    expect(proceeded.stdout).to.match(new RegExp(`✓ no kubelet uses unix://${socket.replaceAll('/', '\\/')}`));
    expect(proceeded.stdout).to.match(/conformance: [1-9]\d* passed, 0 failed/);
  });
});
