/**
 * CPU time spent per block of lifecycles, from /proc: the bench process itself (the harness's
 * polling, gRPC, JSON), the commands it ran and waited for (`ip`, ...), and the private containerd
 * (with the processes it waited for). Wall times swing with whatever else the machine runs; CPU
 * time per pod says what each way of doing the lifecycle costs. Shims and runc are not children
 * that containerd waits for, so the runtime's share here is a lower bound.
 */
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux.

export interface CpuSnapshot {
  benchMs: number;
  commandsMs: number;
  containerdMs: number;
}

/** utime+stime and cutime+cstime of a process (or of one thread: 'self/task/<tid>'), in ms. */
export function procCpu(pid: number | string): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields after the comm start at field 3 (state) = index 0: utime is field 14 = index 11.
  const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
  return { own: (utime! + stime!) * TICK_MS, children: (cutime! + cstime!) * TICK_MS };
}

/**
 * This process, its waited-for commands and containerd. `groundTruthMs` is the CPU so far of this
 * process's threads that take the bench's ground truth (the worker asking the CRI for sandbox
 * states, inotify): the bench's own, in both modes alike, left out of the client's figure.
 */
export function cpuSnapshot(containerdPid: number, groundTruthMs = 0): CpuSnapshot {
  const self = procCpu('self');
  let containerdMs = NaN;
  try {
    const containerd = procCpu(containerdPid);
    containerdMs = containerd.own + containerd.children;
  } catch {
    // containerd gone (a failing run): the figure is left out rather than guessed.
  }
  return { benchMs: self.own - groundTruthMs, commandsMs: self.children, containerdMs };
}

export function cpuSince(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return { benchMs: after.benchMs - before.benchMs, commandsMs: after.commandsMs - before.commandsMs, containerdMs: after.containerdMs - before.containerdMs };
}

/**
 * This process's CPU by kind of thread, in ms so far: the main thread (the harness's and the raw
 * client's calls, the sources' lines), the other worker threads (the harness's inotify thread and
 * its asks of the CRI), V8's helpers (garbage collection, compilation) and libuv's pool. The
 * ground-truth worker (`groundTruthTid`) is left out, as in cpuSnapshot. Threads that ended are
 * missing: the figure is for threads that live through a block, as these do.
 */
export type ThreadKind = 'main' | 'workers' | 'v8' | 'pool' | 'other';
export const THREAD_KINDS: readonly ThreadKind[] = ['main', 'workers', 'v8', 'pool', 'other'];

export function threadCpu(groundTruthTid: number | undefined): Map<number, { kind: ThreadKind; ms: number }> {
  const threads = new Map<number, { kind: ThreadKind; ms: number }>();
  for (const entry of readdirSync('/proc/self/task')) {
    const tid = Number(entry);
    if (tid === groundTruthTid) continue;
    let comm: string;
    let ms: number;
    try {
      comm = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
      ms = procCpu(`self/task/${tid}`).own;
    } catch {
      continue; // The thread ended between the listing and the read.
    }
    const kind: ThreadKind = tid === process.pid ? 'main' : comm === 'WorkerThread' ? 'workers' : comm.startsWith('V8') ? 'v8' : comm.startsWith('libuv') ? 'pool' : 'other';
    threads.set(tid, { kind, ms });
  }
  return threads;
}

/** Per kind, the CPU the threads alive at `after` used since `before`. */
export function threadCpuSince(before: Map<number, { kind: ThreadKind; ms: number }>, after: Map<number, { kind: ThreadKind; ms: number }>): Record<ThreadKind, number> {
  const used = Object.fromEntries(THREAD_KINDS.map((kind) => [kind, 0])) as Record<ThreadKind, number>;
  for (const [tid, thread] of after) used[thread.kind] += thread.ms - (before.get(tid)?.ms ?? 0);
  return used;
}
