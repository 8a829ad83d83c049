/**
 * Suite 1: the pause process holds the pod's IP and network namespace. Every container's net
 * namespace is pause's; the IP each container sees on eth0 is the sandbox's pod IP; two
 * containers talk over 127.0.0.1.
 */
import { expect } from 'chai';
import { evidence } from '../lib/report/evidence.ts';
import { step } from '../lib/report/steps.ts';
import { target, usePod } from './context.ts';
import { eth0Address, execText, observeContainer, observePause } from './observe.ts';

describe('pause holds the pod IP and network namespace', function () {
  const pod = usePod('trio');

  it('every container shares the net namespace of the pause process', async function () {
    const ev = evidence(this);
    const pause = await step(this, 'observe the pause process and its namespaces', () => observePause(target(), pod()));
    ev['sandboxId'] = pod().sandboxId;
    ev['pausePid'] = pause.pid;
    ev['pauseCommand'] = pause.command;
    ev['pauseNet'] = pause.namespaces.net;
    const containers = await step(this, "read each container's namespaces from the node", () => Promise.all(pod().containers.map((c) => observeContainer(target(), pod(), c.name))));
    const inside = await step(this, 'read /proc/self/ns/net inside each container', () => Promise.all(pod().containers.map((c) => execText(target(), pod(), c.name, ['readlink', '/proc/self/ns/net']))));
    ev['containers'] = containers.map((c, i) => ({ name: c.name, pid: c.pid, net: c.namespaces.net, netSeenInside: inside[i] }));
    const shared = containers.filter((c, i) => c.namespaces.net === pause.namespaces.net && inside[i] === pause.namespaces.net);
    ev['summary'] = `net ns ${pause.namespaces.net} shared by ${shared.length}/${containers.length} containers`;
    expect(pause.namespaces.net, 'pause net namespace').to.match(/^net:\[\d+\]$/);
    for (const [i, c] of containers.entries()) {
      expect(c.pid, `${c.name} runs as its own process, not pause`).to.not.equal(pause.pid);
      expect(c.namespaces.net, `${c.name} net namespace seen from the node`).to.equal(pause.namespaces.net);
      expect(inside[i], `${c.name} net namespace seen from inside`).to.equal(pause.namespaces.net);
    }
  });

  it("the IP each container sees on eth0 is the sandbox's pod IP", async function () {
    const ev = evidence(this);
    const sandbox = await step(this, "read the sandbox's pod IP from the runtime", () => target().node.sandbox(pod().sandboxId));
    ev['podIp'] = sandbox.ip;
    ev['netnsPath'] = sandbox.netnsPath;
    const addresses = await step(this, 'read the IPv4 address on eth0 in each container', () => Promise.all(pod().containers.map((c) => eth0Address(target(), pod(), c.name))));
    ev['eth0'] = Object.fromEntries(pod().containers.map((c, i) => [c.name, addresses[i]]));
    ev['summary'] = `pod IP ${sandbox.ip}; eth0 in ${pod().containers.length} containers: ${[...new Set(addresses)].join(', ')}`;
    expect(sandbox.ip, 'sandbox pod IP').to.match(/^\d+\.\d+\.\d+\.\d+$/);
    for (const [i, c] of pod().containers.entries()) expect(addresses[i], `eth0 of ${c.name}`).to.equal(sandbox.ip);
  });

  it('two containers talk over 127.0.0.1', async function () {
    const ev = evidence(this);
    // The listener serves its own netns id; reading it back over loopback from another container
    // proves the connection stayed inside one shared namespace.
    const started = Date.now();
    // busybox nc, not wget: the static busybox's wget crashes in its resolver even for literal IPs.
    const response = await step(this, 'alpha asks the listener over 127.0.0.1:18080', () => execText(target(), pod(), 'alpha', ['sh', '-c', "printf 'GET /netns HTTP/1.0\\r\\n\\r\\n' | nc -w 5 127.0.0.1 18080"]));
    const body = response.split(/\r?\n\r?\n/).slice(1).join('\n').trim();
    const listener = await step(this, "read the listener's net namespace from the node", () => observeContainer(target(), pod(), 'listener'));
    ev['client'] = 'alpha';
    ev['server'] = 'listener 127.0.0.1:18080';
    ev['received'] = body;
    ev['statusLine'] = response.split('\n')[0]?.trim();
    ev['listenerNet'] = listener.namespaces.net;
    ev['timings'] = { requestMs: Date.now() - started };
    ev['summary'] = `alpha read "${body}" from listener over 127.0.0.1:18080`;
    expect(body).to.equal(listener.namespaces.net);
  });
});
