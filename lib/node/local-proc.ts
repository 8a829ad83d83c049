/**
 * Answers a NodeView needs about this machine read straight from /proc and /sys, where the
 * command it would otherwise spawn (`ps`, `ip -j link show`) costs more CPU than the answer: a
 * spawn of a Node process is 5-10 ms of CPU, and a teardown watch or a positive control asked
 * these once per pod (issue 14: the harness spent 6× the raw client's CPU per pod).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import type { IpLink } from '../linux/ip-link.ts';
import { errnoCode } from '../linux/errno.ts';
import { shimOfArgv, type RuntimeShim } from './runtime-shims.ts';

/** Every containerd shim running on this machine, from each process's own argv (NUL-separated, so exact). */
export function localShims(): RuntimeShim[] {
  const shims: RuntimeShim[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'latin1');
    } catch (error) {
      // The process ended between the listing and the read: it is no shim of anyone's.
      if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ESRCH') continue;
      throw error;
    }
    if (!cmdline.includes('containerd-shim')) continue;
    const shim = shimOfArgv(Number(entry), cmdline.split('\0').filter(Boolean));
    if (shim) shims.push(shim);
  }
  return shims;
}

/**
 * The link of this machine's network namespace with this ifindex, from /sys/class/net (each
 * link's ifindex file, and its master symlink): the link, undefined when none has it, or
 * 'ask ip' when a link was half-way through its removal as it was read (its sysfs files answer
 * EINVAL then): whose ifindex that was cannot be told, so the caller asks `ip` instead of guessing.
 */
export function localLinkByIndex(ifindex: number): IpLink | undefined | 'ask ip' {
  for (const name of readdirSync('/sys/class/net')) {
    let index: number;
    try {
      index = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
    } catch (error) {
      // Gone between the listing and the read: not this link, whatever it was.
      if (errnoCode(error) === 'ENOENT') continue;
      if (errnoCode(error) === 'EINVAL' || errnoCode(error) === 'ENODEV') return 'ask ip';
      throw error;
    }
    if (index !== ifindex) continue;
    try {
      return { name, ifindex, master: path.basename(readlinkSync(`/sys/class/net/${name}/master`)) };
    } catch {
      // No master link: not enslaved to a bridge.
      return { name, ifindex };
    }
  }
  return undefined;
}
