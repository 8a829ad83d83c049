/**
 * CtrInspector against a real containerd: the embedded node (private containerd 1.6, real ctr,
 * real pods made by the CRI driver). What it reads through ctr must match what the same runtime
 * answers over CRI gRPC (CriInspector), field by field, for a running sandbox, running and exited
 * containers, and after the pod is deleted. An integration test: it starts a real containerd.
 * Needs root (containerd, overlays, netns); without root the block says so and skips.
 */
import { expect } from 'chai';
import path from 'node:path';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import { EnvironmentError } from '../../lib/errors.ts';
import { CriInspector } from '../../lib/node/cri-inspector.ts';
import { CtrInspector } from '../../lib/node/ctr-inspector.ts';
import type { ContainerFacts } from '../../lib/node/node-view.ts';
import { CriPodDriver } from '../../lib/pods/cri-driver.ts';
import { loadPodManifest } from '../../lib/pods/manifest.ts';
import type { PodRef } from '../../lib/pods/pod-driver.ts';
import { startEmbeddedNode, type EmbeddedNode } from '../../lib/runtime/embedded-node.ts';
import { newRunId } from '../../lib/runtime/run-dir.ts';
import { runLayout } from '../../lib/runtime/run-layout.ts';
import { LABEL_RUN } from '../../lib/labels.ts';
import { LocalShell } from '../../lib/node/shells/local-shell.ts';
import { onPath } from '../../lib/providers/common/on-path.ts';

const byName = (facts: ContainerFacts[]): ContainerFacts[] => [...facts].sort((a, b) => a.name.localeCompare(b.name));

describe('CtrInspector', function () {
  it('fails with one line when ctr cannot reach containerd', async function () {
    if (!onPath('ctr')) {
      console.log('      (skipped: ctr is not installed here)');
      this.skip();
    }
    const inspector = new CtrInspector(new LocalShell(), { ctr: ['ctr', '--connect-timeout', '1s', '-a', '/nonexistent/pause-conformance.sock', '-n', 'k8s.io'] });
    const error = await inspector.checkReachable().then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).to.be.instanceOf(EnvironmentError);
    expect((error as Error).message).to.match(/^ctr cannot reach the node's containerd: node command failed \(exit 1\): ctr .* version: ctr: failed to dial/);
    expect((error as Error).message).to.not.include('\n');
  });

  describe('on the embedded node, against the CRI view of the same runtime', function () {
    const undo = new UndoStack();
    let node: EmbeddedNode;
    let pods: CriPodDriver;
    let pod: PodRef;
    let ctr: CtrInspector;
    let cri: CriInspector;
    let runId: string;

    before(async function () {
      if (process.getuid?.() !== 0) {
        console.log('      (skipped: needs root to run the embedded node)');
        this.skip();
      }
      this.timeout(120_000);
      runId = newRunId();
      const layout = runLayout(runId);
      node = await startEmbeddedNode({ layout, subnet: '10.213.91.0/24', undo, step: (_title, work) => work() });
      pods = new CriPodDriver(node.client, {
        runId,
        namespace: `pc-ctr-${runId}`,
        logRoot: path.join(layout.dir, 'pod-logs'),
        logRootIsLocal: true,
        cgroupParent: layout.cgroupParent,
        imageFor: () => node.appImage,
        undo,
      });
      pod = await pods.create(await loadPodManifest(new URL('../../fixtures/pods/exits.yaml', import.meta.url).pathname));
      await pods.waitForExit(pod, 'exit-zero', 30_000);
      await pods.waitForExit(pod, 'exit-nonzero', 30_000);
      ctr = new CtrInspector(new LocalShell(), { ctr: ['ctr', '-a', layout.socket, '-n', 'k8s.io'], criRootDir: path.join(layout.root, 'io.containerd.grpc.v1.cri') });
      cri = new CriInspector(node.client);
    });

    after(async function () {
      this.timeout(60_000);
      const failures = await undo.unwind();
      expect(failures).to.deep.equal([]);
    });

    it('reads the sandbox as CRI reports it: state, pause pid, netns, IP, modes, image, labels', async function () {
      const fromCtr = await ctr.sandbox(pod.sandboxId);
      const fromCri = await cri.sandbox(pod.sandboxId);
      expect(fromCtr.state).to.equal('ready');
      expect(fromCtr.pausePid).to.be.a('number');
      expect(fromCtr).to.deep.equal(fromCri);
    });

    it('reads the containers as CRI reports them: running with pids, exited with exit codes', async function () {
      const fromCtr = byName(await ctr.containers(pod.sandboxId));
      const fromCri = byName(await cri.containers(pod.sandboxId));
      expect(fromCtr.map((c) => `${c.name}:${c.state}:${c.exitCode ?? ''}`)).to.deep.equal(['exit-nonzero:exited:3', 'exit-zero:exited:0', 'steady:running:', 'victim:running:']);
      expect(fromCtr).to.deep.equal(fromCri);
    });

    it('lists the pod sandbox by its pod uid label, and the runtime facts', async function () {
      const listed = await ctr.listPodSandboxes({ 'io.kubernetes.pod.uid': pod.uid });
      expect(listed.map((s) => [s.id, s.state, s.podUid])).to.deep.equal([[pod.sandboxId, 'ready', pod.uid]]);
      // The run label's key holds a "/": the teardown sweep filters on it.
      expect((await ctr.listPodSandboxes({ [LABEL_RUN]: runId })).map((s) => s.id)).to.deep.equal([pod.sandboxId]);
      expect((await ctr.listPodSandboxes({})).map((s) => s.id)).to.deep.equal([pod.sandboxId]);
      const facts = await ctr.runtimeFacts();
      const version = await node.client.version();
      expect(facts).to.include({ runtimeName: 'containerd', runtimeVersion: version.runtimeVersion, sandboxImage: node.sandboxImage });
    });

    it('says gone for an id containerd does not have', async function () {
      expect((await ctr.container('0123456789ab')).state).to.equal('gone');
      expect((await ctr.sandbox('0123456789ab')).state).to.equal('gone');
    });

    it('sees the sandbox and its containers gone once the pod is deleted', async function () {
      this.timeout(60_000);
      await pods.delete(pod);
      expect((await ctr.sandbox(pod.sandboxId)).state).to.equal('gone');
      expect(await ctr.containers(pod.sandboxId)).to.deep.equal([]);
      expect(await ctr.listPodSandboxes({ 'io.kubernetes.pod.uid': pod.uid })).to.deep.equal([]);
    });
  });
});
