/**
 * Renices the calling thread alone, for a thread that must take its stamps on time while the
 * machine is loaded: on Linux setpriority() of a thread id acts on that thread only, and
 * /proc/thread-self names it. Says the priority the thread runs at, or why it stayed at nice 0
 * (not root: raising a priority needs CAP_SYS_NICE).
 */
import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { messageOf } from '../errors.ts';

/** The calling thread's id: /proc/thread-self is "<pid>/task/<tid>" for the thread that reads it. */
export function thisThreadId(): number {
  return Number(readlinkSync('/proc/thread-self').split('/').at(-1));
}

export function reniceThisThread(nice: number): string {
  try {
    os.setPriority(thisThreadId(), nice);
    return `nice ${nice}`;
  } catch (error) {
    return `nice 0 (renice refused: ${messageOf(error)})`;
  }
}
