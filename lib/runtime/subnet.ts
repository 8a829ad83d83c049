/**
 * The embedded node's pod subnet: an IPv4 CIDR the user may choose (--subnet). It must not
 * overlap a route this machine already has, or pod traffic and the machine's own would mix.
 */
import { execa } from 'execa';
import { UsageError } from '../errors.ts';
import { overlaps, parseCidr, type Ipv4Cidr } from '../linux/ipv4-cidr.ts';
import { routeDestinations } from '../linux/ip-route.ts';

export const DEFAULT_SUBNET = '10.213.0.0/24';

/** Checks the subnet's form and that no existing route overlaps it. */
export async function validateSubnet(text: string): Promise<Ipv4Cidr> {
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
