/**
 * Lines of `ip -ts -o monitor link` (iproute2 6.1 on Debian 12): one line per rtnetlink message,
 * prefixed with the time `ip` received it, in local time with microseconds:
 *   [2026-12-03T10:19:43.288336] Deleted 5997: pcbt0@NONE: <BROADCAST,MULTICAST> mtu 1500 ...
 * A link that is new or changed has no "Deleted " before its ifindex.
 */

export interface MonitorLinkEvent {
  /** When `ip` received the message, ms since the epoch (sub-ms precision). */
  atMs: number;
  ifindex: number;
  /** The link's name, without the "@peer" part. */
  name: string;
  deleted: boolean;
}

const TS_LINE = /^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d+)\] (Deleted )?(\d+): ([^:@\s]+)[@:]/;

/**
 * The event of one line, or undefined for any other line. The time is local time without a zone
 * (iproute2 formats it with localtime()): read here with the Date constructor, which uses the same
 * TZ, since the monitor is our child with our environment.
 */
export function parseMonitorLinkLine(line: string): MonitorLinkEvent | undefined {
  const match = TS_LINE.exec(line);
  if (!match) return undefined;
  const [, year, month, day, hour, minute, second, fraction, deleted, ifindex, name] = match;
  const wholeSeconds = new Date(Number(year), Number(month) - 1, Number(day), Number(hour), Number(minute), Number(second)).getTime();
  return { atMs: wholeSeconds + Number(`0.${fraction}`) * 1000, ifindex: Number(ifindex), name: name!, deleted: deleted !== undefined };
}
