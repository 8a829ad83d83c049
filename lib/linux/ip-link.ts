/**
 * `ip -j link show` (iproute2 JSON): the few fields the harness follows, a link's name, its ifindex
 * and the bridge it is enslaved to. Fixture: fixtures/recorded/iproute2-ip-j-link-bridge-veth.json.
 */
export interface IpLink {
  name: string;
  ifindex: number;
  /** The bridge (or bond) the link is a port of. */
  master?: string;
}

export function parseIpLinkJson(output: string): IpLink[] {
  const parsed: unknown = JSON.parse(output || '[]');
  if (!Array.isArray(parsed)) return [];
  const links: IpLink[] = [];
  for (const entry of parsed) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { ifindex, ifname, master } = entry as { ifindex?: unknown; ifname?: unknown; master?: unknown };
    if (typeof ifindex !== 'number' || typeof ifname !== 'string') continue;
    links.push(typeof master === 'string' ? { name: ifname, ifindex, master } : { name: ifname, ifindex });
  }
  return links;
}
