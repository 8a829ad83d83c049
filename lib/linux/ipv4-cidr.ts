/**
 * IPv4 addresses and CIDR blocks: "is this IP in the pod subnet?", "does this subnet overlap a
 * route?". One parser: parseCidr answers undefined for what is not an IPv4 CIDR, requireCidr
 * throws for it. A bare address is a /32 (as `ip route` prints host routes).
 */
export interface Ipv4Cidr {
  /** As given. */
  text: string;
  /** The address as given, host bits kept, as a 32-bit number. */
  address: number;
  prefix: number;
}

/** "10.213.0.5" -> its 32-bit number, or undefined when it is not a dotted IPv4 address. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

function formatIpv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function parseCidr(text: string): Ipv4Cidr | undefined {
  const match = /^([^/]+)(?:\/(\d{1,2}))?$/.exec(text.trim());
  if (!match) return undefined;
  const address = parseIpv4(match[1]!);
  const prefix = match[2] === undefined ? 32 : Number(match[2]);
  if (address === undefined || prefix > 32) return undefined;
  return { text, address, prefix };
}

/** parseCidr for input that must be a CIDR: throws "not an IPv4 CIDR: TEXT" otherwise. */
export function requireCidr(text: string): Ipv4Cidr {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`not an IPv4 CIDR: ${text}`);
  return cidr;
}

/** The block's first address: the address with its host bits cleared. */
function networkNumber(address: number, prefix: number): number {
  const size = 2 ** (32 - prefix);
  return Math.floor(address / size) * size;
}

export function cidrContains(cidr: Ipv4Cidr, address: string): boolean {
  const value = parseIpv4(address);
  if (value === undefined) throw new Error(`not an IPv4 address: ${address}`);
  return networkNumber(value, cidr.prefix) === networkNumber(cidr.address, cidr.prefix);
}

/** Whether two blocks share an address (one holds the other, or they are the same). */
export function overlaps(a: Ipv4Cidr, b: Ipv4Cidr): boolean {
  const prefix = Math.min(a.prefix, b.prefix);
  return networkNumber(a.address, prefix) === networkNumber(b.address, prefix);
}

/** The network of a CIDR: 10.213.0.5/24 -> 10.213.0.0/24. */
export function networkOf(cidr: Ipv4Cidr): Ipv4Cidr {
  const address = networkNumber(cidr.address, cidr.prefix);
  return { text: `${formatIpv4(address)}/${cidr.prefix}`, address, prefix: cidr.prefix };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${formatIpv4(cidr.address)}/${cidr.prefix}`;
}
