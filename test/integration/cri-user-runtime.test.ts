/**
 * The cri provider never touches the user's things. A containerd of the test's own plays "the
 * user's runtime" (an embedded node with its own run id); on it stands a pod that is not ours,
 * made with plain CRI calls and labels of its own, with a running container. The CLI then runs
 * against that socket with --provider cri. Afterwards the user's pod must be exactly as it was
 * (same sandbox id, still READY, same pause pid alive, same container running with the same pid)
 * and nothing labelled with the run may be left on the runtime, nor in /var/log/pods. A second
 * run, interrupted with SIGINT mid-check, must leave the user's pod alone just the same.
 */
import { expect } from 'chai';
import { randomUUID } from 'node:crypto';
import { readdir, rm } from 'node:fs/promises';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import { cgroupDirsNamed, missingDirs } from '../../lib/cleanup/created-dirs.ts';
import type { CriClient } from '../../lib/cri/client.ts';
import type { PodSandboxConfig } from '../../lib/cri/types.ts';
import { parseSandboxInspect } from '../../lib/node/inspect-parsers.ts';
import { startEmbeddedNode, type EmbeddedNode } from '../../lib/runtime/embedded-node.ts';
import { APP_IMAGE } from '../../lib/runtime/local-images.ts';
import { newRunId } from '../../lib/runtime/run-dir.ts';
import { runLayout } from '../../lib/runtime/run-layout.ts';
import { runCli, startCli, tempReportDir, type CliResult } from './helpers/cli.ts';
import { processAlive } from './helpers/host.ts';
import { residueOf } from './helpers/residue.ts';
import { LABEL_RUN } from '../../lib/labels.ts';

interface PodFacts {
  sandboxId: string;
  state: string;
  pausePid: number | undefined;
  containerId: string;
  containerState: string;
  containerPid: number | undefined;
}

async function factsOf(client: CriClient, sandboxId: string, containerId: string): Promise<PodFacts> {
  const sandbox = parseSandboxInspect(await client.podSandboxStatus(sandboxId, true));
  const container = await client.containerStatus(containerId, true);
  const info = JSON.parse(container.info['info'] ?? '{}') as { pid?: number };
  return { sandboxId: sandbox.id, state: sandbox.state, pausePid: sandbox.pausePid, containerId, containerState: container.status.state, containerPid: info.pid };
}

const CORE_SUITES = 'pause holds the pod IP and network namespace|pause holds the IPC and UTS namespaces|the sandbox survives app-container exits|deleting the pod tears the sandbox down';

