/**
 * Reads where a node's CNI IPAM keeps its allocations from containerd's CRI info (`crictl info`
 * or the verbose Status info): cniconfig.Networks[].Config.{Name, Plugins[].Source}. host-local
 * stores each allocated IP as a file named after it in <dataDir>/<network name>, dataDir
 * defaulting to /var/lib/cni/networks (containernetworking/plugins host-local backend/disk).
 * Where no such store exists, the reason is returned too, so a check of IP release can say
 * "not checked: <why>" instead of dropping the condition. Fixture: fixtures/recorded/crictl-info.json.
 *
 * flannel (k3s, and flannel's own manifests) is a plugin whose IPAM is filled in at run time: it
 * hands its delegate (bridge) the flannel plugin's own top-level `ipam`, host-local when that has
 * no type, with the ranges of /run/flannel/subnet.env; the delegate may not carry an ipam of its
 * own (flannel-io/cni-plugin flannel_linux.go lines 34-42 and 115, flannel.go 297-300). The store
 * is then <ipam.dataDir or /var/lib/cni/networks>/<the conflist's name> (libcni gives every plugin
 * the list's name), e.g. /var/lib/cni/networks/cbr0 on k3s.
 */

const HOST_LOCAL_DEFAULT_DATA_DIR = '/var/lib/cni/networks';

export interface IpamStores {
  /** Directories where an allocated IP is a file named after it. */
  dirs: string[];
  /** Why IP release cannot be checked on this node; set only when `dirs` is empty. */
  notChecked?: string;
}

interface PluginConfig {
  type?: unknown;
  ipam?: { type?: unknown; dataDir?: unknown };
}

/** The host-local store a plugin's IPAM writes to, or why it has none; undefined for a plugin that allocates no IP (loopback, portmap). */
function storeOf(network: string, plugin: PluginConfig): { dir: string } | { why: string } | undefined {
  // flannel fills its delegate's IPAM with its own top-level ipam, host-local by default.
  const ipam = plugin.type === 'flannel' ? { type: 'host-local', ...plugin.ipam } : plugin.ipam;
  if (ipam === undefined || ipam.type === undefined) return undefined;
  if (ipam.type !== 'host-local') return { why: `network ${network}: IPAM ${String(ipam.type)} keeps no host-local store the harness can read` };
  const dataDir = typeof ipam.dataDir === 'string' && ipam.dataDir !== '' ? ipam.dataDir : HOST_LOCAL_DEFAULT_DATA_DIR;
  return { dir: `${dataDir}/${network}` };
}

export function ipamStores(cniconfig: unknown): IpamStores {
  const networks = (cniconfig as { Networks?: unknown } | null)?.Networks;
  if (!Array.isArray(networks) || networks.length === 0) return { dirs: [], notChecked: 'the runtime reports no CNI network' };
  const dirs: string[] = [];
  const reasons: string[] = [];
  const names: string[] = [];
  for (const network of networks) {
    const config = (network as { Config?: { Name?: unknown; Plugins?: unknown } }).Config;
    if (typeof config?.Name !== 'string' || !Array.isArray(config.Plugins)) continue;
    names.push(config.Name);
    for (const plugin of config.Plugins) {
      const source = (plugin as { Source?: unknown }).Source;
      if (typeof source !== 'string') continue;
      let parsed: PluginConfig;
      try {
        parsed = JSON.parse(source) as PluginConfig;
      } catch {
        reasons.push(`network ${config.Name}: a plugin's configuration is not JSON`);
        continue;
      }
      const store = storeOf(config.Name, parsed);
      if (store && 'dir' in store) dirs.push(store.dir);
      else if (store) reasons.push(store.why);
    }
  }
  if (dirs.length > 0) return { dirs };
  return { dirs, notChecked: reasons.length > 0 ? reasons.join('; ') : `no plugin of the CNI networks ${names.join(', ') || '(unnamed)'} allocates IPs with host-local` };
}

/** The host-local IPAM directories alone (see ipamStores for the reason when there are none). */
export function hostLocalIpamDirs(cniconfig: unknown): string[] {
  return ipamStores(cniconfig).dirs;
}

/** The CRI verbose Status info holds cniconfig as a JSON string. */
export function ipamStoresFromStatusInfo(info: Record<string, string>): IpamStores {
  const text = info['cniconfig'];
  if (!text) return { dirs: [], notChecked: 'the runtime reports no CNI configuration in its status' };
  try {
    return ipamStores(JSON.parse(text));
  } catch {
    return { dirs: [], notChecked: "the runtime's CNI configuration in its status is not JSON" };
  }
}

/**
 * containerd's task directory of the CRI's namespace, from the CRI status's config: its stateDir
 * is <containerd state>/io.containerd.grpc.v1.cri, the tasks' bundles are in
 * <containerd state>/io.containerd.runtime.v2.task/k8s.io (containerd 1.6 to 2.x). Undefined when
 * the runtime's status has no such config (not containerd).
 */
export function containerdTaskDirFromStatusInfo(info: Record<string, string>): string | undefined {
  try {
    const stateDir = (JSON.parse(info['config'] ?? '{}') as { stateDir?: unknown }).stateDir;
    if (typeof stateDir !== 'string' || !stateDir.endsWith('/io.containerd.grpc.v1.cri')) return undefined;
    return `${stateDir.slice(0, -'/io.containerd.grpc.v1.cri'.length)}/io.containerd.runtime.v2.task/k8s.io`;
  } catch {
    return undefined;
  }
}
