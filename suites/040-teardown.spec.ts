/**
 * Suite 4: deleting the pod tears its sandbox down. After the delete: the pause process is gone,
 * no container of the pod is left, the netns bind mount is gone, the pod's veth is gone from the
 * bridge, and the IP is released from the IPAM store. The time from the delete call to each is
 * measured by watching the node while the delete runs (the API's "deleted" is not the node's).
 */
import { expect } from 'chai';
import { evidence } from '../lib/report/evidence.ts';
import type { PodRef } from '../lib/pods/pod-driver.ts';
import type { Condition } from '../lib/report/first-seen.ts';
import { watchFirstSeen } from '../lib/report/first-seen.ts';
import { timelineEvidence } from '../lib/report/timeline.ts';
import { fixture, target } from './context.ts';
import { execText, observePause, type PauseObservation } from './observe.ts';

describe('deleting the pod tears the sandbox down', function () {
  let pod: PodRef | undefined;
  let pause: PauseObservation;
  let vethIndex: number;
  let vethName: string | undefined;
  let vethMaster: string | undefined;
  let containerPids: number[] = [];

  before(async function () {
    pod = await target().pods.create(await fixture('trio'));
    pause = await observePause(target(), pod);
    // eth0's iflink inside the pod is the ifindex of its veth peer on the node.
    vethIndex = Number(await execText(target(), pod, 'alpha', ['cat', '/sys/class/net/eth0/iflink']));
    const link = await target().node.link(vethIndex);
    vethName = link?.name;
    vethMaster = link?.master;
    const facts = await target().node.containers(pod.sandboxId);
    containerPids = facts.flatMap((c) => (c.pid ? [c.pid] : []));
  });

  after(async function () {
    if (pod) await target().pods.delete(pod).catch(() => undefined);
  });

  it('pause, containers, netns, veth and IP are all gone after delete, each timed', async function () {
    const ev = evidence(this);
    const node = target().node;
    const livePod = pod!;
    const ip = pause.sandbox.ip!;
    const netnsPath = pause.sandbox.netnsPath;
    ev['before'] = {
      sandboxId: livePod.sandboxId,
      pausePid: pause.pid,
      containerPids,
      netnsPath,
      ip,
      veth: vethName ? { name: vethName, ifindex: vethIndex, master: vethMaster } : null,
      ipAllocated: await node.ipAllocated(ip),
    };
    expect(vethName, `host link with ifindex ${vethIndex} (eth0's peer)`).to.be.a('string');

    const conditions: Record<string, Condition> = {
      pauseGone: async () => !(await node.processAlive(pause.pid)),
      containersGone: async () => (await Promise.all(containerPids.map((pid) => node.processAlive(pid)))).every((alive) => !alive) && (await node.containers(livePod.sandboxId)).every((c) => c.state !== 'running'),
      sandboxNotReady: async () => (await node.sandbox(livePod.sandboxId)).state !== 'ready',
      vethGone: async () => (await node.link(vethIndex)) === undefined,
    };
    if (netnsPath) conditions['netnsGone'] = async () => !(await node.pathExists(netnsPath));
    if (target().capabilities.ipamVisible) conditions['ipReleased'] = async () => (await node.ipAllocated(ip)) === false;

    const startMs = Date.now();
    const watching = watchFirstSeen(conditions, startMs, { timeoutMs: 60_000 });
    const deleted = await target().pods.delete(livePod);
    pod = undefined;
    const seen = await watching;
    const finalSandbox = await node.sandbox(livePod.sandboxId);
    const leftContainers = await node.containers(livePod.sandboxId);
    ev['timings'] = { deleteReturnedMs: deleted.returnedAtMs - startMs, ...seen };
    const seenAt = Object.fromEntries(Object.entries(seen).map(([name, ms]) => [name, startMs + ms]));
    ev['timeline'] = timelineEvidence(livePod.name, { created: livePod.createdAtMs, ready: livePod.readyAtMs, deleteCalled: startMs, ...seenAt, deleteReturned: deleted.returnedAtMs });
    ev['after'] = { sandboxState: finalSandbox.state, containersListed: leftContainers.length, ipAllocated: await node.ipAllocated(ip) };
    ev['summary'] = `after delete: ${Object.entries(seen).map(([k, v]) => `${k} +${v} ms`).join(', ')}`;
    expect(await node.processAlive(pause.pid), 'pause process alive').to.equal(false);
    expect(leftContainers.filter((c) => c.state === 'running'), 'running containers of the pod').to.deep.equal([]);
    if (netnsPath) expect(await node.pathExists(netnsPath), `netns ${netnsPath} exists`).to.equal(false);
    expect(await node.link(vethIndex), `veth ${vethName}`).to.equal(undefined);
    if (target().capabilities.ipamVisible) expect(await node.ipAllocated(ip), `IP ${ip} in IPAM`).to.equal(false);
  });
});
