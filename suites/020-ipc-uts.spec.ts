/**
 * Suite 2: the pause process holds the pod's IPC and UTS namespaces. Inodes match pause's, a
 * file in /dev/shm written by one container is read by another, and every container's hostname
 * is the pod's.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { evidence } from '../lib/report/evidence.ts';
import { step } from '../lib/report/steps.ts';
import { podHostname } from '../lib/pods/translate.ts';
import { target, usePod } from './context.ts';
import { execText, observeContainer, observePause } from './observe.ts';

describe('pause holds the IPC and UTS namespaces', function () {
  const pod = usePod('trio');

  it('every container shares the ipc and uts namespaces of the pause process', async function () {
    const ev = evidence(this);
    const pause = await step(this, 'observe the pause process and its namespaces', () => observePause(target(), pod()));
    const containers = await step(this, "read each container's namespaces from the node", () => Promise.all(pod().containers.map((c) => observeContainer(target(), pod(), c.name))));
    ev['pausePid'] = pause.pid;
    ev['pauseIpc'] = pause.namespaces.ipc;
    ev['pauseUts'] = pause.namespaces.uts;
    ev['containers'] = containers.map((c) => ({ name: c.name, pid: c.pid, ipc: c.namespaces.ipc, uts: c.namespaces.uts }));
    ev['summary'] = `ipc ${pause.namespaces.ipc}, uts ${pause.namespaces.uts} shared by ${containers.filter((c) => c.namespaces.ipc === pause.namespaces.ipc && c.namespaces.uts === pause.namespaces.uts).length}/${containers.length} containers`;
    for (const c of containers) {
      expect(c.namespaces.ipc, `${c.name} ipc namespace`).to.equal(pause.namespaces.ipc);
      expect(c.namespaces.uts, `${c.name} uts namespace`).to.equal(pause.namespaces.uts);
    }
  });

  it('a file written to /dev/shm by one container is read by another', async function () {
    const ev = evidence(this);
    const token = randomBytes(8).toString('hex');
    const file = `/dev/shm/pause-conformance-${token}`;
    await step(this, `alpha writes ${file}`, () => execText(target(), pod(), 'alpha', ['sh', '-c', `echo ${token} > ${file}`]));
    const readBack = await step(this, 'gamma reads it back', () => execText(target(), pod(), 'gamma', ['cat', file]));
    const shmMount = await step(this, "record gamma's /dev/shm mount", () => execText(target(), pod(), 'gamma', ['sh', '-c', 'grep " /dev/shm " /proc/mounts || true']));
    ev['writer'] = 'alpha';
    ev['reader'] = 'gamma';
    ev['file'] = file;
    ev['written'] = token;
    ev['read'] = readBack;
    ev['shmMountInReader'] = shmMount;
    ev['summary'] = `alpha wrote ${file}, gamma read "${readBack}"`;
    expect(readBack).to.equal(token);
  });

  it("every container's hostname is the pod's hostname", async function () {
    const ev = evidence(this);
    const expected = podHostname(pod().manifest);
    const names = await step(this, 'run hostname in each container', () => Promise.all(pod().containers.map((c) => execText(target(), pod(), c.name, ['hostname']))));
    ev['expected'] = expected;
    ev['hostnames'] = Object.fromEntries(pod().containers.map((c, i) => [c.name, names[i]]));
    ev['summary'] = `hostname ${expected} in ${names.filter((n) => n === expected).length}/${names.length} containers`;
    for (const [i, c] of pod().containers.entries()) expect(names[i], `hostname in ${c.name}`).to.equal(expected);
  });
});
