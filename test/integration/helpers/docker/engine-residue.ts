/**
 * What the private engine may leave on this machine, found by its marks (one line each):
 * - processes: dockerd, its managed containerd and the shims name ENGINE_RUN_DIR or the data-root
 *   on their command lines; everything in a node container (its containerd, shims, pods) sits in
 *   a cgroup under ENGINE_CGROUP_PARENT; and whatever still lives in the daemon's private mount
 *   namespace, when that is known;
 * - mounts naming the run dir or the data-root (the engine's own stay in its namespace);
 * - the cgroup parent, in any hierarchy;
 * - the run dir itself.
 * The data-root is kept on purpose (the image cache); the tests check Docker objects in it
 * (containers, volumes, networks) while the daemon still answers (engineObjects).
 */
import { readdir, readFile, readlink, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { cgroupDirsNamed } from '../../../../lib/cleanup/created-dirs.ts';
import { hasExited, readProcStat } from '../../../../lib/linux/proc-stat.ts';
import { ENGINE_CGROUP_PARENT, ENGINE_DATA_ROOT, ENGINE_RUN_DIR } from './engine-layout.ts';
import { linkNames } from '../host.ts';

async function text(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '');
}

export interface EngineProcess {
  pid: number;
  /** With the pid, names one process for good (pids are reused). */
  startTicks: string;
  command: string;
}

export function describeProcess(process: EngineProcess): string {
  return `${process.pid} (${process.command})`;
}

/**
 * Live processes (not zombies) that belong to the engine: those carrying its marks (command line,
 * cgroup), those in its mount namespace, and those of `known` that are still the same processes.
 * The mount namespace counts only while the engine lives: once it is gone the kernel gives its
 * number to the next new namespace (someone's pod), so stop() lists the namespace's members before
 * it stops the daemon and follows them as `known`.
 */
export async function engineProcesses(options: { mountNamespace?: string; known?: EngineProcess[] } = {}): Promise<EngineProcess[]> {
  const found: EngineProcess[] = [];
  const known = new Map((options.known ?? []).map((p) => [p.pid, p.startTicks]));
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const stat = await readProcStat(Number(entry));
    if (!stat || hasExited(stat)) continue;
    const command = (await text(`/proc/${entry}/cmdline`)).split('\0').join(' ').trim().slice(0, 120) || stat.comm;
    const cgroups = await text(`/proc/${entry}/cgroup`);
    const namespace = options.mountNamespace ? await readlink(`/proc/${entry}/ns/mnt`).catch(() => '') : '';
    const named = command.includes(ENGINE_RUN_DIR) || command.includes(ENGINE_DATA_ROOT);
    const member = options.mountNamespace !== undefined && namespace === options.mountNamespace;
    if (named || cgroups.includes(`/${ENGINE_CGROUP_PARENT}`) || member || known.get(stat.pid) === stat.startTicks) {
      found.push({ pid: stat.pid, startTicks: stat.startTicks, command });
    }
  }
  return found;
}

/** Everything of the engine still on the machine; [] after a clean stop. `known`: processes listed while it ran. */
export async function engineResidue(known: EngineProcess[] = []): Promise<string[]> {
  const left = (await engineProcesses({ known })).map((p) => `process ${describeProcess(p)}`);
  for (const line of (await text('/proc/self/mounts')).split('\n')) {
    const mountPoint = (line.split(' ')[1] ?? '').replace(/\\040/g, ' ');
    if (mountPoint.startsWith(ENGINE_RUN_DIR) || mountPoint.startsWith(ENGINE_DATA_ROOT)) left.push(`mount ${mountPoint}`);
  }
  for (const dir of await cgroupDirsNamed(ENGINE_CGROUP_PARENT)) {
    if (await stat(dir).then(() => true, () => false)) left.push(`cgroup ${dir}`);
  }
  if (await stat(ENGINE_RUN_DIR).then(() => true, () => false)) left.push(`directory ${ENGINE_RUN_DIR}`);
  return left;
}

