/** Parses `ip -j link show` (iproute2 JSON) into the few fields the harness follows. */
import type { HostLink } from './node-view.ts';

export function parseIpLinkJson(output: string): HostLink[] {
  const parsed: unknown = JSON.parse(output || '[]');
  if (!Array.isArray(parsed)) return [];
  const links: HostLink[] = [];
  for (const entry of parsed) {
    if (typeof entry !== 'object' || entry === null) continue;
    const { ifindex, ifname, master } = entry as { ifindex?: unknown; ifname?: unknown; master?: unknown };
    if (typeof ifindex !== 'number' || typeof ifname !== 'string') continue;
    links.push(typeof master === 'string' ? { name: ifname, ifindex, master } : { name: ifname, ifindex });
  }
  return links;
}
