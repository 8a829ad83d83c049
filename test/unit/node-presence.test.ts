/**
 * "Gone must mean gone" (issue 9): a node probe counts a thing as gone only on a clear answer
 * (ENOENT, no such process). A shell that timed out (exit 124), a `docker exec` into a stopped
 * node, EACCES or a wrong IPAM store path is unknown, and the boolean forms throw instead of
 * answering "dead" / "absent" / "released". Before this, each case below read as gone.
 */
import { expect } from 'chai';
import type { NodeShell, ShellResult } from '../../lib/node/node-shell.ts';
import type { RuntimeInspector } from '../../lib/node/runtime-inspector.ts';
import { ShellNodeView } from '../../lib/node/shell-node-view.ts';
import { ProbeUnknownError } from '../../lib/node/presence.ts';
import type { RuntimeShim } from '../../lib/node/runtime-shims.ts';

const noRuntime: RuntimeInspector = {
  sandbox: () => Promise.reject(new Error('not used')),
  containers: () => Promise.reject(new Error('not used')),
  container: () => Promise.reject(new Error('not used')),
};

/** A node shell that answers every command with `answer(argv)`, as docker exec would. */
function fakeShell(answer: (argv: string[]) => ShellResult): NodeShell {
  return { describe: 'docker exec kind-control-plane', run: async (argv) => answer(argv) };
}

const TIMED_OUT: ShellResult = { stdout: '', stderr: 'timed out after 30000 ms; killed the command in the node (marker pc-1)', exitCode: 124 };
const STOPPED_NODE: ShellResult = { stdout: '', stderr: 'Error response from daemon: container 4f1c is not running', exitCode: 1 };
const NO_SUCH_FILE = (file: string, tool = 'cat'): ShellResult => ({ stdout: '', stderr: `${tool}: ${file}: No such file or directory`, exitCode: 1 });
const STAT_LINE = '4242 (pause) S 4200 4242 4242 0 -1 4194560 110 0 0 0 0 0 0 0 20 0 1 0 123456 1024 1 18446744073709551615';

