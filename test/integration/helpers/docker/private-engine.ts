/**
 * A private Docker engine (Debian's docker.io, dockerd 20.10) for the node-in-container tests,
 * started and stopped by the test itself. It touches nothing of the machine's:
 * - its own socket, pidfile and exec-root under ENGINE_RUN_DIR, its own data-root;
 * - a private MOUNT namespace whose /run is a fresh tmpfs (only ENGINE_RUN_DIR is carried in):
 *   dockerd runs a managed containerd of its own there (it would use any containerd serving
 *   /run/containerd/containerd.sock, a system one, if it found one), whose shims put their
 *   sockets at the hard-coded /run/containerd/s; everything dockerd writes under /run and every
 *   mount it makes vanish with the namespace's last process;
 * - a private NETWORK namespace: kind's bridge and every veth stay off the host;
 * - no NAT, no bridge of its own, no forwarding, no userland proxy;
 * - HTTP(S)_PROXY at a closed loopback port: any registry pull fails at once;
 * - a cgroup parent of its own (dockerd never removes it: stop does).
 * A daemon left by a SIGKILLed test is stopped by the next start. Needs root.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readdir, readFile, readlink, rm, rmdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { execa } from 'execa';
import type { CommandResult } from '../../../../lib/command-result.ts';
import { cgroupDirsNamed } from '../../../../lib/cleanup/created-dirs.ts';
import { hasExited, readProcStat } from '../../../../lib/linux/proc-stat.ts';
import { pollUntil } from '../../../../lib/wait.ts';
import {
  CLOSED_PROXY,
  ENGINE_CGROUP_PARENT,
  ENGINE_DATA_ROOT,
  ENGINE_HOST,
  ENGINE_LOG,
  ENGINE_PIDFILE,
  ENGINE_RUN_DIR,
  ENGINE_SOCKET,
  ENGINE_STAGE,
  NODES_DIR,
  RUNC_BOUNDED,
} from './engine-layout.ts';
import { describeProcess, engineProcesses, engineResidue } from './engine-residue.ts';

/**
 * Runs in the new namespaces, before dockerd: a fixed script, its paths passed in the environment.
 * ENGINE_RUN_DIR is bound onto a stage outside /run, a fresh tmpfs covers /run, and the run dir is
 * moved back on top of it.
 */
const NAMESPACE_SETUP = [
  'set -e',
  'ip link set lo up',
  'mount --bind "$PC_RUN" "$PC_STAGE"',
  'mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run',
  'mkdir -p "$PC_RUN"',
  'mount --move "$PC_STAGE" "$PC_RUN"',
  'exec dockerd "$@"',
].join('\n');

export function dockerdArgs(): string[] {
  return [
    '--host', ENGINE_HOST,
    '--data-root', ENGINE_DATA_ROOT,
    '--exec-root', `${ENGINE_RUN_DIR}/exec`,
    '--pidfile', ENGINE_PIDFILE,
    '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', '--bridge=none', '--userland-proxy=false',
    '--add-runtime', `runc-bounded=${RUNC_BOUNDED}`, '--default-runtime', 'runc-bounded',
    '--cgroup-parent', `/${ENGINE_CGROUP_PARENT}`,
  ];
}

export interface PrivateEngine {
  /** DOCKER_HOST of the engine. */
  host: string;
  pid: number;
  /** The engine's private mount namespace ("mnt:[...]"): whatever lives in it is the engine's. */
  mountNamespace: string;
  /** The docker CLI against this engine (never throws; a test asserts the exit code). */
  docker(args: string[], timeoutMs?: number): Promise<CommandResult>;
  /** Stops the daemon and removes what it leaves; returns what could not be removed (one line each). */
  stop(): Promise<string[]>;
}

/** GET /_ping on the socket: "OK" once the API serves. */
function ping(): Promise<string> {
  return new Promise((resolve) => {
    const request = http.get({ socketPath: ENGINE_SOCKET, path: '/_ping', timeout: 2000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(`HTTP ${response.statusCode}: ${body}`));
    });
    request.on('timeout', () => request.destroy(new Error('no answer within 2 s')));
    request.on('error', (error) => resolve(error.message));
  });
}

async function alive(pid: number): Promise<boolean> {
  const stat = await readProcStat(pid);
  return stat !== undefined && !hasExited(stat);
}

async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  try {
    await pollUntil(async () => ((await alive(pid)) ? { done: false, seen: `pid ${pid} alive` } : { done: true, value: undefined }), {
      awaited: `dockerd (pid ${pid}) exiting`,
      timeoutMs,
      intervalMs: 50,
    });
    return true;
  } catch {
    return false;
  }
}

/** Removes a cgroup directory and its children, deepest first (rmdir: a cgroup with processes stays). */
async function removeCgroupTree(dir: string): Promise<void> {
  const children = await readdir(dir, { withFileTypes: true }).catch(() => undefined);
  if (!children) return;
  for (const child of children) if (child.isDirectory()) await removeCgroupTree(path.join(dir, child.name));
  await rmdir(dir).catch(() => undefined);
}

