/**
 * The embedded node's pod subnet: an IPv4 CIDR the user may choose (--subnet). It must not
 * overlap a route this machine already has, or pod traffic and the machine's own would mix.
 */
import { execa } from 'execa';
import { UsageError } from '../errors.ts';

export const DEFAULT_SUBNET = '10.213.0.0/24';

export interface Cidr {
  text: string;
  base: number;
  prefix: number;
}

function ipToInt(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

export function parseCidr(text: string): Cidr | undefined {
  const match = /^(\d+\.\d+\.\d+\.\d+)(?:\/(\d{1,2}))?$/.exec(text.trim());
  if (!match) return undefined;
  const base = ipToInt(match[1]!);
  const prefix = match[2] === undefined ? 32 : Number(match[2]);
  if (base === undefined || prefix > 32) return undefined;
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return { text, base: (base & mask) >>> 0, prefix };
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return ((a.base & mask) >>> 0) === ((b.base & mask) >>> 0);
}

/** Parses `ip -j -4 route show table all` into destination CIDRs, leaving out default routes. */
export function routeDestinations(json: string): Cidr[] {
  const parsed: unknown = JSON.parse(json || '[]');
  if (!Array.isArray(parsed)) return [];
  const out: Cidr[] = [];
  for (const route of parsed) {
    const dst = (route as { dst?: unknown }).dst;
    if (typeof dst !== 'string' || dst === 'default') continue;
    const cidr = parseCidr(dst);
    if (cidr) out.push(cidr);
  }
  return out;
}

/** Checks the subnet's form and that no existing route overlaps it. */
export async function validateSubnet(text: string): Promise<Cidr> {
  const cidr = parseCidr(text);
  if (!cidr || !text.includes('/') || cidr.prefix < 8 || cidr.prefix > 28) {
    throw new UsageError(`--subnet ${text} is not usable`, 'it must be an IPv4 CIDR with a prefix from /8 to /28', `Pass e.g. --subnet ${DEFAULT_SUBNET}.`);
  }
  const routes = await execa('ip', ['-j', '-4', 'route', 'show', 'table', 'all'], { reject: false, timeout: 30_000 });
  const clash = routeDestinations(routes.stdout).find((route) => overlaps(route, cidr));
  if (clash) {
    throw new UsageError(`--subnet ${text} is already in use on this machine`, `it overlaps the route to ${clash.text}`, 'Pick a free range with --subnet, e.g. --subnet 10.214.0.0/24.');
  }
  return cidr;
}
