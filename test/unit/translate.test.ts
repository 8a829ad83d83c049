/**
 * Manifest -> CRI configs, as kubelet builds them. The recorded crictl inspectp of the same trio
 * pod on a real kubelet node is the reference for labels, metadata and namespace modes.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { parsePodManifest } from '../../lib/pods/manifest.ts';
import { containerConfigFor, namespaceOptionsFor, podHostname, sandboxConfigFor, type SandboxIdentity } from '../../lib/pods/translate.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

const identity: SandboxIdentity = { namespace: 'pc-rec', uid: 'e0bc0951-717a-443a-82b5-2d1eab0b73eb', attempt: 0, runId: 'abcdef01', logRoot: '/var/log/pods', cgroupParent: '/pc' };

describe('manifest translation (kubelet semantics)', function () {
  const trio = parsePodManifest(recorded('manifest-trio.yaml'), 'manifest-trio.yaml');
  const sharedPid = parsePodManifest(recorded('manifest-shared-pid.yaml'), 'manifest-shared-pid.yaml');

  it('gives the sandbox the namespace modes, metadata and kubelet labels a real kubelet gave the same pod', function () {
    const inspectp = JSON.parse(recorded('crictl-inspectp-trio.json')) as {
      status: { metadata: object; labels: Record<string, string>; linux: { namespaces: { options: { network: string; pid: string; ipc: string } } } };
    };
    const config = sandboxConfigFor(trio, identity);
    const real = inspectp.status;
    expect(config.metadata).to.deep.equal(real.metadata);
    for (const key of ['app', 'io.kubernetes.pod.name', 'io.kubernetes.pod.namespace', 'io.kubernetes.pod.uid']) {
      expect(config.labels[key], key).to.equal(real.labels[key]);
    }
    const { network, pid, ipc } = real.linux.namespaces.options;
    expect(config.linux.securityContext.namespaceOptions).to.include({ network, pid, ipc });
    expect(config.hostname).to.equal('trio-host');
    expect(config.labels['pause-conformance.io/run']).to.equal('abcdef01');
    expect(config.logDirectory).to.equal('/var/log/pods/pc-rec_trio_e0bc0951-717a-443a-82b5-2d1eab0b73eb');
  });

  it('copies the pod namespace options into every container config (the proto default would be POD for all)', function () {
    const config = sandboxConfigFor(trio, identity);
    for (const container of trio.spec.containers) {
      const containerConfig = containerConfigFor(trio, container, identity, 0, 'img');
      expect(containerConfig.linux.securityContext.namespaceOptions).to.deep.equal(config.linux.securityContext.namespaceOptions);
      expect(containerConfig.linux.securityContext.namespaceOptions.pid).to.equal('CONTAINER');
    }
  });

  it('maps shareProcessNamespace, hostPID, hostNetwork and hostIPC as namespacesForPod does', function () {
    expect(namespaceOptionsFor(sharedPid).pid).to.equal('POD');
    const host = structuredClone(trio);
    host.spec.hostNetwork = true;
    host.spec.hostIPC = true;
    host.spec.hostPID = true;
    host.spec.shareProcessNamespace = true;
    expect(namespaceOptionsFor(host)).to.deep.equal({ network: 'NODE', pid: 'NODE', ipc: 'NODE', targetId: '' });
    expect(sandboxConfigFor(host, identity).hostname, 'host-network pods keep the node hostname').to.equal('');
  });

  it('makes the sandbox privileged when any container is, as kubelet does', function () {
    expect(sandboxConfigFor(trio, identity).linux.securityContext.privileged).to.equal(false);
    const privileged = structuredClone(trio);
    privileged.spec.containers[1]!.securityContext = { privileged: true };
    expect(sandboxConfigFor(privileged, identity).linux.securityContext.privileged).to.equal(true);
  });

  it('uses the pod name as hostname when spec.hostname is absent', function () {
    expect(podHostname(sharedPid)).to.equal('shared-pid');
  });

  it('keeps command and args apart (entrypoint vs cmd) and names logs by attempt', function () {
    const alpha = trio.spec.containers[0]!;
    const config = containerConfigFor(trio, alpha, identity, 3, 'localhost/x:y');
    expect(config.command).to.deep.equal(['/bin/sh', '-c', 'echo alpha-started; while true; do sleep 3600; done']);
    expect(config.args).to.deep.equal([]);
    expect(config.metadata).to.deep.equal({ name: 'alpha', attempt: 3 });
    expect(config.logPath).to.equal('alpha/3.log');
    expect(config.image.image).to.equal('localhost/x:y');
    expect(config.labels['io.kubernetes.container.name']).to.equal('alpha');
  });
});
