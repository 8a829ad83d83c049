/**
 * Suite: the container runtime restarts under running pods (the embedded node's containerd; a
 * node's containerd service). This is the property a runtime upgrade must keep: pause and the
 * app containers keep running with the same pids, namespaces and IP, the sandbox is READY again
 * once the runtime answers, and exec into the containers still works.
 */
import { expect } from 'chai';
import { evidence, skipBecause } from '../lib/report/evidence.ts';
import { step } from '../lib/report/steps.ts';
import type { NamespaceIds } from '../lib/node/node-view.ts';
import { pollUntil } from '../lib/wait.ts';
import { target, usePod } from './context.ts';
import { execText, observeContainer, observePause, type ContainerNamespaces, type PauseObservation } from './observe.ts';

interface Snapshot {
  pause: PauseObservation;
  containers: ContainerNamespaces[];
}

function nsSummary(ns: NamespaceIds): Record<string, string | undefined> {
  return { net: ns.net, ipc: ns.ipc, uts: ns.uts, pid: ns.pid, mnt: ns.mnt };
}

describe('the sandbox survives a runtime restart', function () {
  // Made only where the target can restart its runtime: elsewhere the check skips, saying why.
  const pod = usePod('trio', { when: () => target().controls.restartRuntime !== undefined, quietNode: true });

  it('pause and app containers keep their pids, namespaces and IP; the sandbox is READY again; exec works', async function () {
    const restartRuntime = target().controls.restartRuntime;
    if (!restartRuntime) skipBecause(this, `the ${target().info.provider} provider cannot restart the runtime on this target`);
    const ev = evidence(this);
    const node = target().node;
    const live = pod();
    const snapshot = async (): Promise<Snapshot> => ({
      pause: await observePause(target(), live),
      containers: await Promise.all(live.containers.map((c) => observeContainer(target(), live, c.name))),
    });
    const before = await step(this, 'observe pause and the containers before the restart', snapshot);
    const { downMs } = await step(this, 'restart the runtime', () => restartRuntime!());
    const readyAfter = Date.now();
    const sandbox = await step(this, 'wait for the sandbox to be READY again', () => pollUntil(
      async () => {
        const facts = await node.sandbox(live.sandboxId);
        return facts.state === 'ready' ? { done: true, value: facts } : { done: false, seen: `state ${facts.state}` };
      },
      { awaited: `sandbox ${live.sandboxId} READY after the runtime restart`, timeoutMs: 30_000, intervalMs: 50 },
    ));
    const readyWaitMs = Date.now() - readyAfter;
    const after = await step(this, 'observe pause and the containers after the restart', snapshot);
    // exec goes through the restarted runtime and its shims: the path kubelet probes use.
    const netInside = await step(this, 'exec in alpha through the restarted runtime', () => execText(target(), live, 'alpha', ['readlink', '/proc/self/ns/net']));
    const hostname = await step(this, 'exec in gamma through the restarted runtime', () => execText(target(), live, 'gamma', ['hostname']));

    ev['before'] = { pausePid: before.pause.pid, ip: before.pause.sandbox.ip, netnsPath: before.pause.sandbox.netnsPath, pause: nsSummary(before.pause.namespaces), containers: before.containers.map((c) => ({ name: c.name, id: c.id, pid: c.pid })) };
    ev['after'] = {
      state: sandbox.state,
      pausePid: after.pause.pid,
      ip: after.pause.sandbox.ip,
      netnsPath: after.pause.sandbox.netnsPath,
      pause: nsSummary(after.pause.namespaces),
      containers: after.containers.map((c) => ({ name: c.name, id: c.id, pid: c.pid })),
      execNetInAlpha: netInside,
      execHostnameInGamma: hostname,
    };
    ev['timings'] = { runtimeDownMs: downMs, readyWaitMs };
    ev['summary'] = `runtime down ${downMs} ms; pause ${before.pause.pid} -> ${after.pause.pid}, IP ${before.pause.sandbox.ip} -> ${after.pause.sandbox.ip}, ${after.containers.filter((c, i) => c.pid === before.containers[i]?.pid).length}/${before.containers.length} container pids unchanged, exec works`;

    expect(sandbox.state, 'sandbox state').to.equal('ready');
    expect(after.pause.pid, 'pause pid').to.equal(before.pause.pid);
    // The same live process on both sides, so its namespace inodes are comparable across the restart.
    expect(nsSummary(after.pause.namespaces), 'pause namespaces').to.deep.equal(nsSummary(before.pause.namespaces));
    expect(after.pause.sandbox.ip, 'pod IP').to.equal(before.pause.sandbox.ip);
    expect(after.pause.sandbox.netnsPath, 'netns path').to.equal(before.pause.sandbox.netnsPath);
    for (const [i, c] of after.containers.entries()) {
      const was = before.containers[i]!;
      expect(c.pid, `${c.name} pid`).to.equal(was.pid);
      expect(nsSummary(c.namespaces), `${c.name} namespaces`).to.deep.equal(nsSummary(was.namespaces));
    }
    expect(netInside, 'net namespace seen by exec in alpha').to.equal(before.pause.namespaces.net);
    expect(hostname, 'exec in gamma').to.not.equal('');
  });
});
