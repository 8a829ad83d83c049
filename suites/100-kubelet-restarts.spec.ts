/**
 * Kubernetes only: what the kubelet does with a pod's sandbox. Measured on a real node
 * (docs/observations.md b, c, e):
 * - restartPolicy Always / OnFailure: an exited container is restarted in the same sandbox
 *   (same pause process, same pod IP), and its restartCount grows;
 * - restartPolicy Never: once every container has exited the pod is terminal and the kubelet
 *   stops the sandbox (pause, netns and the IP on the node are gone) while status.podIP still
 *   shows the IP;
 * - status.podIP / podIPs is the sandbox's IP and the IP every container sees;
 * - deleting the pod: the API object goes, and on the node the sandbox stops, pause, the
 *   containers, the netns and the IP go; each is timed (the API's "deleted" is not the node's).
 * Targets without a kubelet (the CRI level) skip these checks, with the reason printed.
 */
import { expect } from 'chai';
import { evidence, skipBecause } from '../lib/report/evidence.ts';
import { step } from '../lib/report/steps.ts';
import { hasApiStatus, type ApiStatusSource, type PodDriver, type PodRef } from '../lib/pods/pod-driver.ts';
import type { Condition } from '../lib/report/first-seen.ts';
import { watchFirstSeen } from '../lib/report/first-seen.ts';
import { notCheckedLine, planSandboxGone } from '../lib/report/sandbox-gone.ts';
import { watchGone } from '../lib/report/gone-watch.ts';
import { pollUntil } from '../lib/wait.ts';
import { fixture, target } from './context.ts';
import { eth0Address, execText, goneTarget, observeContainer, observePause, optionalFacts } from './observe.ts';
import { isTerminalPhase } from '../lib/kube/pod-status.ts';

/** The pod driver with the API side, or a skip that says why there is none. */
function kubeletPods(context: Mocha.Context): PodDriver & ApiStatusSource {
  if (!target().capabilities.kubelet) skipBecause(context, `no kubelet on the ${target().info.provider} target: restart policies, terminal pods and the pod's API status are kubelet behaviour`);
  const pods = target().pods;
  if (!hasApiStatus(pods)) skipBecause(context, `the ${target().info.provider} pod driver does not expose the pod's API status`);
  return pods;
}

/** Makes the container's trigger file: the fixtures' commands exit once it exists. */
async function trigger(pod: PodRef, container: string): Promise<void> {
  await execText(target(), pod, container, ['touch', '/tmp/exit-now']);
}

