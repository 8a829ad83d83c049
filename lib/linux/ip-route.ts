/**
 * `ip -j -4 route show table all` (iproute2 JSON): the destinations of the machine's routes, as
 * CIDRs, default routes left out (they overlap everything). Host routes print a bare address,
 * read as a /32. Fixture: fixtures/recorded/iproute2-ip-j-4-route-table-all.json.
 */
import { parseCidr, type Ipv4Cidr } from './ipv4-cidr.ts';

export function routeDestinations(json: string): Ipv4Cidr[] {
  const parsed: unknown = JSON.parse(json || '[]');
  if (!Array.isArray(parsed)) return [];
  const out: Ipv4Cidr[] = [];
  for (const route of parsed) {
    const dst = (route as { dst?: unknown }).dst;
    if (typeof dst !== 'string' || dst === 'default') continue;
    const cidr = parseCidr(dst);
    if (cidr) out.push(cidr);
  }
  return out;
}
