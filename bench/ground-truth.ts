/**
 * When teardown really happened, from sources independent of the harness, to measure how late the
 * harness notices it:
 * - a process exit: containerd's own /tasks/exit event (`ctr events`), whose exited_at the shim
 *   stamps when it reaps the process (pause gone; sandbox not ready too: containerd marks the
 *   sandbox NOTREADY when it handles that same exit, so that lag includes containerd's own
 *   handling), and /tasks/delete;
 * - a container's exit as the CRI records it: its status file rewritten with FinishedAt (inotify
 *   in the worker thread), from which on the CRI answers "exited" (containers gone, as the CRI sees it);
 * - the netns bind mount and the IPAM file of the pod IP removed: inotify in a worker thread
 *   (bench/unlink-watch-worker.ts), stamped on the worker's own idle event loop;
 * - the pod's host-side veth deleted: rtnetlink through our own `ip -ts -o monitor link`
 *   (parseMonitorLinkLine, lib/node/link-monitor.ts), stamped by `ip` when it reads the message. It runs at nice -10, as the
 *   inotify worker does, so the CPU hog level does not delay the stamps (a late stamp would make
 *   the harness look early).
 */
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { UndoStack } from '../lib/cleanup/undo-stack.ts';
import { startGuarded, type GuardedChild } from './guarded-child.ts';
import { parseMonitorLinkLine } from '../lib/node/link-monitor.ts';
import type { ExitRecordedEvent, NotReadyEvent, UnlinkEvent, WatchingMessage } from './unlink-watch-worker.ts';
import { procCpu } from './cpu.ts';
import type { SandboxTurn } from '../lib/node/sandbox-turn.ts';

/** `ctr events` line: "<date> <time> <offset> <zone> <namespace> <topic> <json>". */
const EVENT_LINE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d) \S+ \S+ (\/tasks\/(?:exit|delete)) (\{.*\})\s*$/;

export class GroundTruth {
  private readonly exits = new Map<string, number>();
  private readonly deletes = new Map<string, number>();
  private readonly unlinks = new Map<string, number[]>();
  /** container id -> when the CRI wrote its exit into the container's status file. */
  private readonly exitRecords = new Map<string, number>();
  /** sandbox id -> when the CRI turned it NOTREADY, bracketed by the worker's asks. */
  private readonly notReady = new Map<string, NotReadyEvent>();
  /** The worker thread's id, for its CPU (workerCpuMs). */
  private workerTid: number | undefined;
  /** ifindex -> when `ip monitor` saw it deleted (ifindexes are not reused soon, but may be). */
  private readonly linkDeletes = new Map<number, number[]>();
  /** Deleted links by name, for the monitor's positive control. */
  private readonly deletedNames = new Set<string>();
  private worker: Worker | undefined;
  private events: GuardedChild | undefined;
  private monitor: GuardedChild | undefined;
  /** At which priority each source takes its stamps, for the report. */
  readonly notes: Record<string, string> = {};

  /** Starts the three sources; their stops are registered in `undo` before they start. */
  async start(socket: string, dirs: string[], undo: UndoStack): Promise<void> {
    undo.push('ground-truth watchers (ctr events, inotify worker, ip monitor)', () => this.stop());
    this.worker = new Worker(new URL('./unlink-watch-worker.ts', import.meta.url), { workerData: { dirs, criEndpoint: socket } });
    this.worker.on('message', (message: UnlinkEvent | WatchingMessage | ExitRecordedEvent | NotReadyEvent) => {
      if ('watching' in message) {
        this.workerTid = message.tid;
        return;
      }
      if ('notReady' in message) {
        this.notReady.set(message.notReady, message);
        return;
      }
      if ('exitRecorded' in message) {
        this.exitRecords.set(message.exitRecorded, message.atMs);
        return;
      }
      const key = `${message.dir}\0${message.name}`;
      this.unlinks.set(key, [...(this.unlinks.get(key) ?? []), message.atMs]);
    });
    const [first] = (await Promise.race([once(this.worker, 'message'), once(this.worker, 'error').then(([error]) => Promise.reject(error as Error))])) as [unknown];
    if (typeof first !== 'object' || first === null || !('watching' in first)) throw new Error(`inotify worker said ${JSON.stringify(first)} instead of "watching"`);
    this.notes['inotify'] = `worker thread at ${(first as WatchingMessage).priority}`;
    this.notes['sandbox states'] = 'PodSandboxStatus asked by the same worker from the sandbox bundle\'s removal on, at least 2 ms apart; the truth is when the last ask answered "ready" was sent; its CPU is left out of the client\'s';

    // The socket is the guard's $1, not part of the script.
    this.events = startGuarded('ctr --address "$1" events', [socket]);
    this.events.onLine((line) => {
      const match = EVENT_LINE.exec(line);
      if (!match) return;
      const [, date, time, offsetHours, offsetMinutes, topic, json] = match;
      const event = JSON.parse(json!) as { container_id?: string; id?: string; exited_at?: string };
      // An exec's exit carries its own id; the container's task exit has id === container_id.
      if (!event.container_id || (event.id !== undefined && event.id !== event.container_id)) return;
      if (topic === '/tasks/exit' && event.exited_at) this.exits.set(event.container_id, isoMs(event.exited_at));
      // The delete is published when containerd has cleaned up the task; the CRI marks the container exited right after.
      if (topic === '/tasks/delete') this.deletes.set(event.container_id, isoMs(`${date}T${time}${offsetHours}:${offsetMinutes}`));
    });
    this.notes['ctr events'] = 'stamped by the shim (exited_at) and containerd (event time)';

    this.monitor = startGuarded('nice -n -10 ip -ts -o monitor link');
    this.monitor.onLine((line) => {
      const event = parseMonitorLinkLine(line);
      if (!event?.deleted || event.atMs === undefined) return;
      this.linkDeletes.set(event.ifindex, [...(this.linkDeletes.get(event.ifindex) ?? []), event.atMs]);
      this.deletedNames.add(event.name);
    });
    await this.monitorControl(undo);
    this.notes['ip monitor'] = 'ip -ts -o monitor link at nice -10, stamped by ip on receipt';
  }