/** Stops the daemon (TERM, then KILL after 30 s), then whatever is left of it, then removes its cgroup parent and run dir. */
async function stopDaemon(pid: number | undefined, mountNamespace: string | undefined): Promise<string[]> {
  // Its namespace's members, listed while the daemon lives (the namespace's number is reused once it is gone).
  const members = pid !== undefined && (await alive(pid)) ? await engineProcesses(mountNamespace ? { mountNamespace } : {}) : [];
  if (pid !== undefined && (await alive(pid))) {
    process.kill(pid, 'SIGTERM');
    if (!(await waitGone(pid, 30_000))) {
      process.kill(pid, 'SIGKILL');
      await waitGone(pid, 10_000);
    }
  }
  // The managed containerd and the shims exit after dockerd; a node container's processes go with
  // their shim. Bounded: what is still there then is killed (it is the engine's, by its marks).
  const lingering = async (): Promise<string[]> => (await engineProcesses({ known: members })).map(describeProcess);
  try {
    await pollUntil(async () => {
      const left = await lingering();
      return left.length === 0 ? { done: true, value: undefined } : { done: false, seen: left.join(', ') };
    }, { awaited: "the engine's processes exiting after dockerd", timeoutMs: 15_000, intervalMs: 100 });
  } catch {
    for (const entry of await lingering()) process.kill(Number(entry.split(' ')[0]), 'SIGKILL');
    await pollUntil(async () => {
      const left = await lingering();
      return left.length === 0 ? { done: true, value: undefined } : { done: false, seen: left.join(', ') };
    }, { awaited: "the engine's processes exiting after SIGKILL", timeoutMs: 10_000, intervalMs: 100 }).catch(() => undefined);
  }
  for (const dir of await cgroupDirsNamed(ENGINE_CGROUP_PARENT)) await removeCgroupTree(dir);
  await rm(ENGINE_RUN_DIR, { recursive: true, force: true });
  return engineResidue(members);
}

/** A daemon a killed test left behind (its pidfile names a live dockerd), stopped; and its leftovers removed. */
export async function stopStaleEngine(say: (line: string) => void): Promise<void> {
  const pid = Number((await readFile(ENGINE_PIDFILE, 'utf8').catch(() => '')).trim()) || undefined;
  const isDockerd = pid !== undefined && (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).includes(ENGINE_SOCKET);
  const leftovers = await engineResidue();
  if (!isDockerd && leftovers.length === 0) return;
  const namespace = isDockerd ? await readlink(`/proc/${pid}/ns/mnt`).catch(() => undefined) : undefined;
  const left = await stopDaemon(isDockerd ? pid : undefined, namespace);
  say(`stopped the private engine a killed test left (${isDockerd ? `dockerd pid ${pid}` : 'no daemon'}; found: ${leftovers.join(', ') || 'its pidfile'})`);
  if (left.length > 0) throw new Error(`leftovers of an earlier private engine could not be removed: ${left.join('; ')}`);
}

export async function startPrivateEngine(say: (line: string) => void = () => undefined): Promise<PrivateEngine> {
  await stopStaleEngine(say);
  await mkdir(NODES_DIR, { recursive: true, mode: 0o700 });
  await mkdir(ENGINE_STAGE, { recursive: true, mode: 0o700 });
  const log = await open(ENGINE_LOG, 'a', 0o600);
  // detached: a session of its own, so a Ctrl-C meant for the test reaches the test, whose hook stops the engine.
  const child = spawn('unshare', ['--mount', '--propagation', 'private', '--net', '--', 'sh', '-c', NAMESPACE_SETUP, 'sh', ...dockerdArgs()], {
    detached: true,
    stdio: ['ignore', log.fd, log.fd],
    env: {
      PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      PC_RUN: ENGINE_RUN_DIR,
      PC_STAGE: ENGINE_STAGE,
      HTTP_PROXY: CLOSED_PROXY,
      HTTPS_PROXY: CLOSED_PROXY,
      http_proxy: CLOSED_PROXY,
      https_proxy: CLOSED_PROXY,
      NO_PROXY: '',
    },
  });
  child.unref();
  await log.close();
  const pid = child.pid;
  if (pid === undefined) throw new Error('unshare could not be started');
  const engine = (mountNamespace: string): PrivateEngine => ({
    host: ENGINE_HOST,
    pid,
    mountNamespace,
    async docker(args, timeoutMs = 120_000) {
      const result = await execa('docker', args, { env: { DOCKER_HOST: ENGINE_HOST }, reject: false, stdin: 'ignore', timeout: timeoutMs });
      return { stdout: String(result.stdout), stderr: String(result.stderr) + (result.timedOut ? `\ntimed out after ${timeoutMs} ms` : ''), exitCode: result.exitCode ?? 124 };
    },
    stop: () => stopDaemon(pid, mountNamespace),
  });
  try {
    // The exec'd dockerd keeps unshare's pid; its mount namespace is the private one once it serves.
    await pollUntil(async () => {
      if (!(await alive(pid))) throw new Error(`dockerd exited: ${(await readFile(ENGINE_LOG, 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ')}`);
      const answer = await ping();
      return answer === 'HTTP 200: OK' ? { done: true, value: undefined } : { done: false, seen: answer };
    }, { awaited: `the private dockerd answering on ${ENGINE_SOCKET}`, timeoutMs: 30_000, intervalMs: 50 });
  } catch (error) {
    const left = await stopDaemon(pid, await readlink(`/proc/${pid}/ns/mnt`).catch(() => undefined));
    throw new Error(`${error instanceof Error ? error.message : String(error)}${left.length > 0 ? `; and left: ${left.join(', ')}` : ''}`);
  }
  return engine(await readlink(`/proc/${pid}/ns/mnt`));
}
