/**
 * When teardown really happened, from sources independent of the harness, to measure how late the
 * harness notices it:
 * - a process exit: containerd's own /tasks/exit event (`ctr events`), whose exited_at the shim
 *   stamps when it reaps the process (pause gone), and /tasks/delete, after which the CRI reports
 *   the container exited (containers gone, as the runtime sees it);
 * - the netns bind mount and the IPAM file of the pod IP removed: inotify in a worker thread
 *   (bench/unlink-watch-worker.ts), stamped on the worker's own idle event loop.
 * The veth and the sandbox state have no such source here; they are not part of the lag figure.
 */
import { execa, type ResultPromise } from 'execa';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { UndoStack } from '../lib/cleanup/undo-stack.ts';
import type { UnlinkEvent } from './unlink-watch-worker.ts';

/** `ctr events` line: "<date> <time> <offset> <zone> <namespace> <topic> <json>". */
const EVENT_LINE = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d(?:\.\d+)?) ([+-]\d\d)(\d\d) \S+ \S+ (\/tasks\/(?:exit|delete)) (\{.*\})\s*$/;

export class GroundTruth {
  private readonly exits = new Map<string, number>();
  private readonly deletes = new Map<string, number>();
  private readonly unlinks = new Map<string, number[]>();
  private worker: Worker | undefined;
  private events: ResultPromise | undefined;

  /** Starts both sources; their stops are registered in `undo` before they start. */
  async start(socket: string, dirs: string[], undo: UndoStack): Promise<void> {
    undo.push('ground-truth watchers (ctr events, inotify worker)', () => this.stop());
    this.worker = new Worker(new URL('./unlink-watch-worker.ts', import.meta.url), { workerData: { dirs } });
    this.worker.on('message', (message: UnlinkEvent | 'watching') => {
      if (message === 'watching') return;
      const key = `${message.dir}\0${message.name}`;
      this.unlinks.set(key, [...(this.unlinks.get(key) ?? []), message.atMs]);
    });
    const [first] = (await Promise.race([once(this.worker, 'message'), once(this.worker, 'error').then(([error]) => Promise.reject(error as Error))])) as [unknown];
    if (first !== 'watching') throw new Error(`inotify worker said ${JSON.stringify(first)} instead of "watching"`);

    this.events = execa('ctr', ['--address', socket, 'events'], { buffer: false, reject: false, stdin: 'ignore', stderr: 'ignore' });
    let partial = '';
    this.events.stdout!.setEncoding('utf8');
    this.events.stdout!.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        const match = EVENT_LINE.exec(line);
        if (!match) continue;
        const [, date, time, offsetHours, offsetMinutes, topic, json] = match;
        const event = JSON.parse(json!) as { container_id?: string; id?: string; exited_at?: string };
        // An exec's exit carries its own id; the container's task exit has id === container_id.
        if (!event.container_id || (event.id !== undefined && event.id !== event.container_id)) continue;
        if (topic === '/tasks/exit' && event.exited_at) this.exits.set(event.container_id, isoMs(event.exited_at));
        // The delete is published when containerd has cleaned up the task; the CRI marks the container exited right after.
        if (topic === '/tasks/delete') this.deletes.set(event.container_id, isoMs(`${date}T${time}${offsetHours}:${offsetMinutes}`));
      }
    });
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

  async stop(): Promise<void> {
    this.events?.kill();
    await this.events;
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
