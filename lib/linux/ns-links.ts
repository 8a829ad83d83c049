/**
 * Parses `readlink /proc/PID/ns/X ...` (one "net:[4026532177]" per line): the kernel's name for
 * each namespace a process is in. A Linux fact, read the same way whichever shell or inspector
 * asked for it, so it lives here and nowhere else.
 */
export type NamespaceLinkKind = 'net' | 'ipc' | 'uts' | 'pid' | 'mnt';

export function parseNamespaceLinks(output: string): Partial<Record<NamespaceLinkKind, string>> {
  const ids: Partial<Record<NamespaceLinkKind, string>> = {};
  for (const line of output.split('\n')) {
    const match = /^(net|ipc|uts|pid|mnt):\[(\d+)\]$/.exec(line.trim());
    if (match) ids[match[1] as NamespaceLinkKind] = line.trim();
  }
  return ids;
}
