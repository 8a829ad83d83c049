/**
 * Suite: the pause process dies (SIGKILL from the node). At the CRI level, with no kubelet, the
 * sandbox turns NOT_READY and the check records what becomes of the app containers and the netns.
 * Under a kubelet, a new sandbox (attempt + 1) is made and the containers are restarted in it: the
 * check records the new pause pid and whether the pod IP changed (on a real node: new IP, new
 * netns, restartCount 1, see shared/recorded/OBSERVATIONS.md a). Either way the pod must still
 * delete cleanly: no pause, no app process, no netns and no IP left.
 */
import { expect } from 'chai';
import { evidence, skipBecause } from '../lib/report/evidence.ts';
import type { PodRef } from '../lib/pods/pod-driver.ts';
import type { SandboxFacts } from '../lib/node/node-view.ts';
import { pollUntil } from '../lib/wait.ts';
import { fixture, target } from './context.ts';
import { observeContainer, observePause, type ContainerNamespaces, type PauseObservation } from './observe.ts';

describe('the pause process dies', function () {
  let pod: PodRef | undefined;
  let pause: PauseObservation;
  let apps: ContainerNamespaces[] = [];
  let killedAtMs = 0;
  /** Pause processes and netns paths this pod had; all must be gone after the delete. */
  const pausePids = new Set<number>();
  const appPids = new Set<number>();
  const netnsPaths = new Set<string>();
  const ips = new Set<string>();

  const remember = (sandbox: SandboxFacts): void => {
    if (sandbox.pausePid) pausePids.add(sandbox.pausePid);
    if (sandbox.netnsPath) netnsPaths.add(sandbox.netnsPath);
    if (sandbox.ip) ips.add(sandbox.ip);
  };

  before(async function () {
    pod = await target().pods.create(await fixture('trio'));
    pause = await observePause(target(), pod);
    apps = await Promise.all(pod.containers.map((c) => observeContainer(target(), pod!, c.name)));
    remember(pause.sandbox);
    for (const app of apps) appPids.add(app.pid);
    killedAtMs = Date.now();
    await target().node.kill(pause.pid, 'KILL');
  });

  after(async function () {
    if (pod) await target().pods.delete(pod).catch(() => undefined);
  });

  it('CRI level: the sandbox turns NOT_READY; app containers and netns are recorded', async function () {
    if (target().capabilities.kubelet) skipBecause(this, 'a kubelet runs the pods here: it replaces the sandbox (next check)');
    const ev = evidence(this);
    const node = target().node;
    const notReady = await pollUntil(
      async () => {
        const facts = await node.sandbox(pod!.sandboxId);
        return facts.state !== 'ready' ? { done: true, value: facts } : { done: false, seen: `state ${facts.state}, pid ${facts.pausePid}` };
      },
      { awaited: `sandbox ${pod!.sandboxId} NOT_READY after SIGKILL of pause ${pause.pid}`, timeoutMs: 10_000 },
    );
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
    ev['before'] = { sandboxId: pod!.sandboxId, pausePid: pause.pid, ip, netnsPath, appPids: apps.map((a) => a.pid) };
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
    const oldId = pod!.sandboxId;
    const newId = await pollUntil(
      async () => {
        const id = await target().pods.currentSandboxId(pod!);
        return id && id !== oldId ? { done: true, value: id } : { done: false, seen: `sandbox ${id ?? 'none'}` };
      },
      { awaited: `a new sandbox for pod ${pod!.name} after SIGKILL of pause ${pause.pid}`, timeoutMs: 60_000, intervalMs: 100 },
    );
    const newSandboxAfterMs = Date.now() - killedAtMs;
    const fresh = await pollUntil(
      async () => {
        const facts = await node.sandbox(newId);
        return facts.state === 'ready' && facts.pausePid ? { done: true, value: facts } : { done: false, seen: `state ${facts.state}` };
      },
      { awaited: `new sandbox ${newId} READY`, timeoutMs: 30_000, intervalMs: 100 },
    );
    const restarted = await pollUntil(
      async () => {
        const states = await Promise.all(pod!.containers.map((c) => target().pods.container(pod!, c.name)));
        const notRunning = states.filter((s) => s.state !== 'running');
        return notRunning.length === 0 ? { done: true, value: states } : { done: false, seen: notRunning.map((s) => `${s.name} ${s.state}`).join(', ') };
      },
      { awaited: `every container of ${pod!.name} running again`, timeoutMs: 60_000, intervalMs: 200 },
    );
    const runningAfterMs = Date.now() - killedAtMs;
    remember(fresh);
    for (const c of await node.containers(newId)) if (c.pid) appPids.add(c.pid);
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
      containers: restarted.map((s) => ({ name: s.name, id: s.id, attempt: s.attempt, restartCount: s.restartCount ?? null })),
    };
    ev['timings'] = { newSandboxAfterKillMs: newSandboxAfterMs, allRunningAfterKillMs: runningAfterMs };
    ev['summary'] = `new sandbox attempt ${fresh.attempt}, pause ${pause.pid} -> ${fresh.pausePid}, IP ${pause.sandbox.ip} -> ${fresh.ip} (${fresh.ip !== pause.sandbox.ip ? 'changed' : 'same'}), containers running again after ${runningAfterMs} ms`;
    expect(fresh.attempt, 'attempt of the new sandbox').to.equal(pause.sandbox.attempt + 1);
    expect(fresh.pausePid, 'new pause pid').to.not.equal(pause.pid);
    expect(await node.processAlive(pause.pid), `old pause ${pause.pid} alive`).to.equal(false);
  });

  it('the pod with a dead pause still deletes cleanly: no pause, app process, netns or IP left', async function () {
    const ev = evidence(this);
    const node = target().node;
    const live = pod!;
    const deleted = await target().pods.delete(live);
    pod = undefined;
    // A kubelet finishes the node side after the API delete returns: wait for it, with a deadline.
    const left = await pollUntil(
      async () => {
        const remaining: string[] = [];
        for (const pid of pausePids) if (await node.processAlive(pid)) remaining.push(`pause ${pid}`);
        for (const pid of appPids) if (await node.processAlive(pid)) remaining.push(`app ${pid}`);
        for (const path of netnsPaths) if (await node.pathExists(path)) remaining.push(`netns ${path}`);
        for (const ip of ips) if ((await node.ipAllocated(ip)) === true) remaining.push(`IP ${ip}`);
        return remaining.length === 0 ? { done: true, value: remaining } : { done: false, seen: remaining.join(', ') };
      },
      { awaited: `pod ${live.name} torn down on the node`, timeoutMs: 60_000, intervalMs: 50 },
    );
    ev['checked'] = { pausePids: [...pausePids], appPids: [...appPids], netnsPaths: [...netnsPaths], ips: [...ips], ipamVisible: target().capabilities.ipamVisible };
    ev['left'] = left;
    ev['timings'] = { deleteReturnedMs: deleted.returnedAtMs - deleted.calledAtMs, nodeCleanMs: Date.now() - deleted.calledAtMs };
    ev['summary'] = `deleted: ${pausePids.size} pause, ${appPids.size} app pids, ${netnsPaths.size} netns, ${ips.size} IP all gone ${Date.now() - deleted.calledAtMs} ms after the delete call`;
    expect(left).to.deep.equal([]);
  });
});
