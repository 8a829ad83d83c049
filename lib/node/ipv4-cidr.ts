/** IPv4 addresses and CIDR blocks, for "is this IP in the pod subnet?" checks. */
export interface Ipv4Cidr {
  address: string;
  prefix: number;
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function toNumber(address: string): number {
  const parts = address.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) throw new Error(`not an IPv4 address: ${address}`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Parses "10.213.0.5/24". */
export function parseCidr(text: string): Ipv4Cidr {
  const [address, prefix] = text.split('/');
  const bits = Number(prefix);
  if (!address || !Number.isInteger(bits) || bits < 0 || bits > 32) throw new Error(`not an IPv4 CIDR: ${text}`);
  toNumber(address);
  return { address, prefix: bits };
}

export function cidrContains(cidr: Ipv4Cidr, address: string): boolean {
  const size = 2 ** (32 - cidr.prefix);
  const base = Math.floor(toNumber(cidr.address) / size);
  return Math.floor(toNumber(address) / size) === base;
}

/** The network of a CIDR: 10.213.0.5/24 -> 10.213.0.0/24. */
export function networkOf(cidr: Ipv4Cidr): Ipv4Cidr {
  const size = 2 ** (32 - cidr.prefix);
  return { address: toAddress(Math.floor(toNumber(cidr.address) / size) * size), prefix: cidr.prefix };
}

export function formatCidr(cidr: Ipv4Cidr): string {
  return `${cidr.address}/${cidr.prefix}`;
}

/** The "inet a.b.c.d/n" entries of `ip -4 -o addr` output, with their interface. */
export function parseIpAddrLines(output: string): { dev: string; cidr: string; scope: string }[] {
  const found: { dev: string; cidr: string; scope: string }[] = [];
  for (const line of output.split('\n')) {
    const match = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+\/\d+).*?\bscope\s+(\S+)/.exec(line.trim());
    if (match) found.push({ dev: match[1]!, cidr: match[2]!, scope: match[3]! });
  }
  return found;
}
