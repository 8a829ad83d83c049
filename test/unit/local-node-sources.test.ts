/**
 * The sources a local node's watch hears from, on real processes and recorded runtime output:
 * the pidfd helper tells a process's exit as it happens (and a pid already gone at once), the
 * shims and links are read from /proc and /sys as `ps` and `ip` list them, and containerd's task
 * directory is found from a real CRI status.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { containerdTaskDirFromStatusInfo } from '../../lib/node/cni-info.ts';
import { parseIpLinkJson } from '../../lib/linux/ip-link.ts';
import { localLinkByIndex, localParentShim, localShims } from '../../lib/node/local-proc.ts';
import { parsePidfdLine, ProcessExits } from '../../lib/node/process-exits.ts';
import { parseShimsFromPs, PS_SHIMS_ARGV, shimSocketOf } from '../../lib/node/runtime-shims.ts';
import { pollUntil } from '../../lib/wait.ts';

const recorded = (name: string): { info: Record<string, string> } => JSON.parse(readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8')) as { info: Record<string, string> };

describe('local node sources', function () {
  describe('pidfd helper', function () {
    let exits: ProcessExits;
    const told: { pid: number; atMs: number }[] = [];
    /** The exit told of `pid`, waited for up to 2 s (a timeout fails the test naming it). */
    const toldOf = (pid: number): Promise<{ pid: number; atMs: number }> =>
      pollUntil(async () => {
        const found = told.find((t) => t.pid === pid);
        return found ? { done: true, value: found } : { done: false, seen: `told so far: ${told.map((t) => t.pid).join(', ') || 'nothing'}` };
      }, { awaited: `the exit of pid ${pid} told`, timeoutMs: 2_000, intervalMs: 1 });
    before(async function () {
      exits = new ProcessExits((pid, atMs) => told.push({ pid, atMs }));
      await exits.start();
    });
    after(async function () {
      await exits.close();
    });

    it('reads its lines', function () {
      expect(['watching 42', 'exit 42', 'exit 43 at 1796304572507.645', 'gone 7 No such process', 'junk'].map(parsePidfdLine)).to.deep.equal([
        { what: 'watching', pid: 42 },
        { what: 'exit', pid: 42 },
        { what: 'exit', pid: 43, atMs: 1796304572507.645 },
        { what: 'gone', pid: 7, why: 'No such process' },
        undefined,
      ]);
    });

    it('tells a process exit within a few ms of the kill', async function () {
      expect(exits.whyNot()).to.equal(undefined);
      const sleeper = execa('sleep', ['30'], { reject: false });
      exits.watch(sleeper.pid!);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(told.find((t) => t.pid === sleeper.pid), 'no exit told while it runs').to.equal(undefined);
      const killedAt = Date.now();
      sleeper.kill('SIGKILL');
      // This thread busy for 150 ms: the exit's stamp is the helper's, taken at the exit, not when
      // the line is read here (which would be 150 ms or more after the kill).
      while (Date.now() - killedAt < 150);
      await sleeper;
      const exit = await toldOf(sleeper.pid!);
      expect(exit.atMs - killedAt, 'ms from the kill to the exit\'s stamp').to.be.within(-1, 50);
    });

    it('tells at once of a pid that is already gone', async function () {
      const short = execa('true');
      const pid = short.pid!;
      expect((await short).exitCode).to.equal(0);
      exits.watch(pid);
      expect((await toldOf(pid)).pid).to.equal(pid);
    });

    it('ends when its stdin closes, and says so', async function () {
      const own = new ProcessExits(() => undefined);
      await own.start();
      await own.close();
      expect(own.whyNot()).to.equal('closed');
    });
  });

  it('finds the shims ps finds (none running here is fine: both say the same)', async function () {
    const ps = await execa(PS_SHIMS_ARGV[0]!, PS_SHIMS_ARGV.slice(1));
    const byPs = parseShimsFromPs(ps.stdout).map((s) => `${s.pid} ${s.sandboxId}`).sort();
    expect(localShims().map((s) => `${s.pid} ${s.sandboxId}`).sort()).to.deep.equal(byPs);
  });

  it("finds a process's parent shim in two reads, and none where the parent is no shim or the process is gone", async function () {
    // A real process started as a shim is (argv[0] and its flags), with a child as a pause would be.
    const shim = execa('bash', ['-c', 'exec -a containerd-shim-runc-v2 bash -c "sleep 30 & echo \\$!; wait" sh -namespace k8s.io -id sandbox-abc -address /run/x.sock'], { reject: false });
    try {
      const childPid = Number(await new Promise<string>((resolve) => shim.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()))));
      expect(childPid, 'the child the fake shim started').to.be.a('number').and.greaterThan(0);
      expect(localParentShim(childPid)).to.deep.equal({ pid: shim.pid, sandboxId: 'sandbox-abc', binary: 'containerd-shim-runc-v2', socket: shimSocketOf('/run/x.sock', 'k8s.io', 'sandbox-abc') });
      // The fake shim's own parent is this test's process: no shim.
      expect(localParentShim(shim.pid!)).to.equal(undefined);
      process.kill(childPid, 'SIGKILL');
      await pollUntil(async () => (localParentShim(childPid) === undefined ? { done: true, value: undefined } : { done: false, seen: 'still a child of the shim' }), { awaited: `pid ${childPid} gone`, timeoutMs: 2_000, intervalMs: 5 });
    } finally {
      shim.kill('SIGKILL');
      await shim;
    }
  });

  it('finds each link ip lists, by ifindex, with its master', async function () {
    const links = parseIpLinkJson((await execa('ip', ['-j', 'link', 'show'])).stdout);
    expect(links.length).to.be.greaterThan(0);
    for (const link of links) expect(localLinkByIndex(link.ifindex), link.name).to.deep.equal(link);
    expect(localLinkByIndex(2 ** 31 - 1)).to.equal(undefined);
  });

  it("finds containerd's task directory from a real CRI status, and none where there is no containerd config", function () {
    expect(containerdTaskDirFromStatusInfo(recorded('containerd-2.1.9-cri-status-verbose.json').info)).to.equal('/var/lib/pause-conformance-research/runs/a21/state/io.containerd.runtime.v2.task/k8s.io');
    expect(containerdTaskDirFromStatusInfo({})).to.equal(undefined);
    expect(containerdTaskDirFromStatusInfo({ config: 'not json' })).to.equal(undefined);
  });
});
