/**
 * Starts a node container from the test node image in the private engine, the two ways the
 * harness's providers meet one: with the docker CLI, as kind runs its nodes (then the node shell is
 * `docker exec`), and with testcontainers, as the k3s provider does (then the node shell is the
 * engine's exec API). Either shell keeps long-lived exec sessions, closed before the node goes. Either way the node is privileged like a kind node, /var is not the
 * container's overlay (containerd's overlayfs snapshots cannot live on overlayfs), and the node's
 * /run/containerd is a directory of the engine's run dir: the node's containerd socket is then
 * reachable from here, which is how the harness's CRI client makes the pods, as on the embedded node.
 * Both must run where DOCKER_HOST names the private engine (testcontainers reads it once, at its
 * first call, with TESTCONTAINERS_HOST_OVERRIDE=localhost and TESTCONTAINERS_RYUK_DISABLED=true).
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import type { StartedTestContainer } from 'testcontainers';
import type { NodeShell } from '../../../../lib/node/node-shell.ts';
import { ContainerExecShell, NODE_EXEC_SESSIONS } from '../../../../lib/node/shells/container-exec-shell.ts';
import { TestcontainersExecShell } from '../../../../lib/node/shells/testcontainers-exec-shell.ts';
import { pollUntil } from '../../../../lib/wait.ts';
import { NODES_DIR, TEST_LABEL } from './engine-layout.ts';

/** What the node's entrypoint prints once containerd serves with the images imported (the line kind's create waits for, too). */
export const NODE_READY_LINE = /detected cgroup v1|Reached target .*Multi-User System/;
const READY_TIMEOUT_MS = 60_000;

export type NodeShellKind = 'docker-exec' | 'testcontainers';

export interface NodeContainer {
  name: string;
  /** The node's containerd socket, as this machine reaches it. */
  socket: string;
  shell: NodeShell;
  /** The testcontainers handle of the node, when testcontainers started it (for shells of other settings on the same node). */
  testcontainer?: StartedTestContainer;
}

/** The node's /run/containerd on this machine. */
export function nodeRunDir(name: string): string {
  return path.join(NODES_DIR, name);
}

async function docker(args: string[], timeoutMs = 60_000): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await execa('docker', args, { reject: false, stdin: 'ignore', timeout: timeoutMs });
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? 124 };
}

/** Removes the node container (and its anonymous /var volume) and its run dir; a missing one is fine. */
export async function removeNodeContainer(name: string): Promise<void> {
  const removed = await docker(['rm', '--force', '--volumes', name]);
  if (removed.exitCode !== 0 && !/No such container/.test(removed.stderr)) throw new Error(`docker rm --force --volumes ${name} failed (exit ${removed.exitCode}): ${removed.stderr.trim()}`);
  await rm(nodeRunDir(name), { recursive: true, force: true });
}

/** `docker run` as kind runs a node: privileged, /run and /tmp tmpfs, /var a volume, its own cgroup namespace, on a network of the engine. */
export function dockerRunArgs(name: string, image: string, network: string): string[] {
  return [
    'run', '--detach', '--name', name, '--hostname', name, '--label', `${TEST_LABEL}=node-container`,
    '--privileged', '--tmpfs', '/run', '--tmpfs', '/tmp', '--volume', '/var', '--cgroupns=private', '--network', network,
    '--volume', `${nodeRunDir(name)}:/run/containerd`,
    image,
  ];
}

