/**
 * What one embedded-node run can leave on this machine, found by what makes it ours: the run
 * directory path, the run's socket, its bridge name, its CNI network name and its cgroup parent.
 * The same finder serves the leak check at the end of a run and the clean-up of a killed run's
 * leftovers, so "ours" means one thing everywhere and nothing else is ever touched.
 */
import { readdir, readFile, readlink, rm, rmdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { SHARED_PARENTS, type RunLayout } from './run-layout.ts';
import { pollUntil } from '../wait.ts';
import { hasExited, readProcStat } from '../linux/proc-stat.ts';
import { parseIpLinkJson } from '../linux/ip-link.ts';
import { errnoCode } from '../linux/errno.ts';
import { removeIfEmpty } from '../cleanup/created-dirs.ts';
import { argValue, shimSocketOf } from '../node/runtime-shims.ts';

/** A containerd shim process of this run: found by `-address <the run's socket>` on its command line. */
export interface RunShim {
  pid: number;
  namespace: string;
  /** -id: the sandbox id (one shim per pod; containers are grouped by their sandbox). */
  id: string;
  /** /run/containerd/s/<sha256("<address>/<namespace>/<id>")>: where it listens (same formula in 1.6 and 2.1). */
  socket: string;
  /** Its executable, e.g. the cache's 2.1 shim or /usr/bin's 1.6 one ("(deleted)" once replaced). */
  exe: string;
  command: string;
}

export interface Residue {
  processes: { pid: number; command: string }[];
  /** The shims among the processes, with the sandbox each serves and its socket. */
  shims: RunShim[];
  mounts: string[];
  links: string[];
  cniCache: string[];
  /** Socket files of the run's shims under /run/containerd/s (a SIGKILLed shim leaves its socket). */
  shimSockets: string[];
  cgroups: string[];
  runDir: boolean;
}

const CGROUP_ROOT = '/sys/fs/cgroup';
const CNI_CACHE = '/var/lib/cni/results';
const SHIM_SOCKET_DIR = '/run/containerd/s';
/** ip and umount answer in milliseconds; a bound keeps a wedged one from hanging teardown. */
const COMMAND_TIMEOUT_MS = 30_000;

/**
 * Programs the embedded node runs. A process of any other program (a `tail -f` of the run's
 * log, a shell cd'ed into it) is never taken for ours by its command line alone, so it is never
 * killed; processes in the run's cgroups are ours whatever they run.
 */
const NODE_PROGRAMS = /^(containerd|containerd-shim.*|runc|ctr)$/;

async function programOf(pid: number, argv0: string): Promise<string[]> {
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => '');
  return [path.basename(exe.replace(/ \(deleted\)$/, '')), path.basename(argv0)];
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch {
    return [];
  }
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** Where the shim socket formula and the argv reading live (one copy for every provider's shim finder). */
export { shimSocketOf };

/**
 * A shim of the containerd at `socket`, from its argv: `containerd-shim-runc-v2 -namespace k8s.io
 * -id <sandbox id> -address <socket>`. Read from the command line, not from the task bundle: a
 * shim the runtime leaked after removing its sandbox has no bundle any more.
 */
export function shimOf(argv: string[], socket: string): Omit<RunShim, 'pid' | 'exe'> | undefined {
  if (!/containerd-shim/.test(path.basename(argv[0] ?? '')) || argValue(argv, 'address') !== socket) return undefined;
  const namespace = argValue(argv, 'namespace');
  const id = argValue(argv, 'id');
  if (!namespace || !id) return undefined;
  return { namespace, id, socket: shimSocketOf(socket, namespace, id), command: argv.join(' ') };
}

/** The live shims of the containerd serving `socket`. */
export async function findShims(socket: string): Promise<RunShim[]> {
  const found: RunShim[] = [];
  for (const entry of await listDir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const argv = ((await readText(`/proc/${pid}/cmdline`)) ?? '').split('\0').filter(Boolean);
    const shim = shimOf(argv, socket);
    if (!shim) continue;
    const stat = await readProcStat(pid);
    if (!stat || hasExited(stat)) continue;
    found.push({ pid, ...shim, exe: await readlink(`/proc/${pid}/exe`).catch(() => '') });
  }
  return found;
}

/** Live (non-zombie) processes whose command line names the run directory, or that sit in the run's cgroups. */
async function runProcesses(layout: RunLayout, cgroups: string[]): Promise<Residue['processes']> {
  const inCgroups = new Set<number>();
  for (const cgroup of cgroups) {
    for (const line of (await readText(path.join(cgroup, 'cgroup.procs')))?.split('\n') ?? []) {
      if (/^\d+$/.test(line)) inCgroups.add(Number(line));
    }
  }
  const found: Residue['processes'] = [];
  for (const entry of await listDir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const stat = await readProcStat(pid);
    if (!stat || hasExited(stat)) continue;
    const argv = ((await readText(`/proc/${pid}/cmdline`)) ?? '').split('\0').filter(Boolean);
    const command = argv.join(' ');
    const namesRun = argv.some((arg) => arg === layout.dir || arg.startsWith(layout.dir + '/'));
    const ours = inCgroups.has(pid) || (namesRun && (await programOf(pid, argv[0] ?? '')).some((program) => NODE_PROGRAMS.test(program)));
    if (ours) found.push({ pid, command: command || `[pid ${pid}]` });
  }
  return found;
}

/** The run's cgroup directories in every v1 hierarchy (and the v2 tree), deepest first. */
async function runCgroups(layout: RunLayout): Promise<string[]> {
  const found: string[] = [];
  const relative = layout.cgroupParent.replace(/^\//, '');
  const roots = [CGROUP_ROOT, ...(await listDir(CGROUP_ROOT)).map((name) => path.join(CGROUP_ROOT, name))];
  for (const root of roots) {
    const top = path.join(root, relative);
    const walk = async (dir: string): Promise<void> => {
      const entries = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
      if (!entries) return;
      for (const entry of entries) if (entry.isDirectory()) await walk(path.join(dir, entry.name));
      found.push(dir);
    };
    await walk(top);
  }
  return found;
}

/**
 * Shim sockets of the run under /run/containerd/s (a SIGKILLed shim leaves its socket): what
 * the task bundles recorded (1.6: an `address` file; 2.x: bootstrap.json's address), the
 * formula over every bundle's id, and those of the shims found by their command line, whose
 * bundle may be gone. Only existing files are listed.
 */
async function shimSockets(layout: RunLayout, shims: RunShim[]): Promise<string[]> {
  const tasks = path.join(layout.state, 'io.containerd.runtime.v2.task');
  const candidates = new Set(shims.map((shim) => shim.socket));
  for (const namespace of await listDir(tasks)) {
    for (const id of await listDir(path.join(tasks, namespace))) {
      candidates.add(shimSocketOf(layout.socket, namespace, id));
      const bundle = path.join(tasks, namespace, id);
      const address = (await readText(path.join(bundle, 'address')))?.trim();
      if (address) candidates.add(address.replace(/^unix:\/\//, ''));
      try {
        const bootstrap = JSON.parse((await readText(path.join(bundle, 'bootstrap.json'))) ?? '') as { address?: unknown };
        if (typeof bootstrap.address === 'string') candidates.add(bootstrap.address.replace(/^unix:\/\//, ''));
      } catch {
        // no bootstrap.json (containerd 1.6), or half-written
      }
    }
  }
  const found: string[] = [];
  for (const socket of candidates) {
    if (path.dirname(socket) === SHIM_SOCKET_DIR && (await stat(socket).then(() => true, () => false))) found.push(socket);
  }
  return found.sort();
}

export async function findResidue(layout: RunLayout): Promise<Residue> {
  const cgroups = await runCgroups(layout);
  const mounts = ((await readText('/proc/self/mounts')) ?? '')
    .split('\n')
    .map((line) => line.split(' ')[1] ?? '')
    .map((mountPoint) => mountPoint.replace(/\\040/g, ' '))
    .filter((mountPoint) => mountPoint === layout.dir || mountPoint.startsWith(layout.dir + '/'));
  const linksJson = await execa('ip', ['-j', 'link', 'show'], { reject: false, timeout: COMMAND_TIMEOUT_MS });
  if (linksJson.exitCode !== 0) throw new Error(`ip -j link show failed (${linksJson.timedOut ? `no answer within ${COMMAND_TIMEOUT_MS} ms` : `exit ${linksJson.exitCode}`}): ${linksJson.stderr.trim()}`);
  const links: string[] = [];
  for (const link of parseIpLinkJson(linksJson.stdout)) {
    if (link.name === layout.bridgeName || link.master === layout.bridgeName) links.push(link.name);
  }
  const cniCache: string[] = [];
  for (const name of await listDir(CNI_CACHE)) {
    const file = path.join(CNI_CACHE, name);
    if (name.startsWith(`${layout.networkName}-`) || ((await readText(file)) ?? '').includes(layout.dir)) cniCache.push(file);
  }
  const runDir = (await listDir(path.dirname(layout.dir))).includes(path.basename(layout.dir));
  const shims = await findShims(layout.socket);
  return { processes: await runProcesses(layout, cgroups), shims, mounts, links, cniCache, shimSockets: await shimSockets(layout, shims), cgroups, runDir };
}

/** One line per shim: its pid, the sandbox it serves, its socket and binary. */
export function describeShim(shim: RunShim): string {
  return `shim pid ${shim.pid} of sandbox ${shim.id} (namespace ${shim.namespace}, socket ${shim.socket}, ${shim.exe || 'binary unknown'})`;
}

export function describeResidue(residue: Residue): string[] {
  const shimPids = new Set(residue.shims.map((shim) => shim.pid));
  return [
    ...residue.shims.map(describeShim),
    // Long enough for a cached containerd's path and its --config in the run directory.
    ...residue.processes.filter((p) => !shimPids.has(p.pid)).map((p) => `process ${p.pid} (${p.command.slice(0, 240)})`),
    ...residue.mounts.map((m) => `mount ${m}`),
    ...residue.links.map((l) => `link ${l}`),
    ...residue.cniCache.map((f) => `CNI cache ${f}`),
    ...residue.shimSockets.map((s) => `shim socket ${s}`),
    ...residue.cgroups.map((c) => `cgroup ${c}`),
    ...(residue.runDir ? ['run directory'] : []),
  ];
}

/**
 * Removes what findResidue finds, in the order that lets each step succeed: processes (so mounts
 * are no longer busy), mounts (deepest first), links, CNI cache, cgroups, then the directory.
 */
export async function removeResidue(layout: RunLayout): Promise<string[]> {
  const residue = await findResidue(layout);
  const createdShared = await readCreatedDirs(layout);
  // Shims get SIGTERM first: a SIGTERMed shim removes its own socket, a SIGKILLed one does not
  // (research containerd-2.1 FINDINGS.md §5). Whatever is still there after the wait gets SIGKILL.
  for (const { pid } of residue.shims) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  if (residue.shims.length > 0) {
    await pollUntil(
      async () => {
        const alive = (await findShims(layout.socket)).filter((shim) => residue.shims.some((old) => old.pid === shim.pid));
        return alive.length === 0 ? { done: true, value: undefined } : { done: false, seen: alive.map((shim) => `shim ${shim.pid}`).join(', ') };
      },
      { awaited: 'SIGTERMed shims to exit', timeoutMs: 3000, intervalMs: 25 },
    ).catch(() => undefined);
  }
  for (const { pid } of residue.processes) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
  for (const mountPoint of [...residue.mounts].sort((a, b) => b.length - a.length)) {
    await execa('umount', ['-l', mountPoint], { reject: false, timeout: COMMAND_TIMEOUT_MS });
  }
  for (const link of residue.links) await execa('ip', ['link', 'del', link], { reject: false, timeout: COMMAND_TIMEOUT_MS });
  for (const file of residue.cniCache) await rm(file, { force: true });
  for (const socket of residue.shimSockets) await rm(socket, { force: true });
  for (const cgroup of residue.cgroups) {
    // A cgroup can be removed only once the kernel has reaped its killed processes. If it still
    // cannot after the deadline, the leak check that follows names it.
    await pollUntil(
      async () => {
        try {
          await rmdir(cgroup);
          return { done: true, value: undefined };
        } catch (error) {
          const code = errnoCode(error) ?? 'error';
          return code === 'ENOENT' ? { done: true, value: undefined } : { done: false, seen: code };
        }
      },
      { awaited: `cgroup ${cgroup} removable`, timeoutMs: 2000, intervalMs: 20 },
    ).catch(() => undefined);
  }
  // The run directory is what marks the rest as ours. If something could not be removed, keep it,
  // so the leak check names what is left and a later run sees a dead owner and tries again.
  const left = await findResidue(layout);
  if (describeResidue({ ...left, runDir: false }).length === 0) {
    await rm(layout.dir, { recursive: true, force: true, maxRetries: 3 });
    await removeSharedParentsIfEmpty(layout);
    await removeIfEmpty(createdShared);
  }
  return describeResidue(residue);
}

/** The shared folders the run recorded as made by it (children listed before parents). */
async function readCreatedDirs(layout: RunLayout): Promise<string[]> {
  try {
    const list: unknown = JSON.parse(await readFile(layout.createdDirsFile, 'utf8'));
    // Only ever the known shared folders, whatever the file says.
    return Array.isArray(list) ? SHARED_PARENTS.filter((dir) => list.includes(dir)) : [];
  } catch {
    return [];
  }
}

/**
 * The parents shared by all runs (the runs directory, the cgroup parent) go when the last run
 * leaves them empty; while another run uses them, rmdir fails and they stay, as they should.
 */
async function removeSharedParentsIfEmpty(layout: RunLayout): Promise<void> {
  const parents = [path.dirname(layout.dir), path.dirname(path.dirname(layout.dir))];
  const cgroupParent = path.dirname(layout.cgroupParent).replace(/^\//, '');
  if (cgroupParent) {
    for (const name of await listDir(CGROUP_ROOT)) parents.push(path.join(CGROUP_ROOT, name, cgroupParent));
    parents.push(path.join(CGROUP_ROOT, cgroupParent));
  }
  await removeIfEmpty(parents);
}
