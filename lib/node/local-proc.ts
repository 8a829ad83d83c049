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
import { parseProcStat } from '../linux/proc-stat.ts';
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
 * The containerd shim that is the parent of `pid`, where it is one: a shim is the subreaper of
 * the containers it starts (the pause included), so a pod's pause is its shim's child. Two reads,
 * where listing every shim reads the command line of every process on the machine (9 ms a pod at
 * 16 pods, npm run bench). Undefined when pid is gone or its parent is no shim (CRI-O's conmon).
 */
export function localParentShim(pid: number): RuntimeShim | undefined {
  try {
    const ppid = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).ppid;
    return shimOfArgv(ppid, readFileSync(`/proc/${ppid}/cmdline`, 'latin1').split('\0').filter(Boolean));
  } catch (error) {
    if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ESRCH') return undefined;
    throw error;
  }
}

/**
 * The link of this machine's network namespace with this ifindex, from /sys/class/net (each
 * link's ifindex file, and its master symlink): the link, or undefined when none has it.
 *
 * A link half-way through its removal answers EINVAL (ENODEV) from its sysfs files for a moment:
 * it is no longer "alive" (net-sysfs.c dev_isalive: reg_state past NETREG_REGISTERED). The kernel
 * takes it off its list of links in the same step that sets that state (net/core/dev.c
 * unregister_netdevice_many: unlist_netdevice, then NETREG_UNREGISTERING, both before RTM_DELLINK
 * is sent and the sysfs entry removed), so `ip link` no longer lists it either: it is not there,
 * whichever link it was. At 16 pods some veth is always in that state, and asking `ip` instead
 * spawned a process per look (29 for 16 pods, npm run bench).
 */
export function localLinkByIndex(ifindex: number): IpLink | undefined {
  for (const name of readdirSync('/sys/class/net')) {
    let index: number;
    try {
      index = Number(readFileSync(`/sys/class/net/${name}/ifindex`, 'utf8'));
    } catch (error) {
      // Gone between the listing and the read, or being removed: not listed, whatever it was.
      const code = errnoCode(error);
      if (code === 'ENOENT' || code === 'EINVAL' || code === 'ENODEV') continue;
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