describe('the kubelet and the sandbox: restarts, terminal pods, pod IP, delete', function () {
  const made: PodRef[] = [];

  afterEach(async function () {
    while (made.length > 0) await target().pods.delete(made.pop()!);
  });

  for (const policy of ['Always', 'OnFailure'] as const) {
    it(`restartPolicy ${policy}: an exited container is restarted in the same sandbox, same pause and IP, restartCount + 1`, async function () {
      const pods = kubeletPods(this);
      const ev = evidence(this);
      const pod = await pods.create(await fixture(`restart-${policy.toLowerCase()}`));
      made.push(pod);
      const pause = await observePause(target(), pod);
      const before = await pods.container(pod, 'flap');
      const triggeredAt = Date.now();
      await step(this, 'make flap exit', () => trigger(pod, 'flap'));
      const exited = await step(this, 'wait for flap to exit', () => pods.waitForExit(pod, 'flap', 30_000));
      const exitSeenMs = Date.now() - triggeredAt;
      const restarted = await step(this, 'wait for the kubelet to restart flap', () => pollUntil(
        async () => {
          const now = await pods.container(pod, 'flap');
          return now.state === 'running' && now.id !== before.id ? { done: true, value: now } : { done: false, seen: `flap ${now.state}, restartCount ${now.restartCount ?? '?'}` };
        },
        { awaited: `container flap of ${pod.name} running again after its exit`, timeoutMs: 60_000, intervalMs: 250 },
      ));
      const restartedMs = Date.now() - triggeredAt;
      const sandboxNow = await pods.currentSandboxId(pod);
      const sandbox = await target().node.sandbox(pod.sandboxId);
      const flap = await observeContainer(target(), pod, 'flap');
      const address = await eth0Address(target(), pod, 'flap');
      const api = await pods.apiStatus(pod);
      ev['before'] = { sandboxId: pod.sandboxId, pausePid: pause.pid, ip: pause.sandbox.ip, net: pause.namespaces.net, flap: { id: before.id, restartCount: before.restartCount ?? null } };
      ev['exit'] = { id: exited.id, exitCode: exited.exitCode ?? null };
      ev['after'] = {
        sandboxId: sandboxNow ?? null,
        sandboxState: sandbox.state,
        pausePid: sandbox.pausePid ?? null,
        pauseAlive: await target().node.processAlive(pause.pid),
        ip: sandbox.ip ?? null,
        flap: { id: restarted.id, pid: flap.pid, net: flap.namespaces.net, eth0: address, restartCount: restarted.restartCount ?? null },
        podIP: api.podIP,
      };
      ev['timings'] = { exitSeenMs, runningAgainMs: restartedMs };
      ev['summary'] = `${policy}: flap exited ${exited.exitCode}, restarted after ${restartedMs} ms (restartCount ${before.restartCount} -> ${restarted.restartCount}) in sandbox ${sandboxNow === pod.sandboxId ? 'unchanged' : 'CHANGED'}, pause ${pause.pid}, IP ${sandbox.ip}`;
      expect(exited.exitCode, 'exit code of flap').to.equal(3);
      expect(sandboxNow, 'current sandbox').to.equal(pod.sandboxId);
      expect(sandbox.state, 'sandbox state').to.equal('ready');
      expect(sandbox.pausePid, 'pause pid').to.equal(pause.pid);
      expect(sandbox.ip, 'sandbox IP').to.equal(pause.sandbox.ip);
      expect(restarted.restartCount, 'restartCount').to.equal((before.restartCount ?? 0) + 1);
      expect(flap.namespaces.net, 'net namespace of the new flap').to.equal(pause.namespaces.net);
      expect(address, 'eth0 of the new flap').to.equal(pause.sandbox.ip);
    });
  }

  it('restartPolicy Never: once every container exited, the kubelet stops the sandbox (pause, netns, IP on the node) while status.podIP keeps the IP', async function () {
    const pods = kubeletPods(this);
    const ev = evidence(this);
    const node = target().node;
    const pod = await pods.create(await fixture('never-exits'));
    made.push(pod);
    const pause = await observePause(target(), pod);
    const ip = pause.sandbox.ip ?? '';
    const netnsPath = pause.sandbox.netnsPath;
    const apiBefore = await pods.apiStatus(pod);
    const containers = await node.containers(pod.sandboxId);
    const containerPids = containers.flatMap((c) => (c.pid ? [c.pid] : []));
    const containerIds = containers.map((c) => c.id);
    // Each thing seen there before the exits, so "stopped" cannot pass on a wrong path at +0 ms.
    const plan = await step(this, 'see each thing present before the exits (positive controls)', () => planSandboxGone(goneTarget(target()), [{ sandboxId: pod.sandboxId, pausePid: pause.pid, containerPids, containerIds, ...optionalFacts(pause.sandbox) }]));
    expect(plan.controlFailures, 'positive controls before the exits').to.deep.equal([]);
    // The API side is watched, not polled: the phase turning terminal is an event.
    const terminal = pods.waitForApiStatus(pod, 'phase Succeeded or Failed', (status) => isTerminalPhase(status.phase), 90_000);
    terminal.catch(() => undefined);
    await trigger(pod, 'ok');
    await trigger(pod, 'fail');
    const exits = await step(this, 'wait for ok and fail to exit', async () => [await pods.waitForExit(pod, 'ok', 30_000), await pods.waitForExit(pod, 'fail', 30_000)]);
    const lastExitSeenAt = Date.now();
    // What a stopped (not removed) sandbox must have let go of; the shim is the removal's (delete check).
    const { sandboxNotReady, pauseGone, netnsGone, ipReleased } = plan.conditions;
    const conditions: Record<string, Condition> = { sandboxNotReady: sandboxNotReady!, pauseGone: pauseGone! };
    if (netnsGone) conditions['netnsGone'] = netnsGone;
    if (ipReleased) conditions['ipReleased'] = ipReleased;
    const seen = await watchFirstSeen(conditions, lastExitSeenAt, { timeoutMs: 60_000, intervalMs: 50 });
    const apiTerminal = await terminal;
    const apiAfter = await pods.apiStatus(pod);
    const after = await Promise.all(['ok', 'fail'].map((name) => pods.container(pod, name)));
    ev['before'] = { sandboxId: pod.sandboxId, pausePid: pause.pid, netnsPath: netnsPath ?? null, ip, podIP: apiBefore.podIP, phase: apiBefore.phase, controls: plan.before };
    ev['notChecked'] = { ...plan.notChecked };
    ev['exits'] = exits.map((exit) => ({ name: exit.name, exitCode: exit.exitCode ?? null }));
    ev['after'] = {
      phase: apiAfter.phase,
      podIP: apiAfter.podIP,
      podIPs: apiAfter.podIPs,
      conditions: apiAfter.conditions,
      restartCounts: Object.fromEntries(after.map((c) => [c.name, c.restartCount ?? null])),
      ipamVisible: target().capabilities.ipamVisible,
    };
    ev['timings'] = { ...seen, apiTerminalMs: apiTerminal.seenAtMs - lastExitSeenAt };
    ev['summary'] = `after the last exit: ${Object.entries(seen).map(([k, v]) => `${k} +${v} ms`).join(', ')}${notCheckedLine(plan.notChecked)}, phase ${apiAfter.phase} +${apiTerminal.seenAtMs - lastExitSeenAt} ms; status.podIP still ${apiAfter.podIP || 'unset'}`;
    expect(exits.map((exit) => exit.exitCode), 'exit codes of ok, fail').to.deep.equal([0, 1]);
    expect(apiAfter.phase, 'phase').to.equal('Failed');
    expect(apiAfter.podIP, 'status.podIP after the sandbox stopped').to.equal(ip);
    expect(after.map((c) => c.restartCount), 'restartCount of ok, fail').to.deep.equal([0, 0]);
  });

  it('status.podIP and podIPs are the sandbox IP and the IP on eth0 of every container', async function () {
    const pods = kubeletPods(this);
    const ev = evidence(this);
    const pod = await pods.create(await fixture('trio'));
    made.push(pod);
    const sandbox = await target().node.sandbox(pod.sandboxId);
    const api = await pods.apiStatus(pod);
    const addresses = await Promise.all(pod.containers.map((c) => eth0Address(target(), pod, c.name)));
    ev['sandboxIp'] = sandbox.ip;
    ev['podIP'] = api.podIP;
    ev['podIPs'] = api.podIPs;
    ev['eth0'] = Object.fromEntries(pod.containers.map((c, i) => [c.name, addresses[i]]));
    ev['summary'] = `status.podIP ${api.podIP}, podIPs ${api.podIPs.join(', ')}, sandbox ${sandbox.ip}, eth0 ${[...new Set(addresses)].join(', ')}`;
    expect(sandbox.ip, 'sandbox IP').to.match(/^\d+\.\d+\.\d+\.\d+$|:/);
    expect(api.podIP, 'status.podIP').to.equal(sandbox.ip);
    expect(api.podIPs, 'status.podIPs').to.include(sandbox.ip);
    for (const [i, c] of pod.containers.entries()) expect(addresses[i], `eth0 of ${c.name}`).to.equal(sandbox.ip);
  });

  it('delete: the API object goes, and the sandbox stops, pause, containers, netns, veth, IP and the runtime\'s shim go on the node, each timed', async function () {
    const pods = kubeletPods(this);
    const node = target().node;
    const pod = await pods.create(await fixture('trio'));
    made.push(pod);
    const pause = await observePause(target(), pod);
    const ip = pause.sandbox.ip ?? '';
    const netnsPath = pause.sandbox.netnsPath;
    const containers = await node.containers(pod.sandboxId);
    const containerPids = containers.flatMap((c) => (c.pid ? [c.pid] : []));
    const containerIds = containers.map((c) => c.id);
    const vethIndex = Number(await execText(target(), pod, 'alpha', ['cat', '/sys/class/net/eth0/iflink']));
    const plan = await step(this, 'see each thing present before the delete (positive controls)', () => planSandboxGone(goneTarget(target()), [{ sandboxId: pod.sandboxId, pausePid: pause.pid, containerPids, containerIds, ...optionalFacts(pause.sandbox), vethIndex }]));
    expect(plan.controlFailures, 'positive controls before the delete').to.deep.equal([]);
    const ev = evidence(this);
    const startMs = Date.now();
    const watching = watchGone(plan, startMs, ev, { timeoutMs: 90_000, intervalMs: 20 });
    watching.catch(() => undefined);
    const deleted = await step(this, 'delete the pod while the node is watched', () => pods.delete(pod));
    made.splice(made.indexOf(pod), 1);
    const seen = await step(this, 'wait until each thing is gone from the node', () => watching);
    const finalSandbox = await node.sandbox(pod.sandboxId);
    const timings: Record<string, number> = { ...seen, deleteReturnedMs: deleted.returnedAtMs - startMs };
    if (deleted.apiReturnedAtMs !== undefined) timings['apiDeleteReturnedMs'] = deleted.apiReturnedAtMs - startMs;
    if (deleted.objectGoneAtMs !== undefined) timings['apiObjectGoneMs'] = deleted.objectGoneAtMs - startMs;
    const order = Object.entries(timings).sort((a, b) => a[1] - b[1]).map(([name, ms]) => `${name} +${ms} ms`);
    ev['before'] = { sandboxId: pod.sandboxId, pausePid: pause.pid, containerPids, netnsPath: netnsPath ?? null, ip, controls: plan.before };
    ev['timings'] = timings;
    // The sandbox record stays in the runtime (NotReady) until the kubelet's GC removes it (~46 s measured): not awaited.
    ev['after'] = { sandboxState: finalSandbox.state, ipamVisible: target().capabilities.ipamVisible };
    ev['summary'] = `in order: ${order.join(', ')}${notCheckedLine(plan.notChecked)}; sandbox record ${finalSandbox.state === 'gone' ? 'removed' : `still listed (${finalSandbox.state}) until the kubelet's GC`}`;
    expect(timings['apiObjectGoneMs'], 'time a watch saw the API object gone').to.be.a('number');
    expect(finalSandbox.state, 'sandbox').to.not.equal('ready');
  });
});