/**
 * Links the engine would make were its network namespace not private: Docker's bridges and veths
 * (veth + 7 hex; the CNI bridge plugin's, as other harness runs make on this machine, have 8), kind's
 * bridge, the node image's pod bridge.
 */
const ENGINE_LINK = /^(br-[0-9a-f]{12}|docker\d*|kind|pcnode\d+|veth[0-9a-f]{7})$/;

/** What of this machine the engine could touch although it should not: compared before and after a test. */
export interface HostSnapshot {
  links: string[];
  /**
   * Shim sockets under /run/containerd/s that nothing listens on (a killed shim's). The engine's own
   * stay in its namespace; a live shim's socket may be anyone's (other runs on this machine), and a
   * live shim of the engine is one of its processes, found by its marks.
   */
  shimSockets: string[];
  netns: string[];
  /** kind's node containers bind /lib/modules: dockerd creates the directory when it is missing. */
  libModules: boolean;
  /** testcontainers' lock files (/tmp/testcontainers-node-*.lock): it leaves them when its process ends. */
  testcontainersLocks: string[];
}

/** testcontainers' lock files in the temporary directory, by name. */
export async function testcontainersLocks(): Promise<string[]> {
  return (await readdir(os.tmpdir()).catch(() => [] as string[])).filter((name) => /^testcontainers-node-\d+\.lock$/.test(name)).map((name) => path.join(os.tmpdir(), name));
}

/** Socket files in `dir` that no process listens on (/proc/net/unix lists the bound paths). */
async function unboundSockets(dir: string): Promise<string[]> {
  const bound = new Set((await text('/proc/net/unix')).split('\n').map((line) => line.trim().split(/\s+/)[7]).filter(Boolean));
  return (await readdir(dir).catch(() => [] as string[])).filter((name) => !bound.has(`${dir}/${name}`));
}

export async function hostSnapshot(): Promise<HostSnapshot> {
  return {
    links: (await linkNames()).filter((name) => ENGINE_LINK.test(name)),
    shimSockets: await unboundSockets('/run/containerd/s'),
    netns: await readdir('/var/run/netns').catch(() => [] as string[]),
    libModules: await stat('/lib/modules').then(() => true, () => false),
    testcontainersLocks: await testcontainersLocks(),
  };
}

/** What appeared on this machine since `before`, one line each (what disappeared is someone else's business). */
export async function hostChangesSince(before: HostSnapshot): Promise<string[]> {
  const after = await hostSnapshot();
  const added = (key: 'links' | 'shimSockets' | 'netns' | 'testcontainersLocks', what: string): string[] => after[key].filter((name) => !before[key].includes(name)).map((name) => `${what} ${name}`);
  return [
    ...added('links', 'host link'),
    ...added('shimSockets', 'shim socket with no listener /run/containerd/s/'),
    ...added('netns', 'netns /var/run/netns/'),
    ...added('testcontainersLocks', 'testcontainers lock file'),
    ...(after.libModules && !before.libModules ? ['/lib/modules (created by dockerd for a kind node)'] : []),
  ];
}

/**
 * Docker objects left in the engine (asked while it still answers): any container, any volume,
 * any network but the built-in ones. The data-root keeps only images, on purpose.
 */
export async function engineObjects(docker: (args: string[]) => Promise<{ stdout: string; stderr: string; exitCode: number }>): Promise<string[]> {
  const left: string[] = [];
  const list = async (what: string, args: string[], keep: (name: string) => boolean = () => false): Promise<void> => {
    const result = await docker(args);
    if (result.exitCode !== 0) left.push(`docker ${args.join(' ')} failed (exit ${result.exitCode}): ${result.stderr.trim()}`);
    else for (const name of result.stdout.split('\n').map((line) => line.trim()).filter(Boolean)) if (!keep(name)) left.push(`${what} ${name}`);
  };
  await list('container', ['ps', '--all', '--format', '{{.Names}} ({{.Image}}, {{.Status}})']);
  await list('volume', ['volume', 'ls', '--quiet']);
  await list('network', ['network', 'ls', '--format', '{{.Name}}'], (name) => name === 'host' || name === 'none');
  return left;
}
