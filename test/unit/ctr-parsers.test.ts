/**
 * ctr parsers on real ctr 1.6.20 outputs: the kubelet node's (shared/recorded: the trio pod, read
 * by crictl and ctr at the same moment, so both readings must agree) and the embedded node's
 * (fixtures/recorded/embedded-*: app containers, exited ones, their CRI status files).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import {
  containerFactsFromCtr,
  ctrLabelFilter,
  CtrOutputError,
  isCtrNotFound,
  parseCriContainerStatus,
  parseCtrContainerInfo,
  parseCtrContainersLs,
  parseCtrServerVersion,
  parseCtrTasksLs,
  rfc3339Nanoseconds,
  sandboxFactsFromCtr,
  sandboxSummaryFromCtr,
} from '../../lib/node/ctr-parsers.ts';
import { parseSandboxInspect } from '../../lib/node/inspect-parsers.ts';
import { ipv4OfDevice } from '../../lib/linux/ip-addr.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

const TRIO_SANDBOX = '5989c68113b61441361f247db60d514e6b210bb087b4d917fcc3460b51a1c33e';
const EXITS_SANDBOX = 'a06c60f419a84117eea75e36172238376fb6a0548ca5bacc67a84558dd555b2c';
const STEADY = 'e4af239b8838c5c6f12a941d272568a71ab29a3ee94fcf7753ce68f22ed36889';
const EXIT_ZERO = '143d942bca0245779c4396af5a5dc1b3e89a73f2f3266beb7c958509a7993555';
const EXIT_NONZERO = '071a1c2690fdd370818420d75c0e2de7d4c4017bd8a5be5cdcf3e368a5ce3827';

describe('ctr parsers (recorded ctr 1.6.20 output)', function () {
  describe('tables', function () {
    it('lists the containers of `ctr containers ls`: two pause sandboxes, five app containers', function () {
      const rows = parseCtrContainersLs(recorded('ctr-containers-ls.txt'));
      expect(rows).to.have.length(7);
      expect(rows.filter((row) => row.image === 'localhost/pause:catatonit').map((row) => row.id)).to.include(TRIO_SANDBOX);
      expect(rows.every((row) => row.runtime === 'io.containerd.runc.v2')).to.equal(true);
    });

    it('reads an empty list (header only) as no containers and no tasks', function () {
      expect(parseCtrContainersLs(recorded('empty-ctr-containers-ls.txt'))).to.deep.equal([]);
      expect(parseCtrTasksLs(recorded('empty-ctr-tasks-ls.txt')).size).to.equal(0);
    });

    it('reads pids and statuses from `ctr tasks ls`', function () {
      const tasks = parseCtrTasksLs(recorded('ctr-tasks-ls.txt'));
      expect(tasks.size).to.equal(7);
      expect(tasks.get(TRIO_SANDBOX)).to.deep.equal({ id: TRIO_SANDBOX, pid: 20240, status: 'RUNNING' });
    });

    it('shows no task for containers that exited (the CRI plugin deletes their tasks)', function () {
      const tasks = parseCtrTasksLs(recorded('embedded-ctr-tasks-ls-exits.txt'));
      expect([...tasks.keys()]).to.have.members([EXITS_SANDBOX, STEADY, 'ac303c8f835d83240cbe6d2cd31e4f565870fc47411d636e91f59dfdfaba0e82']);
      expect(tasks.has(EXIT_ZERO)).to.equal(false);
      expect(tasks.has(EXIT_NONZERO)).to.equal(false);
    });

    it('refuses what is not the table (the empty stdout of a failed ctr), naming the command', function () {
      expect(() => parseCtrContainersLs('')).to.throw(CtrOutputError, /ctr containers ls printed something unexpected/);
      expect(() => parseCtrTasksLs(recorded('ctr-containers-ls.txt'))).to.throw(CtrOutputError, /TASK PID STATUS/);
    });

    it('reads the server version of `ctr version`', function () {
      expect(parseCtrServerVersion(recorded('ctr-version.txt'))).to.equal('1.6.20~ds1');
    });

    it('tells "not found" from other failures', function () {
      expect(recorded('embedded-err-ctr-containers-info-unknown.exitcode.txt').trim()).to.equal('1');
      expect(isCtrNotFound(recorded('embedded-err-ctr-containers-info-unknown.stderr.txt'))).to.equal(true);
      expect(isCtrNotFound(recorded('err-ctr-containers-ls-no-socket.stderr.txt'))).to.equal(false);
    });
  });

  describe('a sandbox', function () {
    it('agrees with crictl inspectp of the same sandbox at the same moment (kubelet node)', function () {
      const info = parseCtrContainerInfo(recorded('ctr-containers-info-trio-sandbox.json'));
      const task = parseCtrTasksLs(recorded('ctr-tasks-ls.txt')).get(TRIO_SANDBOX);
      const fromCtr = sandboxFactsFromCtr(info, task, true);
      const fromCrictl = parseSandboxInspect(JSON.parse(recorded('crictl-inspectp-trio.json')));
      expect(info.kind).to.equal('sandbox');
      expect(fromCtr).to.deep.equal(fromCrictl);
      expect(fromCtr).to.include({ state: 'ready', pausePid: 20240, ip: '10.244.77.17', image: 'localhost/pause:catatonit' });
    });

    it('is notready with no pause pid once its task is gone, and has no IP once its netns is gone', function () {
      const info = parseCtrContainerInfo(recorded('ctr-containers-info-trio-sandbox.json'));
      const afterKill = sandboxFactsFromCtr(info, undefined, true);
      expect(afterKill.state).to.equal('notready');
      expect(afterKill.pausePid).to.equal(undefined);
      expect(afterKill.ip).to.equal('10.244.77.17');
      expect(sandboxFactsFromCtr(info, undefined, false).ip).to.equal('');
    });

    it('reads the pause task out of the list after pause was killed on the embedded node: it is gone', function () {
      const tasks = parseCtrTasksLs(recorded('embedded-ctr-tasks-ls-after-pause-kill.txt'));
      expect(tasks.has('3106cfebed757c992cfaeb45078efd2fbc0eae245e5bed3296b87ff75d1cbe08')).to.equal(false);
      expect(tasks.size).to.equal(2);
    });

    it('gives the IP the kernel shows inside the netns (embedded node)', function () {
      const info = parseCtrContainerInfo(recorded('embedded-ctr-containers-info-exits-sandbox.json'));
      const facts = sandboxFactsFromCtr(info, parseCtrTasksLs(recorded('embedded-ctr-tasks-ls-exits.txt')).get(EXITS_SANDBOX), true);
      expect(facts).to.include({ id: EXITS_SANDBOX, state: 'ready', pausePid: 25063 });
      expect(facts.ip).to.equal(ipv4OfDevice(recorded('embedded-nsenter-ip-4-o-addr-eth0.txt'), 'eth0'));
      expect(facts.ip).to.equal('10.213.77.2');
      expect(facts.netnsPath).to.match(/\/netns\/cni-0749bd73-/);
    });

    it('summarises it as crictl pods would: pod name, namespace, uid, attempt, creation time', function () {
      const info = parseCtrContainerInfo(recorded('ctr-containers-info-trio-sandbox.json'));
      const summary = sandboxSummaryFromCtr(info, parseCtrTasksLs(recorded('ctr-tasks-ls.txt')).get(TRIO_SANDBOX));
      expect(summary).to.include({ id: TRIO_SANDBOX, state: 'ready', attempt: 0, podName: 'trio', podNamespace: 'pc-rec', podUid: 'e0bc0951-717a-443a-82b5-2d1eab0b73eb' });
      expect(summary.createdAtNs).to.equal(1795614533678749778n);
    });
  });

  describe('an app container', function () {
    const tasks = parseCtrTasksLs(recorded('embedded-ctr-tasks-ls-exits.txt'));

    it('is running with its task pid, named and tied to its sandbox', function () {
      const info = parseCtrContainerInfo(recorded('embedded-ctr-containers-info-steady.json'));
      const facts = containerFactsFromCtr(info, tasks.get(STEADY), parseCriContainerStatus(recorded('embedded-cri-status-steady.json')));
      expect(info.kind).to.equal('container');
      expect(facts).to.deep.equal({ id: STEADY, sandboxId: EXITS_SANDBOX, name: 'steady', attempt: 0, state: 'running', pid: 25096 });
    });

    it('has exited with its exit code, read from the CRI status file', function () {
      const info = parseCtrContainerInfo(recorded('embedded-ctr-containers-info-exit-nonzero.json'));
      const facts = containerFactsFromCtr(info, tasks.get(EXIT_NONZERO), parseCriContainerStatus(recorded('embedded-cri-status-exit-nonzero.json')));
      expect(facts).to.deep.equal({ id: EXIT_NONZERO, sandboxId: EXITS_SANDBOX, name: 'exit-nonzero', attempt: 0, state: 'exited', exitCode: 3 });
    });

    it('is unknown, not guessed, when there is no task and no status file', function () {
      const info = parseCtrContainerInfo(recorded('embedded-ctr-containers-info-exit-nonzero.json'));
      expect(containerFactsFromCtr(info, undefined, undefined).state).to.equal('unknown');
    });

    it('reads the status files as the CRI plugin derives states', function () {
      expect(parseCriContainerStatus(recorded('embedded-cri-status-exit-zero.json'))).to.deep.equal({ state: 'exited', pid: 0, exitCode: 0 });
      expect(parseCriContainerStatus(recorded('embedded-cri-status-steady.json'))).to.deep.equal({ state: 'running', pid: 25096, exitCode: 0 });
      expect(() => parseCriContainerStatus('{"Version":"v9"}')).to.throw(CtrOutputError, /unknown version/);
    });
  });

  describe('filters and times', function () {
    it('builds the label filter ctr accepted on the embedded node (quoted keys and values, comma = and)', function () {
      expect(ctrLabelFilter({ 'io.kubernetes.pod.uid': 'bd1ed2d2-b1af-47c0-9b12-bf67e590c4b0', 'io.cri-containerd.kind': 'container' })).to.equal(
        'labels."io.kubernetes.pod.uid"=="bd1ed2d2-b1af-47c0-9b12-bf67e590c4b0",labels."io.cri-containerd.kind"=="container"',
      );
      // What that filter listed: the pod's four app containers, not its sandbox.
      const listed = parseCtrContainersLs(recorded('embedded-ctr-containers-ls-uid-container.txt')).map((row) => row.id);
      expect(listed).to.have.members([EXIT_NONZERO, EXIT_ZERO, STEADY, 'ac303c8f835d83240cbe6d2cd31e4f565870fc47411d636e91f59dfdfaba0e82']);
      expect(parseCtrContainersLs(recorded('embedded-ctr-containers-ls-kind-sandbox.txt')).map((row) => row.image)).to.deep.equal(['localhost/pause-conformance/pause:catatonit']);
    });

    it('converts containerd timestamps to nanoseconds without losing digits', function () {
      expect(rfc3339Nanoseconds('2026-11-25T13:48:53.678749778Z')).to.equal(1795614533678749778n);
      expect(rfc3339Nanoseconds('2026-11-25T13:48:53.7Z')).to.equal(1795614533700000000n);
      expect(rfc3339Nanoseconds('2026-11-25T13:48:53Z')).to.equal(1795614533000000000n);
      expect(rfc3339Nanoseconds('yesterday')).to.equal(0n);
    });
  });
});