  /**
   * Positive control of the link monitor: a veth pair made and deleted on the host must show up as
   * deleted, or every veth lag would silently lack ground truth (a monitor that did not start, a
   * line format this parser does not read). Tried a few times: the monitor subscribes to rtnetlink
   * some ms after it is spawned, and says nothing when it has.
   */
  private async monitorControl(undo: UndoStack): Promise<void> {
    for (let attempt = 1; attempt <= 5; attempt++) {
      const name = `pcbgt${randomBytes(3).toString('hex')}`;
      const removal = undo.push(`ground-truth control link ${name}`, async () => {
        await execa('ip', ['link', 'del', name], { reject: false });
      });
      await execa('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`]);
      await execa('ip', ['link', 'del', name]);
      removal.release();
      for (let waited = 0; waited < 1_000 && !this.deletedNames.has(name); waited += 20) await delay(20);
      if (this.deletedNames.has(name)) return;
      const ended = this.monitor?.ended();
      if (ended) throw new Error(`ip monitor ended (${ended}${this.monitor?.stderr() ? `: ${this.monitor.stderr()}` : ''}) before it saw a link deleted`);
    }
    throw new Error('ip -ts -o monitor link printed no line this bench reads for 5 veth pairs made and deleted (parseMonitorLinkLine)');
  }

  /** Follows each container's CRI status file from now on (exitRecordedAt), in the worker. */
  followCriStatus(criRootDir: string, containerIds: string[]): void {
    for (const id of containerIds) this.worker?.postMessage({ criStatusDir: path.join(criRootDir, 'containers', id) });
  }

  /** Asks the CRI for the sandbox's state from its task bundle's removal on (notReadyAt). */
  followSandbox(taskDir: string, sandboxId: string): void {
    this.worker?.postMessage({ sandboxBundle: path.join(taskDir, sandboxId), sandboxId });
  }

  /**
   * When the CRI turned the sandbox NOTREADY: the worker's asks bracket it, after the last
   * "ready" ask was sent and by the first "not ready" answer; the earlier end is taken, so a lag
   * against it is the most the harness can have been late.
   */
  notReadyAt(sandboxId: string): SandboxTurn | undefined {
    return this.notReady.get(sandboxId);
  }

  /** The worker thread's id (its CPU is the ground truth's), once it runs. */
  get workerThreadId(): number | undefined {
    return this.workerTid;
  }

  /** CPU (ms) the worker thread used so far: the ground truth's, left out of the client's. */
  workerCpuMs(): number {
    if (this.workerTid === undefined) return 0;
    try {
      return procCpu(`self/task/${this.workerTid}`).own;
    } catch {
      return 0; // The worker ended (the bench's teardown).
    }
  }

  /** When the CRI recorded the container's exit (its status file rewritten with FinishedAt): from then on it answers "exited". */
  exitRecordedAt(containerId: string): number | undefined {
    return this.exitRecords.get(containerId);
  }

  /** When the runtime reaped the container's (or sandbox's) main process (the shim's exited_at). */
  exitedAt(containerId: string): number | undefined {
    return this.exits.get(containerId);
  }

  /** When containerd published the task's delete: from then on the CRI reports the container exited. */
  deletedAt(containerId: string): number | undefined {
    return this.deletes.get(containerId);
  }

  /** The first removal of dir/name at or after `afterMs` (names such as IPs are reused by later pods). */
  unlinkedAfter(dir: string, name: string, afterMs: number): number | undefined {
    return this.unlinks.get(`${dir}\0${name}`)?.find((at) => at >= afterMs);
  }

  /** The first deletion of the host link `ifindex` that `ip monitor` saw at or after `afterMs`. */
  linkDeletedAfter(ifindex: number, afterMs: number): number | undefined {
    return this.linkDeletes.get(ifindex)?.find((at) => at >= afterMs);
  }

  async stop(): Promise<void> {
    await this.monitor?.stop();
    this.monitor = undefined;
    await this.events?.stop();
    this.events = undefined;
    if (this.worker) {
      this.worker.postMessage('stop');
      await this.worker.terminate();
      this.worker = undefined;
    }
  }
}

/** An RFC 3339 time with up to ns precision, in ms since the epoch (Date.parse keeps whole ms only). */
export function isoMs(iso: string): number {
  const match = /\.\d{3}(\d+)(Z|[+-]\d\d:\d\d)$/.exec(iso);
  return Date.parse(iso) + (match ? Number(`0.${match[1]}`) : 0);
}
