/**
 * A run that finds the leftovers of an earlier, SIGKILLed run reports them and removes them, and
 * nothing else. The killed run is real (its containerd, shim and pause keep running, its mounts,
 * bridge, veth, CNI cache and run directory stay); beside it stand decoys that look like ours but
 * are not: a run directory whose owner is alive, bridges named like ours, a CNI cache file named
 * like ours, a directory under the runs base that is not a run, and a user's `tail -f` of the
 * killed run's log. After the next run every decoy must be exactly as it was.
 */
import { expect } from 'chai';
import { execa, type ResultPromise } from 'execa';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { RUNS_BASE, runLayout } from '../../lib/runtime/run-layout.ts';
import { startCli, tempReportDir, type CliResult } from './helpers/cli.ts';
import { missingDirs, removeIfEmpty } from '../../lib/cleanup/created-dirs.ts';
import { runHelpersLeft, removeRun, residueOf } from './helpers/residue.ts';
import { pollUntil } from '../../lib/wait.ts';
import { startTicks, linkExists, processAlive } from './helpers/host.ts';

function freeRunId(): string {
  return randomBytes(4).toString('hex');
}

describe('leftovers of a killed run are found, reported and removed; nothing else is touched', function () {
  this.timeout(120_000);

  const liveId = freeRunId();
  const orphanId = freeRunId();
  const liveDir = path.join(RUNS_BASE, liveId);
  const notARunDir = path.join(RUNS_BASE, `keep-me-${orphanId}`);
  const decoyCache = `/var/lib/cni/results/pc-${orphanId}-0123456789abcdef-eth0`;
  let decoyParents: string[] = [];
  let killedId: string | undefined;
  let killedResidue: string[] = [];
  let monitorsAfterKill: string[] = [];
  let liveOwner: ResultPromise | undefined;
  let tail: ResultPromise | undefined;
  let second: CliResult | undefined;
  let secondLines: string[] = [];
  let liveOwnerJson = '';

  before(async function () {
    // The decoy CNI cache file keeps libcni's folders busy while the killed run's leftovers are
    // removed; the test removes them afterwards if they were not there before it.
    decoyParents = await missingDirs(['/var/lib/cni/results', '/var/lib/cni']);
    // 1. A real run, SIGKILLed while its first pod is up.
    const killed = startCli(['run', '--provider', 'local', '--report-dir', tempReportDir(), '--grep', 'pause holds the pod IP and network namespace']);
    killedId = await killed.runId();
    await killed.waitForLine(/✔ every container shares the net namespace of the pause process/);
    killed.signal('SIGKILL');
    const killedResult = await killed.result;
    expect(killedResult.signal, 'the killed run ended by SIGKILL').to.equal('SIGKILL');
    killedResidue = await residueOf(killedId);
    // Its helpers end by themselves: each reads EOF once the killed run's end of its stdin is gone.
    monitorsAfterKill = await pollUntil(async () => {
      const left = await runHelpersLeft();
      return left.length === 0 ? { done: true, value: left } : { done: false, seen: left.join('; ') };
    }, { awaited: 'the killed run\'s helpers gone', timeoutMs: 5_000, intervalMs: 100 }).catch((error: unknown) => [String(error)]);

    // 2. Decoys. A run directory whose owner lives (a process that names it, as a run's would).
    await mkdir(liveDir, { recursive: true, mode: 0o700 });
    liveOwner = execa('node', ['-e', 'setInterval(() => {}, 1 << 30)', liveDir], { reject: false, cleanup: true, stdin: 'ignore' });
    const ownerPid = liveOwner.pid!;
    liveOwnerJson = JSON.stringify({ pid: ownerPid, startTicks: await startTicks(ownerPid), startedAt: new Date().toISOString() }) + '\n';
    await writeFile(path.join(liveDir, 'owner.json'), liveOwnerJson, { mode: 0o600 });
    await writeFile(path.join(liveDir, 'config.toml'), '# a live run\n', { mode: 0o600 });
    // Bridges named as runs name theirs: one of the live run, one of a run with no directory at all.
    await execa('ip', ['link', 'add', runLayout(liveId).bridgeName, 'type', 'bridge']);
    await execa('ip', ['link', 'add', runLayout(orphanId).bridgeName, 'type', 'bridge']);
    await mkdir(path.dirname(decoyCache), { recursive: true });
    await writeFile(decoyCache, '{"kind":"cniCacheV1","decoy":true}\n');
    await mkdir(notARunDir, { mode: 0o700 });
    await writeFile(path.join(notARunDir, 'notes.txt'), 'not a run\n');
    // A user reading the killed run's log: names the run directory, but is not the run's.
    tail = execa('tail', ['-f', runLayout(killedId).logFile], { reject: false, cleanup: true, stdin: 'ignore' });

    // 3. The next run.
    const next = startCli(['run', '--provider', 'local', '--report-dir', tempReportDir(), '--grep', 'pause holds the IPC and UTS namespaces']);
    second = await next.result;
    secondLines = next.lines;
  });

  after(async function () {
    liveOwner?.kill('SIGKILL');
    tail?.kill('SIGKILL');
    await Promise.all([liveOwner, tail]);
    for (const id of [liveId, orphanId]) await execa('ip', ['link', 'del', runLayout(id).bridgeName], { reject: false });
    await rm(liveDir, { recursive: true, force: true });
    await rm(notARunDir, { recursive: true, force: true });
    await rm(decoyCache, { force: true });
    await removeIfEmpty(decoyParents);
    // If the run under test did not remove the killed run's things, do it here: the machine stays clean.
    if (killedId && (await residueOf(killedId)).length > 0) await removeRun(killedId);
    // The decoys kept the runs folder busy when the run under test ended, so it could not remove it.
    await rmdir(RUNS_BASE).catch(() => undefined);
    await rmdir(path.dirname(RUNS_BASE)).catch(() => undefined);
  });

  it('the killed run\'s helpers (ip monitor, pidfd) did not outlive it', function () {
    expect(monitorsAfterKill).to.deep.equal([]);
  });

  it('the killed run really left processes, mounts, links, CNI cache and its directory', function () {
    const joined = killedResidue.join('\n');
    expect(joined).to.match(/process \d+ \((\S+\/)?containerd --config /);
    expect(joined).to.match(/^shim pid \d+ of sandbox [0-9a-f]{64} \(namespace k8s\.io, socket \/run\/containerd\/s\/[0-9a-f]{64}, \S*containerd-shim-runc-v2\)$/m);
    expect(joined).to.match(/^mount .*\/netns\//m);
    expect(joined).to.include(`link ${runLayout(killedId!).bridgeName}`);
    expect(joined).to.match(/^CNI cache /m);
    expect(joined).to.match(/^shim socket \/run\/containerd\/s\//m);
    expect(killedResidue).to.include('run directory');
  });

  it('the next run reports what it removed, and passes', function () {
    const line = secondLines.find((l) => l.startsWith(`removed leftovers of killed run ${killedId}: `));
    expect(line, `report line; output: ${secondLines.slice(0, 8).join(' | ')}`).to.be.a('string');
    for (const kind of ['process', 'mount', `link ${runLayout(killedId!).bridgeName}`, 'CNI cache', 'shim socket', 'cgroup', 'run directory']) {
      expect(line, kind).to.include(kind);
    }
    expect(second!.exitCode, `exit code; stderr: ${second!.stderr}`).to.equal(0);
  });

  it('nothing of the killed run is left', async function () {
    expect(await residueOf(killedId!)).to.deep.equal([]);
  });

  it('the decoys are untouched', async function () {
    expect(second!.stdout, 'the live run was not taken for a killed one').to.not.include(`killed run ${liveId}`);
    expect(await readFile(path.join(liveDir, 'owner.json'), 'utf8'), "live run's owner.json").to.equal(liveOwnerJson);
    expect(await readFile(path.join(liveDir, 'config.toml'), 'utf8')).to.equal('# a live run\n');
    expect(await processAlive(liveOwner!.pid!), "live run's owner process").to.equal(true);
    expect(await linkExists(runLayout(liveId).bridgeName), "live run's bridge").to.equal(true);
    expect(await linkExists(runLayout(orphanId).bridgeName), 'bridge named like a run that has no directory').to.equal(true);
    expect(await readFile(decoyCache, 'utf8'), 'CNI cache file named like ours').to.include('decoy');
    expect(await readFile(path.join(notARunDir, 'notes.txt'), 'utf8')).to.equal('not a run\n');
    expect((await stat(notARunDir)).isDirectory()).to.equal(true);
    expect(await processAlive(tail!.pid!), "the user's tail -f of the killed run's log").to.equal(true);
  });
});
