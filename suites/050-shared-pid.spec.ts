/**
 * Suite: the process namespace. With shareProcessNamespace true, pause is PID 1 of one PID
 * namespace that every container joins: each container sees the others' processes, and an
 * orphan is reparented to pause, which reaps it when it exits (no zombie is left). With it
 * false, every container has a PID namespace of its own, and none of them is pause's.
 */
import { expect } from 'chai';
import { evidence } from '../lib/report/evidence.ts';
import { step } from '../lib/report/steps.ts';
import type { PodRef } from '../lib/pods/pod-driver.ts';
import { parseProcStat, type ProcStat } from '../lib/linux/proc-stat.ts';
import { pollUntil } from '../lib/wait.ts';
import { target, usePod } from './context.ts';
import { execText, observeContainer, observePause, type PauseObservation } from './observe.ts';

/** A process's command line as a container sees it (/proc/<pid>/cmdline, NUL-separated). */
async function cmdlineInside(pod: PodRef, container: string, pid: number): Promise<string> {
  const result = await target().pods.exec(pod, container, ['cat', `/proc/${pid}/cmdline`]);
  if (result.exitCode !== 0) throw new Error(`cat /proc/${pid}/cmdline in ${container} exited ${result.exitCode}: ${result.stderr.trim()}`);
  return result.stdout.split('\0').filter(Boolean).join(' ');
}

/** /proc/<pid>/stat as a container sees it; undefined once the pid is gone from its namespace. */
async function statInside(pod: PodRef, container: string, pid: number): Promise<ProcStat | undefined> {
  const result = await target().pods.exec(pod, container, ['cat', `/proc/${pid}/stat`]);
  if (result.exitCode !== 0) {
    if (/No such file|No such process/.test(result.stderr)) return undefined;
    throw new Error(`cat /proc/${pid}/stat in ${container} exited ${result.exitCode}: ${result.stderr.trim()}`);
  }
  return parseProcStat(result.stdout);
}

/** `ps` lines that carry the marker (the shells' $0 in the fixtures). */
function psLinesWith(ps: string, marker: string): string[] {
  return ps.split('\n').filter((line) => line.includes(marker)).map((line) => line.trim());
}

