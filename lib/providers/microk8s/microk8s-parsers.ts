/**
 * What the microk8s snap prints and keeps, read back. The messages are the snap's own
 * (canonical/microk8s scripts/wrappers/status.py and common/utils.py): `microk8s status` prints
 * its verdict on the first line of stdout and exits 0 whether or not the cluster is ready; only
 * the permission check exits 1. The file formats are the snap's args files (one flag per line,
 * ${SNAP_COMMON} unexpanded) and containerd's TOML config.
 */

export type Microk8sStatusKind = 'running' | 'not-ready' | 'stopped' | 'no-permission' | 'cluster-member' | 'unknown';

export interface Microk8sStatus {
  kind: Microk8sStatusKind;
  /** The line the verdict came from (for messages). */
  line: string;
}

const VERDICTS: [RegExp, Microk8sStatusKind][] = [
  [/^microk8s is running\b/, 'running'],
  [/^microk8s is not running, try microk8s start/, 'stopped'],
  [/^microk8s is not running\. Use microk8s inspect/, 'not-ready'],
  [/^Insufficient permissions to access MicroK8s/, 'no-permission'],
  [/^This MicroK8s deployment is acting as a node in a cluster/, 'cluster-member'],
];

/** `microk8s status [--wait-ready --timeout N]` (stdout and stderr together) -> its verdict. */
export function parseMicrok8sStatus(output: string): Microk8sStatus {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  for (const line of lines) {
    for (const [pattern, kind] of VERDICTS) if (pattern.test(line)) return { kind, line };
  }
  return { kind: 'unknown', line: lines[0] ?? '(no output)' };
}

/** `microk8s version`: "MicroK8s v1.32.9 revision 8511" (older) or "MicroK8s v1.32.9 revision: 8511". */
export function parseMicrok8sVersion(output: string): string | undefined {
  const match = /^MicroK8s\s+(\S+)\s+revision:?\s*(\S+)/m.exec(output);
  return match ? `${match[1]} (snap revision ${match[2]})` : undefined;
}

export const SNAP_COMMON = '/var/snap/microk8s/common';
export const SNAP_DATA = '/var/snap/microk8s/current';

/** containerd's --root from the snap's args/containerd (default: the snap's own). */
export function containerdRootFromArgs(text: string, snapCommon = SNAP_COMMON, snapData = SNAP_DATA): string {
  for (const line of text.split('\n')) {
    const match = /^\s*--root(?:\s+|=)(\S+)\s*$/.exec(line);
    if (match) return match[1]!.replaceAll('${SNAP_COMMON}', snapCommon).replaceAll('${SNAP_DATA}', snapData);
  }
  return `${snapCommon}/var/lib/containerd`;
}

/**
 * The sandbox image a containerd TOML config names: CRI `sandbox_image = "..."` (config version
 * 2, containerd 1.x) or `sandbox = "..."` under [plugins."io.containerd.cri.v1.images".pinned_images]
 * (config version 3, containerd 2.x).
 */
export function sandboxImageFromContainerdToml(text: string): string | undefined {
  const v2 = /^\s*sandbox_image\s*=\s*["']([^"']+)["']/m.exec(text);
  if (v2) return v2[1];
  const section = /^\s*\[plugins\.["']io\.containerd\.cri\.v1\.images["']\.pinned_images\]\s*$([\s\S]*?)(?=^\s*\[|$(?![\s\S]))/m.exec(text);
  const v3 = section ? /^\s*sandbox\s*=\s*["']([^"']+)["']/m.exec(section[1] ?? '') : null;
  return v3?.[1];
}