describe('the cri provider leaves the pods of the runtime it visits alone', function () {
  this.timeout(120_000);

  const undo = new UndoStack();
  const usersRunId = newRunId();
  let node: EmbeddedNode;
  let sandboxId: string;
  let containerId: string;
  let factsBefore: PodFacts;
  let result: CliResult;
  let cliRunId: string | undefined;
  let interrupted: CliResult;
  let interruptedRunId: string | undefined;
  let logDirsBefore: string[] | undefined;
  let cgroupsMissingBefore: string[];

  before(async function () {
    const layout = runLayout(usersRunId);
    node = await startEmbeddedNode({ layout, subnet: '10.213.250.0/24', undo, step: (_title, work) => work() });
    const config: PodSandboxConfig = {
      metadata: { name: 'users-own-pod', uid: randomUUID(), namespace: 'users-namespace', attempt: 0 },
      hostname: 'users-own-pod',
      logDirectory: `${layout.dir}/users-pod-logs`,
      labels: { 'app.kubernetes.io/name': 'users-own-pod', owner: 'the-user' },
      annotations: {},
      linux: { cgroupParent: layout.cgroupParent, securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '' }, privileged: false } },
    };
    sandboxId = await node.client.runPodSandbox(config);
    containerId = await node.client.createContainer(
      sandboxId,
      {
        metadata: { name: 'users-app', attempt: 0 },
        image: { image: APP_IMAGE },
        command: ['/bin/sh', '-c', "trap 'exit 0' TERM; while true; do sleep 1 & wait $!; done"],
        args: [],
        workingDir: '',
        envs: [],
        labels: { owner: 'the-user' },
        annotations: {},
        logPath: 'users-app.log',
        linux: { securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD', targetId: '' }, privileged: false } },
      },
      config,
    );
    await node.client.startContainer(containerId);
    factsBefore = await factsOf(node.client, sandboxId, containerId);
    logDirsBefore = await readdir('/var/log/pods').catch(() => undefined);
    cgroupsMissingBefore = await missingDirs(await cgroupDirsNamed('k8s.io'));

    result = await runCli(['run', '--provider', 'cri', '--cri-endpoint', `unix://${layout.socket}`, '--app-image', APP_IMAGE, '--report-dir', tempReportDir(), '--grep', CORE_SUITES]);
    cliRunId = /^pause-conformance run ([0-9a-f]{8}):/m.exec(result.stdout)?.[1];
    // And one interrupted mid-check: its teardown too removes only its own pods.
    const second = startCli(['run', '--provider', 'cri', '--cri-endpoint', `unix://${layout.socket}`, '--app-image', APP_IMAGE, '--report-dir', tempReportDir(), '--grep', CORE_SUITES]);
    interruptedRunId = await second.runId();
    await second.waitForLine(/✔ every container shares the net namespace of the pause process/);
    second.signal('SIGINT');
    interrupted = await second.result;
  });

  after(async function () {
    // The test's own containerd, the user's pod with it: removed by what makes them ours (the run id).
    const failures = await undo.unwind();
    expect(failures, 'undo failures of the test containerd').to.deep.equal([]);
    expect(await residueOf(usersRunId), 'residue of the test containerd').to.deep.equal([]);
    for (const runId of [cliRunId, interruptedRunId].filter((id) => id !== undefined)) {
      for (const dir of (await readdir('/var/log/pods').catch(() => [])).filter((d) => d.startsWith(`pause-conformance-${runId}_`))) {
        await rm(`/var/log/pods/${dir}`, { recursive: true, force: true });
      }
    }
  });

  it('the run passed its checks on that runtime', function () {
    expect(cliRunId, `run id; stdout: ${result.stdout.slice(0, 300)}`).to.be.a('string');
    expect(result.exitCode, `exit code; stderr: ${result.stderr.trim()}; tail: ${result.stdout.trim().split('\n').slice(-4).join(' | ')}`).to.equal(0);
    expect(result.stdout).to.match(/conformance: [1-9]\d* passed, 0 failed/);
  });

  it('the interrupted run exited 130 after its own teardown', function () {
    expect(interrupted.exitCode, `exit code; tail: ${interrupted.stdout.trim().split('\n').slice(-4).join(' | ')}`).to.equal(130);
    expect(interrupted.stdout).to.include('SIGINT: stopping the run and cleaning up');
    expect(interrupted.stdout).to.include('✓ leak check: nothing of this run is left');
  });

  it("the user's pod is untouched: same sandbox, still READY, same pause pid, same container and pid", async function () {
    const after = await factsOf(node.client, sandboxId, containerId);
    expect(factsBefore.state).to.equal('ready');
    expect(factsBefore.containerState).to.equal('CONTAINER_RUNNING');
    expect(after).to.deep.equal(factsBefore);
    expect(await processAlive(factsBefore.pausePid!), `pause ${factsBefore.pausePid} alive`).to.equal(true);
    expect(await processAlive(factsBefore.containerPid!), `container process ${factsBefore.containerPid} alive`).to.equal(true);
    const sandboxes = await node.client.listPodSandbox();
    expect(sandboxes.map((s) => s.id), 'sandboxes on the runtime').to.deep.equal([sandboxId]);
  });

  it('nothing labelled with the run is left on the runtime, nor in /var/log/pods or the default cgroup', async function () {
    for (const runId of [cliRunId!, interruptedRunId!]) {
      const selector = { [LABEL_RUN]: runId };
      expect(await node.client.listPodSandbox({ labelSelector: selector }), `sandboxes of run ${runId}`).to.deep.equal([]);
      expect(await node.client.listContainers({ labelSelector: selector }), `containers of run ${runId}`).to.deep.equal([]);
    }
    expect((await node.client.listContainers()).map((c) => c.id), 'containers on the runtime').to.deep.equal([containerId]);
    const logDirsAfter = await readdir('/var/log/pods').catch(() => undefined);
    if (logDirsBefore === undefined) expect(logDirsAfter, '/var/log/pods, which the run created').to.equal(undefined);
    else expect(logDirsAfter!.filter((dir) => !logDirsBefore!.includes(dir)), 'pod log directories the run left').to.deep.equal([]);
    // containerd puts pods that name no cgroup parent under /k8s.io; the run made it, the run removes it.
    expect(await missingDirs(cgroupsMissingBefore), 'default cgroups the run created and left').to.deep.equal(cgroupsMissingBefore);
  });
});
