/**
 * Which process's namespaces a probe pod enters to be "on the node". PID 1's, where it may: on
 * some machines even a privileged hostPID pod is refused /proc/1/ns/* (a VM's init: "can't open
 * '/proc/1/ns/ipc': Permission denied", the real node of 2026-12-02; the same wall users meet with
 * `kubectl debug node`, kubernetes/kubectl#1230). Then another process known to live in the
 * node's namespaces: the kubelet (kubelet, microk8s kubelite, k3s server|agent) or the runtime
 * (containerd, dockerd), never a shim (it may sit in a pod's namespaces), matched by its full
 * command line (comm is cut at 15 characters). It must show all four namespace links, its net
 * namespace must be the probe's own (the probe is hostNetwork, so that is the node's: this tells
 * a node process from one in a container), and `nsenter -t <pid> ... true` must succeed.
 */
import path from 'node:path';

/** The namespaces the probe enters (nsenter -m -u -n -i) and so must be readable. */
export const ENTERED_NAMESPACES = ['mnt', 'uts', 'net', 'ipc'] as const;

export interface ProcessSeen {
  pid: number;
  argv: string[];
}

/** Preference order: the kubelet first (it is the node's by definition), then the runtime. */
const NODE_PROCESSES: { name: string; matches: (argv: string[]) => boolean }[] = [
  { name: 'kubelet', matches: (argv) => path.basename(argv[0] ?? '') === 'kubelet' },
  { name: 'kubelite', matches: (argv) => path.basename(argv[0] ?? '') === 'kubelite' },
  { name: 'k3s', matches: (argv) => path.basename(argv[0] ?? '') === 'k3s' && (argv[1] === 'server' || argv[1] === 'agent') },
  { name: 'containerd', matches: (argv) => path.basename(argv[0] ?? '') === 'containerd' },
  { name: 'dockerd', matches: (argv) => path.basename(argv[0] ?? '') === 'dockerd' },
];

/** The node processes among those seen, in preference order (shims and everything else left out). */
export function nodeProcessCandidates(seen: ProcessSeen[]): (ProcessSeen & { kind: string })[] {
  const out: (ProcessSeen & { kind: string })[] = [];
  for (const kind of NODE_PROCESSES) {
    for (const process of seen.filter((p) => p.pid !== 1 && kind.matches(p.argv)).sort((a, b) => a.pid - b.pid)) out.push({ ...process, kind: kind.name });
  }
  return out;
}

/**
 * The probe's listing of /proc: one line per process, "<pid> <argv joined by \x01>", as the
 * constant script in probe-pod-shell.ts prints it (busybox tr turns the NULs into \x01).
 */
export function parseProcessListing(output: string): ProcessSeen[] {
  const seen: ProcessSeen[] = [];
  for (const line of output.split('\n')) {
    const match = /^(\d+) (.*)$/.exec(line);
    if (!match) continue;
    const argv = match[2]!.split('\x01');
    while (argv.length > 0 && argv.at(-1) === '') argv.pop();
    if (argv.length > 0) seen.push({ pid: Number(match[1]), argv });
  }
  return seen;
}

/** What the probe learnt of one candidate: its namespace links (or why not) and whether nsenter into it worked. */
export interface CandidateCheck {
  links?: Partial<Record<(typeof ENTERED_NAMESPACES)[number], string>>;
  /** Why its links could not all be read. */
  linksError?: string;
  enter?: { ok: boolean; said: string };
}

export type NamespaceTarget = { pid: number; process: string; why: string } | { inconclusive: string };

/**
 * The decision, given what was seen: PID 1 when its links are all readable; else the first
 * candidate whose links are readable, whose net namespace is the probe's own and that nsenter
 * enters; else inconclusive, with what each refused.
 */
export function chooseNamespaceTarget(pid1: CandidateCheck, candidates: (ProcessSeen & { kind: string; check: CandidateCheck })[], probeNet: string): NamespaceTarget {
  const pid1Readable = pid1.links !== undefined && ENTERED_NAMESPACES.every((kind) => pid1.links![kind]);
  if (pid1Readable) return { pid: 1, process: 'init', why: "PID 1's namespaces are readable" };
  const pid1Refused = `pid 1: ${pid1.linksError ?? 'its namespace links cannot all be read'}`;
  const refused: string[] = [pid1Refused];
  for (const candidate of candidates) {
    const label = `${candidate.kind} pid ${candidate.pid}`;
    const { links, linksError, enter } = candidate.check;
    if (!links || !ENTERED_NAMESPACES.every((kind) => links[kind])) {
      refused.push(`${label}: ${linksError ?? 'its namespace links cannot all be read'}`);
      continue;
    }
    if (links.net !== probeNet) {
      refused.push(`${label}: in ${links.net}, not the node's ${probeNet} (a process in a container)`);
      continue;
    }
    if (!enter?.ok) {
      refused.push(`${label}: nsenter failed${enter?.said ? `: ${enter.said}` : ''}`);
      continue;
    }
    return { pid: candidate.pid, process: `${candidate.kind} (${candidate.argv[0]})`, why: pid1Refused };
  }
  if (candidates.length === 0) refused.push('no kubelet, kubelite, k3s, containerd or dockerd process seen');
  return { inconclusive: `no node process can be entered: ${refused.join('; ')}` };
}
