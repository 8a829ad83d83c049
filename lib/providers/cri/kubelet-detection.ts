/**
 * Is a kubelet using the runtime socket the cri provider was pointed at? A kubelet kills, within
 * a second or two, running pods in its runtime that it does not know (HandlePodCleanups: "Clean up
 * containers for orphaned pod we had not seen before", every 2 s of housekeeping): CRI-level pods
 * there die under the checks (17 false failures on a real node). So the cri provider refuses such
 * a socket and names the provider that fits (kubeconfig --node-shell local).
 *
 * How: every process in /proc whose command line is a kubelet (argv0 `kubelet`), microk8s'
 * `kubelite` (its --kubelet-args-file) or `k3s server|agent` (the kubelet inside k3s) is asked
 * which endpoint it would use: its --container-runtime-endpoint, else (kubelet) its --config
 * file's containerRuntimeEndpoint, else the default (kubelet: unix:///run/containerd/containerd.sock,
 * pkg/kubelet/apis/config/v1beta1/defaults.go; k3s: /run/k3s/containerd/containerd.sock). Sockets
 * are compared by device and inode, so /var/run vs /run and bind mounts match. Processes in
 * another PID namespace (the harness in a container) are not seen: docs say so.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';

export const KUBELET_DEFAULT_ENDPOINT = 'unix:///run/containerd/containerd.sock';
export const K3S_DEFAULT_ENDPOINT = '/run/k3s/containerd/containerd.sock';
const SNAP_COMMON = '/var/snap/microk8s/common';
const SNAP_DATA = '/var/snap/microk8s/current';

/** A flag's value as `--name=value` or `--name value`. */
export function flagValue(argv: string[], name: string): string | undefined {
  for (const [index, arg] of argv.entries()) {
    if (arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
    if (arg === name) return argv[index + 1];
  }
  return undefined;
}

export interface KubeletClaim {
  /** The endpoint the process would use, as it would write it. */
  endpoint: string;
  /** How it was found, for the message: "--container-runtime-endpoint", "containerRuntimeEndpoint in /var/lib/kubelet/config.yaml", "the kubelet's default". */
  how: string;
  /** What the process is: kubelet, kubelite, k3s server. */
  what: string;
}

/**
 * The runtime endpoint a process would use if it is a kubelet, kubelite or k3s (undefined for any
 * other process). `read` reads a file the process names (its --config, its args file); a file
 * that cannot be read leaves the endpoint as the default would have it.
 */
export async function kubeletClaim(argv: string[], read: (file: string) => Promise<string | undefined>): Promise<KubeletClaim | undefined> {
  const name = path.basename(argv[0] ?? '');
  const flag = flagValue(argv, '--container-runtime-endpoint');
  if (name === 'kubelet') {
    if (flag) return { endpoint: flag, how: '--container-runtime-endpoint', what: 'kubelet' };
    const config = flagValue(argv, '--config');
    if (config) {
      const text = await read(config);
      let endpoint: unknown;
      try {
        endpoint = text ? (parse(text) as { containerRuntimeEndpoint?: unknown } | null)?.containerRuntimeEndpoint : undefined;
      } catch {
        endpoint = undefined;
      }
      if (typeof endpoint === 'string' && endpoint) return { endpoint, how: `containerRuntimeEndpoint in ${config}`, what: 'kubelet' };
    }
    return { endpoint: KUBELET_DEFAULT_ENDPOINT, how: "the kubelet's default", what: 'kubelet' };
  }
  if (name === 'kubelite') {
    const argsFile = flagValue(argv, '--kubelet-args-file');
    const text = argsFile ? await read(argsFile) : undefined;
    const line = text?.split('\n').map((l) => l.trim()).find((l) => l.startsWith('--container-runtime-endpoint'));
    const value = line ? flagValue(line.split(/\s+/), '--container-runtime-endpoint') : undefined;
    if (value) return { endpoint: value.replaceAll('${SNAP_COMMON}', SNAP_COMMON).replaceAll('${SNAP_DATA}', SNAP_DATA), how: `--container-runtime-endpoint in ${argsFile}`, what: 'microk8s kubelite' };
    return { endpoint: KUBELET_DEFAULT_ENDPOINT, how: "the kubelet's default", what: 'microk8s kubelite' };
  }
  if (name === 'k3s' && (argv[1] === 'server' || argv[1] === 'agent')) {
    if (flag) return { endpoint: flag, how: '--container-runtime-endpoint', what: `k3s ${argv[1]}` };
    return { endpoint: K3S_DEFAULT_ENDPOINT, how: "k3s's embedded containerd", what: `k3s ${argv[1]}` };
  }
  return undefined;
}

/** A socket's identity (device and inode), or undefined when it does not exist. */
export async function socketIdentity(endpoint: string): Promise<string | undefined> {
  const file = endpoint.replace(/^unix:\/\//, '');
  if (!file.startsWith('/')) return undefined;
  const found = await stat(file).catch(() => undefined);
  return found ? `${found.dev}:${found.ino}` : undefined;
}

export interface KubeletOnSocket extends KubeletClaim {
  pid: number;
  /** Its command line, as /proc shows it. */
  command: string;
}

/** Every kubelet (kubelite, k3s) in this PID namespace whose runtime endpoint is the given socket. */
export async function kubeletsUsing(endpoint: string, proc = '/proc'): Promise<KubeletOnSocket[]> {
  const target = await socketIdentity(endpoint);
  if (!target) return [];
  const found: KubeletOnSocket[] = [];
  for (const entry of await readdir(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    // A process may end, or be another user's, between the listing and the read.
    const raw = await readFile(`${proc}/${entry}/cmdline`).catch(() => undefined);
    if (!raw || raw.length === 0) continue;
    const argv = raw.toString('utf8').split('\0').filter((arg, index, all) => arg !== '' || index < all.length - 1);
    // A relative --config is relative to the kubelet's own working directory.
    const claim = await kubeletClaim(argv, (file) => readFile(path.isAbsolute(file) ? file : `${proc}/${entry}/cwd/${file}`, 'utf8').catch(() => undefined));
    if (!claim || (await socketIdentity(claim.endpoint)) !== target) continue;
    found.push({ ...claim, pid: Number(entry), command: argv.join(' ') });
  }
  return found;
}
