/**
 * Reading Pod status the way the kube driver does, on `kubectl get pod -o json` recorded on a
 * real Kubernetes 1.36 node (fixtures/recorded, from shared/recorded): readiness, a container
 * attempt's exit, the kubelet's restarts, a terminal pod that keeps status.podIP.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import type { V1Pod } from '@kubernetes/client-node';
import { exitVerdict, observeContainerStatus } from '../../lib/pods/kube-pod-status.ts';
import { containerStatus, describePod, isTerminalPhase, PodStartError, podApiStatus, runtimeContainerId, startVerdict } from '../../lib/kube/pod-status.ts';

const pod = (name: string): V1Pod => JSON.parse(readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8')) as V1Pod;

const ALPHA_0 = 'cfab259b82ed529d327ab57a17dda43f1a2160c13ad4ec6cd831cc9844953538';
const ALPHA_1 = 'adbe0ad328132167801a93752a59262f1c0ef2f8c3fdd28ca6a53ef88ac1fbaf';

describe('kube pod status (recorded kubectl get pod -o json)', function () {
  it('strips the runtime prefix from status containerIDs', function () {
    expect(runtimeContainerId(`containerd://${ALPHA_0}`)).to.equal(ALPHA_0);
    expect(runtimeContainerId('cri-o://abc')).to.equal('abc');
    expect(runtimeContainerId(undefined)).to.equal('');
  });

  it('sees a running pod as started, with each container running at attempt 0', function () {
    const trio = pod('kubectl-get-pod-trio.json');
    const verdict = startVerdict(trio, 'trio');
    expect(verdict.done).to.equal(true);
    expect(observeContainerStatus(containerStatus(trio, 'alpha'), 'alpha')).to.deep.equal({ name: 'alpha', id: ALPHA_0, attempt: 0, restartCount: 0, state: 'running' });
    expect(describePod(trio)).to.equal('phase Running; alpha running (restarts 0), beta running (restarts 0), gamma running (restarts 0)');
  });

  it('reads status.podIP, podIPs, phase and conditions', function () {
    const status = podApiStatus(pod('kubectl-get-pod-trio.json'));
    expect(status).to.deep.include({ phase: 'Running', podIP: '10.244.77.17', podIPs: ['10.244.77.17'] });
    expect(status.conditions).to.include({ Ready: 'True', PodReadyToStartContainers: 'True' });
    expect(isTerminalPhase(status.phase)).to.equal(false);
  });

  it('after the sandbox was replaced: new container ids at attempt 1, the old attempt seen exited 137 through lastState', function () {
    const after = pod('3a-after-kubectl-pod-trio.json');
    expect(observeContainerStatus(containerStatus(after, 'alpha'), 'alpha')).to.include({ id: ALPHA_1, attempt: 1, restartCount: 1, state: 'running' });
    const verdict = exitVerdict(after, 'alpha', { id: ALPHA_0, restartCount: 0 });
    expect(verdict).to.deep.equal({ done: true, value: { name: 'alpha', id: ALPHA_0, attempt: 0, state: 'exited', exitCode: 137, restartCount: 1 } });
    // The attempt that runs now has not exited.
    expect(exitVerdict(after, 'alpha', { id: ALPHA_1, restartCount: 1 }).done).to.equal(false);
    expect(podApiStatus(after).podIP, 'a new sandbox, a new IP').to.equal('10.244.77.19');
  });

  it('restartPolicy Never: running, then both exits (0 and 1) and phase Failed with status.podIP kept', function () {
    const running = pod('3b-running-kubectl-pod-never.json');
    const failId = observeContainerStatus(containerStatus(running, 'fail'), 'fail').id;
    expect(exitVerdict(running, 'fail', { id: failId, restartCount: 0 }).done).to.equal(false);
    const after = pod('3b-after-kubectl-pod-never.json');
    expect(exitVerdict(after, 'fail', { id: failId, restartCount: 0 })).to.deep.include({ done: true });
    expect(observeContainerStatus(containerStatus(after, 'fail'), 'fail')).to.include({ state: 'exited', exitCode: 1, id: failId });
    expect(observeContainerStatus(containerStatus(after, 'ok'), 'ok')).to.include({ state: 'exited', exitCode: 0 });
    const status = podApiStatus(after);
    expect(status.phase).to.equal('Failed');
    expect(isTerminalPhase(status.phase)).to.equal(true);
    expect(status.podIP, 'the IP the node already released').to.equal('10.244.77.20');
    expect(status.conditions['PodReadyToStartContainers']).to.equal('False');
    // Containers that ran and exited count as started (a pod whose containers exit at once).
    expect(startVerdict(after, 'never').done).to.equal(true);
  });

  it('restartPolicy Always, 4 restarts: the latest attempt is the exited one (exit 3, attempt 4); a known earlier attempt is seen exited', function () {
    const before = pod('3c-before-kubectl-pod-flappy.json');
    const first = observeContainerStatus(containerStatus(before, 'flap'), 'flap');
    expect(first).to.include({ state: 'running', attempt: 0 });
    const after = pod('3c-after-kubectl-pod-flappy.json');
    expect(observeContainerStatus(containerStatus(after, 'flap'), 'flap')).to.deep.equal({
      name: 'flap',
      id: 'f1483899c0ddaa56285b989317c74e348cae3b5ea7a033c37b5a3b8ba8c9de7c',
      attempt: 4,
      restartCount: 4,
      state: 'exited',
      exitCode: 3,
    });
    const seen = exitVerdict(after, 'flap', { id: first.id, restartCount: 0 });
    expect(seen.done, 'restartCount grew, so the known attempt ended').to.equal(true);
    expect(observeContainerStatus(containerStatus(after, 'steady'), 'steady')).to.include({ state: 'running', restartCount: 0 });
  });

  it('fails at once, naming the container and the reason, when a container cannot start (image pull)', function () {
    // The recorded running trio with alpha's state replaced by the waiting state the kubelet reports for a failed pull.
    const trio = pod('kubectl-get-pod-trio.json');
    containerStatus(trio, 'alpha')!.state = { waiting: { reason: 'ErrImagePull', message: 'failed to pull and unpack image "docker.io/library/busybox:1.36": dial tcp: lookup registry-1.docker.io: no such host' } };
    expect(() => startVerdict(trio, 'trio')).to.throw(PodStartError, /^container alpha of pod trio cannot start: ErrImagePull: failed to pull/);
    // Still creating: not done, and the wait says what it saw.
    containerStatus(trio, 'alpha')!.state = { waiting: { reason: 'ContainerCreating' } };
    expect(startVerdict(trio, 'trio')).to.deep.equal({ done: false, seen: 'phase Running; alpha waiting (ContainerCreating), beta running (restarts 0), gamma running (restarts 0)' });
    expect(() => startVerdict(undefined, 'trio')).to.throw(PodStartError, /disappeared/);
  });
});
