/**
 * The runtime's shims on a node, read from their command lines: `containerd-shim-runc-v2
 * -namespace k8s.io -id <sandbox id> -address <containerd socket>`. With containerd's pod-level
 * grouping (1.6 and 2.1 alike) a pod's sandbox and its containers share one shim, started with the
 * sandbox's id; so "the shim of a sandbox" is the shim whose -id is the sandbox id. Read from the
 * command line, not from the task bundle: a shim the runtime leaked after removing its sandbox has
 * no bundle any more (containerd/containerd#10421).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { runChecked, type NodeShell } from './node-shell.ts';

export interface RuntimeShim {
  pid: number;
  /** The sandbox it serves (its -id), or the container id for runtimes that start one shim per container. */
  sandboxId: string;
  /** Its socket, where its -address and -namespace say where it listens. */
  socket?: string;
  /** Its executable (a shim of an old runtime keeps running from the old binary). */
  binary?: string;
}

const SHIM_SOCKET_DIR = '/run/containerd/s';

/**
 * The socket a shim listens on, from what it was started with: containerd's shim SocketAddress,
 * sha256("<grpc address>/<namespace>/<id>") under /run/containerd/s, unchanged from 1.6 to 2.1.
 */
export function shimSocketOf(address: string, namespace: string, id: string): string {
  return path.join(SHIM_SOCKET_DIR, createHash('sha256').update(path.join(address, namespace, id)).digest('hex'));
}

/** The value after `flag` in argv (`-id X` or `--id X` or `-id=X`). */
export function argValue(argv: string[], flag: string): string | undefined {
  for (const [i, arg] of argv.entries()) {
    if (arg === `-${flag}` || arg === `--${flag}`) return argv[i + 1];
    if (arg.startsWith(`-${flag}=`) || arg.startsWith(`--${flag}=`)) return arg.slice(arg.indexOf('=') + 1);
  }
  return undefined;
}

/** A shim from its argv (any containerd's), or undefined when argv is not a shim's with an -id. */
export function shimOfArgv(pid: number, argv: string[]): RuntimeShim | undefined {
  const binary = argv[0] ?? '';
  if (!/containerd-shim/.test(path.basename(binary))) return undefined;
  const id = argValue(argv, 'id');
  if (!id) return undefined;
  const address = argValue(argv, 'address');
  const namespace = argValue(argv, 'namespace');
  return { pid, sandboxId: id, binary, ...(address && namespace ? { socket: shimSocketOf(address, namespace, id) } : {}) };
}

/** The ps command whose output parseShimsFromPs reads (procps and busybox both take -o). */
export const PS_SHIMS_ARGV = ['ps', '-e', '-o', 'pid=,args='];

/**
 * The runtime's shims from `ps -e -o pid=,args=`: containerd-shim* processes with the -id each
 * was started with. A shim of an old runtime keeps running from its old binary (microk8s:
 * /snap/microk8s/<old revision>/bin/...), which the args show.
 */
export function parseShimsFromPs(output: string): RuntimeShim[] {
  const shims: RuntimeShim[] = [];
  for (const line of output.split('\n')) {
    // pid first, the shim's argv last; time columns between (an etime a person asked ps for, 05:34
    // or 1-02:03:04) are skipped, nothing else: another program's argv that names a shim is not one.
    const match = /^\s*(\d+)\s+(?:[\d:.-]+\s+)*(\S*containerd-shim\S*(?:\s.*)?)$/.exec(line);
    if (!match) continue;
    const shim = shimOfArgv(Number(match[1]), match[2]!.trim().split(/\s+/));
    if (shim) shims.push(shim);
  }
  return shims;
}

/** One line naming a shim for evidence and leak lines: its pid, sandbox, socket and binary. */
export function describeRuntimeShim(shim: RuntimeShim): string {
  return `shim pid ${shim.pid} of sandbox ${shim.sandboxId}${shim.socket ? ` (socket ${shim.socket})` : ''}`;
}

/** The runtime's shims on the node a shell reaches; a ps that fails is an error, never "no shims". */
export async function shimsThrough(shell: NodeShell): Promise<RuntimeShim[]> {
  return parseShimsFromPs(await runChecked(shell, PS_SHIMS_ARGV, 30_000));
}
