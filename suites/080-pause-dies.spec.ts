/**
 * Suite: the pause process dies (SIGKILL from the node). At the CRI level, with no kubelet, the
 * sandbox turns NOT_READY and the check records what becomes of the app containers and the netns.
 * Under a kubelet, a new sandbox (attempt + 1) is made and the containers are restarted in it: the
 * check records the new pause pid and whether the pod IP changed (on a real node: new IP, new
 * netns, restartCount 1, see docs/observations.md a). Either way the pod must still
 * delete cleanly: no pause, no app process, no netns, no IP and no runtime shim left (containerd
 * 2.1.9 leaves the killed sandbox's shim running: containerd/containerd#10421; see
 * fixtures/recorded/pause-dies-on-containerd-2.1.9.txt for a run that did not look and passed).
 */
import { expect } from 'chai';
import { evidence, skipBecause } from '../lib/report/evidence.ts';
import { step } from '../lib/report/steps.ts';
import type { PodRef } from '../lib/pods/pod-driver.ts';
import { planSandboxGone, type GoneCondition, type SandboxToRemove } from '../lib/report/sandbox-gone.ts';
import { goneLine, watchGone } from '../lib/report/gone-watch.ts';
import { pollUntil } from '../lib/wait.ts';
import { target, usePod } from './context.ts';
import { execText, goneTarget, observeContainer, observePause, optionalFacts, type ContainerNamespaces, type PauseObservation } from './observe.ts';

/** The ifindex of the pod's host-side veth: eth0's iflink inside the pod. */
async function vethOf(pod: PodRef, container: string): Promise<number> {
  return Number(await execText(target(), pod, container, ['cat', '/sys/class/net/eth0/iflink']));
}

/** At the CRI level the killed sandbox itself is deleted: what its SIGKILLed pause rightly took with it. */
const KILLED_SANDBOX_NOT_EXPECTED: Partial<Record<GoneCondition, string>> = {
  pauseGone: 'this suite SIGKILLed the pause before the delete',
  sandboxNotReady: 'NOT_READY since its pause was killed',
};

/** Under a kubelet the killed sandbox was stopped when the kubelet replaced it: nothing of it need be there. */
function replacedSandboxNotExpected(currentId: string): Partial<Record<GoneCondition, string>> {
  const why = `the kubelet stopped this sandbox (its pause was killed) and made ${currentId.slice(0, 13)}`;
  return { pauseGone: why, containersGone: why, sandboxNotReady: why, netnsGone: why, vethGone: why, ipReleased: why, shimGone: why };
}

