/**
 * Reads where host-local IPAM keeps a node's allocations from containerd's CRI info (`crictl info`
 * or the verbose Status info): cniconfig.Networks[].Config.{Name, Plugins[].Source}. host-local
 * stores each allocated IP as a file named after it in <dataDir>/<network name>, dataDir defaulting
 * to /var/lib/cni/networks. Fixture: shared/recorded/crictl-info.json.
 */
export function hostLocalIpamDirs(cniconfig: unknown): string[] {
  const networks = (cniconfig as { Networks?: unknown } | null)?.Networks;
  if (!Array.isArray(networks)) return [];
  const dirs: string[] = [];
  for (const network of networks) {
    const config = (network as { Config?: { Name?: unknown; Plugins?: unknown } }).Config;
    if (typeof config?.Name !== 'string' || !Array.isArray(config.Plugins)) continue;
    for (const plugin of config.Plugins) {
      const source = (plugin as { Source?: unknown }).Source;
      if (typeof source !== 'string') continue;
      let parsed: { ipam?: { type?: unknown; dataDir?: unknown } };
      try {
        parsed = JSON.parse(source) as typeof parsed;
      } catch {
        continue;
      }
      if (parsed.ipam?.type !== 'host-local') continue;
      const dataDir = typeof parsed.ipam.dataDir === 'string' ? parsed.ipam.dataDir : '/var/lib/cni/networks';
      dirs.push(`${dataDir}/${config.Name}`);
    }
  }
  return dirs;
}

/** The CRI verbose Status info holds cniconfig as a JSON string. */
export function hostLocalIpamDirsFromStatusInfo(info: Record<string, string>): string[] {
  const text = info['cniconfig'];
  if (!text) return [];
  try {
    return hostLocalIpamDirs(JSON.parse(text));
  } catch {
    return [];
  }
}