async function startWithDocker(name: string, image: string, network: string, registerStop: (label: string, stop: () => Promise<void>) => void): Promise<NodeShell> {
  const run = await docker(dockerRunArgs(name, image, network));
  if (run.exitCode !== 0) throw new Error(`docker ${dockerRunArgs(name, image, network).join(' ')} failed (exit ${run.exitCode}): ${run.stderr.trim()}`);
  await pollUntil(async () => {
    const logs = await docker(['logs', name]);
    const said = `${logs.stdout}\n${logs.stderr}`;
    if (NODE_READY_LINE.test(said)) return { done: true, value: undefined };
    const state = (await docker(['inspect', '--format', '{{.State.Status}}', name])).stdout.trim();
    if (state !== 'running') throw new Error(`node container ${name} is ${state}: ${said.trim().split('\n').slice(-3).join(' | ')}`);
    return { done: false, seen: said.trim().split('\n').at(-1) || 'no log line yet' };
  }, { awaited: `node container ${name} printing ${NODE_READY_LINE}`, timeoutMs: READY_TIMEOUT_MS, intervalMs: 200 });
  // As the kind provider does: long-lived exec sessions, closed before the container goes.
  const shell = new ContainerExecShell('docker', name, { sessions: NODE_EXEC_SESSIONS });
  registerStop(`exec sessions into ${name} closed`, () => shell.close());
  return shell;
}

async function startWithTestcontainers(name: string, image: string, network: string, started: (container: StartedTestContainer) => void, registerStop: (label: string, stop: () => Promise<void>) => void): Promise<NodeShell> {
  const { GenericContainer, PullPolicy, Wait } = await import('testcontainers');
  const container = await new GenericContainer(image)
    .withName(name)
    .withPullPolicy(PullPolicy.neverPull())
    .withPrivilegedMode()
    .withNetworkMode(network)
    // testcontainers has no anonymous volume: /var/lib/containerd as tmpfs keeps the snapshots off the overlay.
    .withTmpFs({ '/run': 'rw,exec', '/tmp': 'rw', '/var/lib/containerd': 'rw,exec' })
    .withBindMounts([{ source: nodeRunDir(name), target: '/run/containerd', mode: 'rw' }])
    .withLabels({ [TEST_LABEL]: 'node-container' })
    .withWaitStrategy(Wait.forLogMessage(NODE_READY_LINE).withStartupTimeout(READY_TIMEOUT_MS))
    .start();
  started(container);
  // As the k3s provider does: long-lived exec sessions through the engine's exec API, closed before the container goes.
  const shell = new TestcontainersExecShell(container, { sessions: NODE_EXEC_SESSIONS });
  registerStop(`exec sessions into ${name} closed`, () => shell.close());
  return shell;
}

/**
 * Starts the node on a network of its own (a node has an address, as a kind node on kind's network
 * does: the host-network checks look for it); `registerStop` is called before anything is made with
 * each undo (the network's removal, then the node's: the testcontainers stop where it started, else
 * `docker rm`), so a start that fails half-way is cleaned up too. The network is internal: no route
 * leaves it, and the engine's own namespace has none either.
 */
export async function startNodeContainer(kind: NodeShellKind, name: string, image: string, registerStop: (label: string, stop: () => Promise<void>) => void): Promise<NodeContainer> {
  let testcontainer: StartedTestContainer | undefined;
  const network = `${name}-net`;
  registerStop(`remove docker network ${network}`, async () => {
    const removed = await docker(['network', 'rm', network]);
    if (removed.exitCode !== 0 && !/not found/.test(removed.stderr)) throw new Error(`docker network rm ${network} failed (exit ${removed.exitCode}): ${removed.stderr.trim()}`);
  });
  const created = await docker(['network', 'create', '--internal', '--label', `${TEST_LABEL}=node-container`, network]);
  if (created.exitCode !== 0) throw new Error(`docker network create --internal ${network} failed (exit ${created.exitCode}): ${created.stderr.trim()}`);
  registerStop(`remove node container ${name}`, async () => {
    if (testcontainer) {
      await testcontainer.stop({ remove: true, removeVolumes: true });
      await rm(nodeRunDir(name), { recursive: true, force: true });
    }
    await removeNodeContainer(name);
  });
  await mkdir(nodeRunDir(name), { recursive: true, mode: 0o700 });
  const shell = kind === 'docker-exec' ? await startWithDocker(name, image, network, registerStop) : await startWithTestcontainers(name, image, network, (c) => (testcontainer = c), registerStop);
  return { name, socket: path.join(nodeRunDir(name), 'containerd.sock'), shell, ...(testcontainer ? { testcontainer } : {}) };
}
