/**
 * Suite 3: the sandbox survives app-container exits. Containers that exit 0, exit non-zero and
 * are SIGKILLed leave the sandbox READY with the same pause pid alive, the same netns path present
 * and the same IP; a new container attempt in that sandbox joins the same namespaces and IP.
 */
import { expect } from 'chai';
import { evidence, skipBecause } from '../lib/report/evidence.ts';
import { step } from '../lib/report/steps.ts';
import type { ContainerObservation } from '../lib/pods/pod-driver.ts';
import type { SandboxFacts } from '../lib/node/node-view.ts';
import { target, usePod } from './context.ts';
import { eth0Address, observeContainer, observePause, type PauseObservation } from './observe.ts';

describe('the sandbox survives app-container exits', function () {
  const pod = usePod('exits');
  let before0: PauseObservation;
  const exits: Record<string, ContainerObservation> = {};

  before(async function () {
    before0 = await observePause(target(), pod());
  });

  it('containers exit 0, exit non-zero and die by SIGKILL', async function () {
    const ev = evidence(this);
    const victim = await step(this, "read the victim's pid from the node", () => observeContainer(target(), pod(), 'victim'));
    ev['victimPid'] = victim.pid;
    const killedAt = Date.now();
    await step(this, `SIGKILL the victim (pid ${victim.pid})`, () => target().node.kill(victim.pid, 'KILL'));
    for (const name of ['exit-zero', 'exit-nonzero', 'victim']) exits[name] = await step(this, `wait for ${name} to exit`, () => target().pods.waitForExit(pod(), name, 30_000));
    ev['exits'] = Object.fromEntries(Object.entries(exits).map(([name, o]) => [name, { id: o.id, exitCode: o.exitCode ?? null }]));
    ev['timings'] = { victimExitSeenMs: Date.now() - killedAt };
    ev['summary'] = `exit codes: exit-zero ${exits['exit-zero']?.exitCode}, exit-nonzero ${exits['exit-nonzero']?.exitCode}, victim ${exits['victim']?.exitCode}`;
    expect(exits['exit-zero']?.exitCode, 'exit-zero').to.equal(0);
    expect(exits['exit-nonzero']?.exitCode, 'exit-nonzero').to.equal(3);
    expect(exits['victim']?.exitCode, 'victim (SIGKILL = 128+9)').to.equal(137);
  });

  it('the sandbox stays READY with the same pause pid, netns and IP', async function () {
    const ev = evidence(this);
    if (Object.keys(exits).length < 3) throw new Error('the exits did not all happen (see the check before)');
    const after: SandboxFacts = await step(this, 'read the sandbox from the runtime', () => target().node.sandbox(pod().sandboxId));
    const alive = await step(this, `look for pause (pid ${before0.pid}) on the node`, () => target().node.processAlive(before0.pid));
    const netnsPresent = before0.sandbox.netnsPath ? await step(this, 'look for the netns bind mount', () => target().node.pathExists(before0.sandbox.netnsPath!)) : false;
    const pauseNsNow = alive ? await step(this, "read pause's namespaces", () => target().node.namespaces(before0.pid)) : {};
    ev['before'] = { state: before0.sandbox.state, pausePid: before0.pid, netnsPath: before0.sandbox.netnsPath, ip: before0.sandbox.ip, net: before0.namespaces.net };
    ev['after'] = { state: after.state, pausePid: after.pausePid, pauseAlive: alive, netnsPresent, ip: after.ip, net: pauseNsNow.net };
    ev['summary'] = `after 3 exits: sandbox ${after.state}, pause ${before0.pid} ${alive ? 'alive' : 'GONE'}, IP ${after.ip}`;
    expect(after.state, 'sandbox state').to.equal('ready');
    expect(after.pausePid, 'pause pid').to.equal(before0.pid);
    expect(alive, `pause process ${before0.pid} alive`).to.equal(true);
    expect(netnsPresent, `netns ${before0.sandbox.netnsPath} present`).to.equal(true);
    expect(pauseNsNow.net, 'pause net namespace').to.equal(before0.namespaces.net);
    expect(after.ip, 'pod IP').to.equal(before0.sandbox.ip);
  });

  it('a new container attempt joins the same namespaces and IP', async function () {
    const ev = evidence(this);
    const pods = target().pods;
    if (!target().capabilities.containerAttempts || !pods.restartContainer) {
      skipBecause(this, 'on this target the kubelet, not the harness, starts new attempts (see the restart-policy suites)');
    }
    const previous = pod().containers.find((c) => c.name === 'victim')!;
    const ref = await step(this, 'start a new attempt of the victim', () => pods.restartContainer!(pod(), 'victim'));
    const restarted = await step(this, "read the new attempt's namespaces from the node", () => observeContainer(target(), pod(), 'victim'));
    const address = await step(this, "read the new attempt's eth0 address", () => eth0Address(target(), pod(), 'victim'));
    ev['previousAttempt'] = { id: previous.id, attempt: previous.attempt };
    ev['newAttempt'] = { id: ref.id, attempt: ref.attempt, pid: restarted.pid, ...restarted.namespaces, eth0: address };
    ev['pause'] = { pid: before0.pid, ...before0.namespaces, ip: before0.sandbox.ip };
    ev['summary'] = `victim attempt ${ref.attempt} (pid ${restarted.pid}) joined net ${restarted.namespaces.net}, IP ${address}`;
    expect(ref.attempt).to.equal(previous.attempt + 1);
    expect(ref.id).to.not.equal(previous.id);
    for (const kind of ['net', 'ipc', 'uts'] as const) expect(restarted.namespaces[kind], `${kind} namespace`).to.equal(before0.namespaces[kind]);
    expect(address, 'eth0 of the new attempt').to.equal(before0.sandbox.ip);
  });
});