describe('the pause process dies', function () {
  const pod = usePod('trio');
  let pause: PauseObservation;
  let apps: ContainerNamespaces[] = [];
  let killedAtMs = 0;
  /** ifindex of the killed sandbox's host veth (eth0's peer), read before the kill. */
  let vethIndex: number | undefined;
  /** restartCount of each container before the kill, where a kubelet counts restarts. */
  const restartCountsBefore = new Map<string, number>();

  before(async function () {
    const made = pod();
    pause = await observePause(target(), made);
    apps = await Promise.all(made.containers.map((c) => observeContainer(target(), made, c.name)));
    vethIndex = await vethOf(made, 'alpha');
    if (target().capabilities.kubelet) {
      for (const c of made.containers) restartCountsBefore.set(c.name, (await target().pods.container(made, c.name)).restartCount ?? 0);
    }
    killedAtMs = Date.now();
    await target().node.kill(pause.pid, 'KILL');
  });


  it('CRI level: the sandbox turns NOT_READY; app containers and netns are recorded', async function () {
    if (target().capabilities.kubelet) skipBecause(this, 'a kubelet runs the pods here: it replaces the sandbox (next check)');
    const ev = evidence(this);
    const node = target().node;
    const notReady = await step(this, 'wait for the sandbox to turn NOT_READY', () => pollUntil(
      async () => {
        const facts = await node.sandbox(pod().sandboxId);
        return facts.state !== 'ready' ? { done: true, value: facts } : { done: false, seen: `state ${facts.state}, pid ${facts.pausePid}` };
      },
      { awaited: `sandbox ${pod().sandboxId} NOT_READY after SIGKILL of pause ${pause.pid}`, timeoutMs: 10_000 },
    ));
    const notReadyAfterMs = Date.now() - killedAtMs;
    const pauseAlive = await node.processAlive(pause.pid);
    const containers = await Promise.all(
      apps.map(async (app) => {
        const facts = await node.container(app.id);
        return { name: app.name, state: facts.state, pid: app.pid, pidAlive: await node.processAlive(app.pid) };
      }),
    );
    const netnsPath = pause.sandbox.netnsPath;
    const ip = pause.sandbox.ip!;
    ev['before'] = { sandboxId: pod().sandboxId, pausePid: pause.pid, ip, netnsPath, appPids: apps.map((a) => a.pid) };
    ev['after'] = {
      sandboxState: notReady.state,
      pausePidReported: notReady.pausePid ?? null,
      ipReported: notReady.ip ?? null,
      pauseAlive,
      containers,
      netnsPathPresent: netnsPath ? await node.pathExists(netnsPath) : null,
      ipAllocated: (await node.ipAllocated(ip)) ?? null,
    };
    ev['timings'] = { notReadyAfterKillMs: notReadyAfterMs };
    ev['summary'] = `sandbox ${notReady.state} ${notReadyAfterMs} ms after SIGKILL of pause; app containers ${containers.map((c) => `${c.name} ${c.state}${c.pidAlive ? ' (alive)' : ''}`).join(', ')}; netns ${netnsPath && (await node.pathExists(netnsPath)) ? 'still present' : 'gone'}`;
    expect(notReady.state, 'sandbox state').to.equal('notready');
    expect(pauseAlive, `pause ${pause.pid} alive`).to.equal(false);
  });

  it('under a kubelet: a new sandbox (attempt + 1) with the containers restarted', async function () {
    if (!target().capabilities.kubelet) skipBecause(this, 'no kubelet here: nothing recreates the sandbox at the CRI level (previous check)');
    const ev = evidence(this);
    const node = target().node;
    const oldId = pod().sandboxId;
    const newId = await step(this, 'wait for the kubelet to make a new sandbox', () => pollUntil(
      async () => {
        const id = await target().pods.currentSandboxId(pod());
        return id && id !== oldId ? { done: true, value: id } : { done: false, seen: `sandbox ${id ?? 'none'}` };
      },
      { awaited: `a new sandbox for pod ${pod().name} after SIGKILL of pause ${pause.pid}`, timeoutMs: 60_000, intervalMs: 100 },
    ));
    const newSandboxAfterMs = Date.now() - killedAtMs;
    const fresh = await step(this, 'wait for the new sandbox to be READY', () => pollUntil(
      async () => {
        const facts = await node.sandbox(newId);
        return facts.state === 'ready' && facts.pausePid ? { done: true, value: facts } : { done: false, seen: `state ${facts.state}` };
      },
      { awaited: `new sandbox ${newId} READY`, timeoutMs: 30_000, intervalMs: 100 },
    ));
    const restarted = await pollUntil(
      async () => {
        const states = await Promise.all(pod().containers.map((c) => target().pods.container(pod(), c.name)));
        const notRunning = states.filter((s) => s.state !== 'running');
        return notRunning.length === 0 ? { done: true, value: states } : { done: false, seen: notRunning.map((s) => `${s.name} ${s.state}`).join(', ') };
      },
      { awaited: `every container of ${pod().name} running again`, timeoutMs: 60_000, intervalMs: 200 },
    );
    const runningAfterMs = Date.now() - killedAtMs;
    const oldSandbox = await node.sandbox(oldId);
    ev['before'] = { sandboxId: oldId, attempt: pause.sandbox.attempt, pausePid: pause.pid, ip: pause.sandbox.ip, netnsPath: pause.sandbox.netnsPath };
    ev['after'] = {
      sandboxId: newId,
      attempt: fresh.attempt,
      pausePid: fresh.pausePid,
      ip: fresh.ip,
      netnsPath: fresh.netnsPath,
      ipChanged: fresh.ip !== pause.sandbox.ip,
      oldSandboxState: oldSandbox.state,
      containers: restarted.map((s) => ({ name: s.name, id: s.id, attempt: s.attempt, restartCount: s.restartCount ?? null, restartCountBefore: restartCountsBefore.get(s.name) ?? null })),
      oldContainerIds: apps.map((a) => a.id),
    };
    ev['timings'] = { newSandboxAfterKillMs: newSandboxAfterMs, allRunningAfterKillMs: runningAfterMs };
    ev['summary'] = `new sandbox attempt ${fresh.attempt}, pause ${pause.pid} -> ${fresh.pausePid}, IP ${pause.sandbox.ip} -> ${fresh.ip} (${fresh.ip !== pause.sandbox.ip ? 'changed' : 'same'}), containers running again after ${runningAfterMs} ms`;
    expect(fresh.attempt, 'attempt of the new sandbox').to.equal(pause.sandbox.attempt + 1);
    expect(fresh.pausePid, 'new pause pid').to.not.equal(pause.pid);
    expect(await node.processAlive(pause.pid), `old pause ${pause.pid} alive`).to.equal(false);
    // "Restarted" means new containers in the new sandbox, counted by the kubelet.
    const inNewSandbox = new Set((await node.containers(newId)).map((c) => c.id));
    for (const s of restarted) {
      expect(apps.map((a) => a.id), `${s.name}: a new container id`).to.not.include(s.id);
      expect(inNewSandbox.has(s.id), `${s.name} (${s.id.slice(0, 13)}) is a container of the new sandbox ${newId.slice(0, 13)}`).to.equal(true);
      expect(s.restartCount ?? 0, `${s.name} restartCount`).to.be.greaterThan(restartCountsBefore.get(s.name) ?? 0);
    }
  });

  it('the pod with a dead pause still deletes cleanly: no pause, app process, netns, veth, IP or runtime shim left', async function () {
    const ev = evidence(this);
    const node = target().node;
    const live = pod();
    // What is there now is read here, not taken from the previous check (which may have failed or skipped).
    const killedId = live.sandboxId;
    const currentId = (await target().pods.currentSandboxId(live)) ?? killedId;
    const killed: SandboxToRemove = {
      sandboxId: killedId,
      pausePid: pause.pid,
      containerPids: apps.map((a) => a.pid),
      containerIds: apps.map((a) => a.id),
      ...optionalFacts(pause.sandbox),
      ...(vethIndex === undefined ? {} : { vethIndex }),
      notExpected: currentId === killedId ? KILLED_SANDBOX_NOT_EXPECTED : replacedSandboxNotExpected(currentId),
    };
    const sandboxes = [killed];
    if (currentId !== killedId) {
      const current = await node.sandbox(currentId);
      const containers = await node.containers(currentId);
      const containerPids = containers.flatMap((c) => (c.state === 'running' && c.pid ? [c.pid] : []));
      sandboxes.push({ sandboxId: currentId, ...(current.pausePid ? { pausePid: current.pausePid } : {}), containerPids, containerIds: containers.map((c) => c.id), ...optionalFacts(current), vethIndex: await vethOf(live, 'alpha') });
    }
    const plan = await step(this, 'see each thing present before the delete (positive controls)', () => planSandboxGone(goneTarget(target()), sandboxes));
    ev['before'] = { killedSandboxId: killedId, currentSandboxId: currentId, killedPausePid: pause.pid, controls: plan.before };
    expect(plan.controlFailures, 'positive controls before the delete').to.deep.equal([]);
    const startMs = Date.now();
    const watching = watchGone(plan, startMs, ev, { timeoutMs: 60_000, intervalMs: 50 });
    watching.catch(() => undefined);
    const deleted = await step(this, 'delete the pod while the node is watched', () => pod.deleteNow());
    const seen = await step(this, 'wait until each thing is gone from the node', () => watching);
    ev['timings'] = { deleteReturnedMs: deleted.returnedAtMs - deleted.calledAtMs, ...seen };
    if (deleted.stopErrors) ev['stopErrors'] = deleted.stopErrors;
    ev['summary'] = `${sandboxes.length} sandbox(es) of the pod deleted: ${goneLine(seen, plan)}`;
  });
});