async function rejection(work: Promise<unknown>): Promise<Error> {
  try {
    await work;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the probe to throw, it answered');
}

describe('node probes: only a clear "not there" is gone', function () {
  it('a process probe that times out (exit 124) is unknown, and processAlive throws rather than saying dead', async function () {
    const view = new ShellNodeView(noRuntime, fakeShell(() => TIMED_OUT));
    const error = await rejection(view.processAlive(4242));
    expect(error).to.be.instanceOf(ProbeUnknownError);
    expect(error.message).to.match(/^cannot tell whether process 4242 is gone: docker exec kind-control-plane cat \/proc\/4242\/stat exited 124/);
    const presence = await view.processPresence(4242);
    expect(presence).to.have.property('unknown').that.matches(/exited 124, stderr: timed out after 30000 ms/);
  });

  it('a docker exec into a stopped node is unknown for processes and paths', async function () {
    const view = new ShellNodeView(noRuntime, fakeShell(() => STOPPED_NODE));
    await rejection(view.pathExists('/var/run/netns/cni-1'));
    await rejection(view.processAlive(4242));
    expect(await view.processPresence(4242)).to.have.property('unknown').that.matches(/container 4f1c is not running/);
    expect(await view.pathPresence('/var/run/netns/cni-1')).to.have.property('unknown').that.matches(/container 4f1c is not running/);
  });

  it('ENOENT is absent, a live process present, a zombie absent, EACCES unknown', async function () {
    const answers: Record<string, ShellResult> = {
      '/proc/1/stat': { stdout: STAT_LINE, stderr: '', exitCode: 0 },
      '/proc/2/stat': { stdout: STAT_LINE.replace(' S ', ' Z '), stderr: '', exitCode: 0 },
      '/proc/3/stat': NO_SUCH_FILE('/proc/3/stat'),
      '/proc/4/stat': { stdout: '', stderr: 'cat: /proc/4/stat: No such process', exitCode: 1 },
      '/proc/5/stat': { stdout: '', stderr: 'cat: /proc/5/stat: Permission denied', exitCode: 1 },
    };
    const view = new ShellNodeView(noRuntime, fakeShell((argv) => answers[argv[1]!]!));
    expect(await view.processPresence(1)).to.equal('present');
    expect(await view.processPresence(2)).to.equal('absent');
    expect(await view.processPresence(3)).to.equal('absent');
    expect(await view.processPresence(4)).to.equal('absent');
    expect(await view.processPresence(5)).to.have.property('unknown').that.matches(/Permission denied/);
  });

  it('a pid the kernel reused for another process is not the watched process (start time differs)', async function () {
    const view = new ShellNodeView(noRuntime, fakeShell(() => ({ stdout: STAT_LINE, stderr: '', exitCode: 0 })));
    expect(await view.processStart(4242)).to.equal('123456');
    expect(await view.processPresence(4242, '123456')).to.equal('present');
    expect(await view.processPresence(4242, '99')).to.equal('absent');
  });

  it('an IP missing from an IPAM store path that does not exist is unknown, not released', async function () {
    // The store is /var/lib/cni/networks/k8s-pod-network on this node; the view was given a wrong one.
    const view = new ShellNodeView(noRuntime, fakeShell((argv) => NO_SUCH_FILE(argv.at(-1)!, 'stat')), { ipamDirs: ['/var/lib/cni/networks/kindnet'] });
    const error = await rejection(view.ipAllocated('10.244.0.5'));
    expect(error.message).to.match(/IP 10\.244\.0\.5 in the IPAM store/);
    expect(await view.ipPresence('10.244.0.5')).to.have.property('unknown').that.matches(/no IPAM store on the node: \/var\/lib\/cni\/networks\/kindnet does not exist/);
  });

  it('an IP is released only when its entry is missing from a store that is there', async function () {
    const store = '/var/lib/cni/networks/kindnet';
    const files = new Set([store, `${store}/10.244.0.6`]);
    const view = new ShellNodeView(noRuntime, fakeShell((argv) => (files.has(argv.at(-1)!) ? { stdout: '1234', stderr: '', exitCode: 0 } : NO_SUCH_FILE(argv.at(-1)!, 'stat'))), { ipamDirs: [store] });
    expect(await view.ipPresence('10.244.0.6')).to.equal('present');
    expect(await view.ipPresence('10.244.0.5')).to.equal('absent');
    expect(await view.ipAllocated('10.244.0.5')).to.equal(false);
  });

  it('an IPAM probe that times out is unknown', async function () {
    const view = new ShellNodeView(noRuntime, fakeShell(() => TIMED_OUT), { ipamDirs: ['/var/lib/cni/networks/kindnet'] });
    await rejection(view.ipAllocated('10.244.0.5'));
    expect(await view.ipPresence('10.244.0.5')).to.have.property('unknown').that.matches(/exited 124/);
  });

  it('shims: listed from ps, unknown when ps fails', async function () {
    const id = 'f6adc81027c784dd12c1cc7d46acf3d25fff102cb748517104cb60120dd90f11';
    const ps = `    1 /sbin/init\n  297 /usr/bin/containerd-shim-runc-v2 -namespace k8s.io -id ${id} -address /run/containerd/containerd.sock\n`;
    const listed = await new ShellNodeView(noRuntime, fakeShell(() => ({ stdout: ps, stderr: '', exitCode: 0 }))).shims();
    expect(listed).to.be.an('array').with.length(1);
    expect((listed as RuntimeShim[])[0]).to.deep.include({ pid: 297, sandboxId: id, binary: '/usr/bin/containerd-shim-runc-v2' });
    expect(await new ShellNodeView(noRuntime, fakeShell(() => TIMED_OUT)).shims()).to.have.property('unknown').that.matches(/ps -e -o pid=,args= exited 124/);
  });
});
