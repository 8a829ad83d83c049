/**
 * CPU time spent per block of lifecycles, from /proc: the bench process itself (the harness's
 * polling, gRPC, JSON), the commands it ran and waited for (`ip`, ...), and the private containerd
 * (with the processes it waited for). Wall times swing with whatever else the machine runs; CPU
 * time per pod says what each way of doing the lifecycle costs. Shims and runc are not children
 * that containerd waits for, so the runtime's share here is a lower bound.
 */
import { readFileSync } from 'node:fs';

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