describe('the pod process namespace: shared with pause or one per container', function () {
  describe('shareProcessNamespace: true', function () {
    const pod = usePod('shared-pid');
    let pause: PauseObservation;

    before(async function () {
      pause = await observePause(target(), pod());
    });

    it("every container joins pause's PID namespace and sees the other's processes", async function () {
      const ev = evidence(this);
      const containers = await step(this, "read each container's namespaces from the node", () => Promise.all(['one', 'two'].map((name) => observeContainer(target(), pod(), name))));
      const psOne = await step(this, 'ps in one', () => execText(target(), pod(), 'one', ['ps']));
      const psTwo = await step(this, 'ps in two', () => execText(target(), pod(), 'two', ['ps']));
      const twoSeenByOne = psLinesWith(psOne, 'marker-two');
      const oneSeenByTwo = psLinesWith(psTwo, 'marker-one');
      ev['pausePid'] = pause.pid;
      ev['pausePidNs'] = pause.namespaces.pid;
      ev['containers'] = containers.map((c) => ({ name: c.name, pid: c.pid, pidNs: c.namespaces.pid }));
      ev['psInOne'] = psOne;
      ev['twoSeenByOne'] = twoSeenByOne;
      ev['oneSeenByTwo'] = oneSeenByTwo;
      ev['summary'] = `pid ns ${pause.namespaces.pid} shared by ${containers.filter((c) => c.namespaces.pid === pause.namespaces.pid).length}/2 containers; one sees ${twoSeenByOne.length} process(es) of two, two sees ${oneSeenByTwo.length} of one`;
      for (const c of containers) expect(c.namespaces.pid, `${c.name} pid namespace`).to.equal(pause.namespaces.pid);
      expect(twoSeenByOne, "two's shell in one's ps").to.not.be.empty;
      expect(oneSeenByTwo, "one's shell in two's ps").to.not.be.empty;
    });

    it('pause is PID 1 of the pod', async function () {
      const ev = evidence(this);
      const inside = await step(this, 'read /proc/1/cmdline in each container', () => Promise.all(['one', 'two'].map((name) => cmdlineInside(pod(), name, 1))));
      ev['pauseCommandOnNode'] = pause.command;
      ev['pid1InOne'] = inside[0];
      ev['pid1InTwo'] = inside[1];
      ev['summary'] = `PID 1 inside is "${inside[0]}", the pause process on the node is "${pause.command}" (pid ${pause.pid})`;
      expect(pause.command, 'pause command line on the node').to.be.a('string').and.not.equal('');
      for (const [i, name] of ['one', 'two'].entries()) expect(inside[i], `/proc/1/cmdline in ${name}`).to.equal(pause.command);
    });

    it('an orphaned child that exits is reaped by pause (no zombie left)', async function () {
      const ev = evidence(this);
      // Long enough to read its parent while it runs: one CRI exec takes ~0.1 s, an exec through the
      // API server and a kubelet up to a second or more. What is checked is who reaps it, not how long it lived.
      const lifeSeconds = target().capabilities.kubelet ? 3 : 1;
      // The inner shell starts sleep in the background and exits at once: sleep's parent is gone,
      // so the kernel hands it to the init of its PID namespace. Its output goes to /dev/null so
      // that the exec's stdout closes when the shell exits, not when sleep does.
      const spawnedAt = Date.now();
      const orphanPid = Number(await step(this, 'one leaves an orphaned sleep behind', () => execText(target(), pod(), 'one', ['sh', '-c', `sleep ${lifeSeconds} </dev/null >/dev/null 2>&1 & echo $!`])));
      expect(orphanPid, 'pid of the orphan').to.be.a('number').and.greaterThan(1);
      // Its parent must be PID 1 while it still runs: otherwise "no zombie" would prove nothing about pause.
      const whileRunning = await step(this, "read the orphan's parent from two while it runs", () => statInside(pod(), 'two', orphanPid));
      ev['orphan'] = { pid: orphanPid, lifeSeconds, seenFrom: 'two', whileRunning: whileRunning ? { state: whileRunning.state, ppid: whileRunning.ppid, comm: whileRunning.comm } : null };
      expect(whileRunning, `orphan ${orphanPid} still running when checked`).to.not.equal(undefined);
      expect(whileRunning!.comm, 'orphan command').to.equal('sleep');
      expect(whileRunning!.ppid, 'parent of the orphan (PID 1 = pause)').to.equal(1);

      const states: string[] = [];
      const deadlineMs = lifeSeconds * 1000 + 5_000;
      // Recorded before the wait so that a timeout (a zombie left) still shows what was seen.
      ev['statesSeen'] = states;
      ev['timings'] = { deadlineMs };
      const goneAfterMs = await step(this, 'wait for the orphan to be reaped (gone from /proc)', () => pollUntil(
        async () => {
          const stat = await statInside(pod(), 'two', orphanPid);
          if (stat === undefined) return { done: true, value: Date.now() - spawnedAt };
          if (states.at(-1) !== stat.state) states.push(stat.state);
          return { done: false, seen: `pid ${orphanPid} state ${stat.state}, ppid ${stat.ppid}` };
        },
        { awaited: `orphan ${orphanPid} exited and reaped (gone from /proc)`, timeoutMs: deadlineMs, intervalMs: 100 },
      ));
      ev['timings'] = { goneAfterSpawnMs: goneAfterMs, deadlineMs };
      ev['summary'] = `orphan ${orphanPid} had ppid 1 (pause), exited after ~${lifeSeconds} s and was gone from /proc ${goneAfterMs} ms after it started (states seen: ${states.join(' ') || 'none'})`;
      expect(goneAfterMs, 'orphan gone no sooner than its sleep ends').to.be.at.least(lifeSeconds * 1000 - 500);
    });
  });

  describe('shareProcessNamespace: false', function () {
    const pod = usePod('separate-pid');
    let pause: PauseObservation;

    before(async function () {
      pause = await observePause(target(), pod());
    });

    it("each container has its own PID namespace, distinct from pause's", async function () {
      const ev = evidence(this);
      const containers = await step(this, "read each container's namespaces from the node", () => Promise.all(['one', 'two'].map((name) => observeContainer(target(), pod(), name))));
      const insideNs = await step(this, 'read /proc/self/ns/pid inside each container', () => Promise.all(['one', 'two'].map((name) => execText(target(), pod(), name, ['readlink', '/proc/self/ns/pid']))));
      const pid1 = await step(this, 'read /proc/1/cmdline in each container', () => Promise.all(['one', 'two'].map((name) => cmdlineInside(pod(), name, 1))));
      const psOne = await step(this, 'ps in one', () => execText(target(), pod(), 'one', ['ps']));
      ev['pause'] = { pid: pause.pid, pidNs: pause.namespaces.pid, command: pause.command };
      ev['containers'] = containers.map((c, i) => ({ name: c.name, pid: c.pid, pidNs: c.namespaces.pid, pidNsInside: insideNs[i], pid1Inside: pid1[i] }));
      ev['psInOne'] = psOne;
      ev['summary'] = `pause ${pause.namespaces.pid}, one ${containers[0]!.namespaces.pid}, two ${containers[1]!.namespaces.pid}; PID 1 in one is "${pid1[0]}"`;
      const [one, two] = containers as [typeof containers[0], typeof containers[0]];
      expect(one.namespaces.pid, 'one vs pause').to.not.equal(pause.namespaces.pid);
      expect(two.namespaces.pid, 'two vs pause').to.not.equal(pause.namespaces.pid);
      expect(one.namespaces.pid, 'one vs two').to.not.equal(two.namespaces.pid);
      expect(insideNs, 'pid namespace seen inside').to.deep.equal([one.namespaces.pid, two.namespaces.pid]);
      expect(pid1[0], "PID 1 in one is one's own shell").to.include('marker-one');
      expect(pid1[1], "PID 1 in two is two's own shell").to.include('marker-two');
      expect(psLinesWith(psOne, 'marker-two'), "two's shell in one's ps").to.be.empty;
    });
  });
});
