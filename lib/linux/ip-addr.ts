/**
 * `ip -4 -o addr show [dev DEV]`: one line per address, "N: DEV    inet A.B.C.D/P ... scope S ...".
 * iproute2 and busybox print the same line shape. Fixtures: fixtures/recorded/
 * busybox-ip-4-o-addr-host-network.txt, embedded-nsenter-ip-4-o-addr-eth0.txt and
 * iproute2-ip-4-o-addr-bridge-veth.txt.
 */
export interface Ipv4AddrLine {
  dev: string;
  /** The address with its prefix length, as printed: "10.213.0.2/24". */
  cidr: string;
  /** host, link, global... ('' if the line names none). */
  scope: string;
}

export function parseIpAddrLines(output: string): Ipv4AddrLine[] {
  const found: Ipv4AddrLine[] = [];
  for (const line of output.split('\n')) {
    const match = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+\/\d+)(?:.*?\bscope\s+(\S+))?/.exec(line.trim());
    if (match) found.push({ dev: match[1]!, cidr: match[2]!, scope: match[3] ?? '' });
  }
  return found;
}

/** The first IPv4 address of `device` (without its prefix length), or undefined when it has none. */
export function ipv4OfDevice(output: string, device: string): string | undefined {
  return parseIpAddrLines(output).find((line) => line.dev === device)?.cidr.split('/')[0];
}
