/**
 * inotify on the directories a teardown watch cares about (the netns directory, the IPAM store,
 * /run/containerd/s, containerd's task bundles), one watch per directory for the whole run, fanned
 * out by entry name. Removing a netns bind mount, an IPAM entry or a shim socket is an unlink in
 * its directory, which inotify reports at once; sysfs and procfs report nothing, so links and
 * processes come from other sources (local-node-events.ts).
 *
 * The watches live on a thread of their own (dir-watch-thread.ts), which stamps each change when
 * it comes: a removal is then known at its time even while this thread is busy with the run.
 */
import { statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { messageOf } from '../errors.ts';

/** The thread's start data: the counter it sets to a request's seq once it answered, and the port it answers on. */
export interface DirWatchThreadData {
  answered: Int32Array;
  replies: MessagePort;
  /** The CRI the thread asks for a sandbox's state (ask-sandbox); none: nothing is asked. */
  criEndpoint?: string;
}
export type ToDirWatchThread =
  /** A directory to watch; with `criStatus`, its `status` file is a container's CRI status file, read at each rewrite. */
  | { kind: 'watch'; dir: string; seq: number; criStatus?: true }
  /** When this entry (a sandbox's task bundle, in a watched directory) goes, ask the CRI for the sandbox's state until it is not ready. */
  | { kind: 'ask-sandbox'; path: string; sandboxId: string; seq: number };
/** A watch request's answer: watching, or why not. */
export type WatchReply = { why?: string };
export type FromDirWatchThread =
  | { kind: 'ready'; priority: string }
  /**
   * An entry changed; `gone` when it was not there right after the event, or when it is a CRI
   * status file that records the container's exit. `via: 'cri'`: a sandbox's bundle went and the
   * CRI then answered that the sandbox is not ready, at `atMs` (ask-sandbox).
   */
  | { kind: 'change'; path: string; atMs: number; gone: boolean; via?: 'cri' }
  /** A directory no longer (or never) watched, with why: its entries are polled. */
  | { kind: 'ended'; dir: string; why: string };

export type EntryChanged = (fullPath: string, atMs: number, gone: boolean, via?: 'cri') => void;

/** The thread's file beside this one: .ts where the sources run, .js in the built package. */
const THREAD_URL = new URL(`./dir-watch-thread${path.extname(fileURLToPath(import.meta.url))}`, import.meta.url);
/** How long ensure() waits for the thread to watch a directory (it takes well under 1 ms when idle). */
const ANSWER_WITHIN_MS = 1_000;

export class DirWatchers {
  private thread: Worker | undefined;
  private threadWhyNot: string | undefined = 'not started';
  private priority = '';
  private readonly asked = new Set<string>();
  /** Directories that could not be watched, with why: their entries are polled. */
  private readonly refused = new Map<string, string>();
  private readonly onChange: EntryChanged;
  private readonly answered = new Int32Array(new SharedArrayBuffer(4));
  private readonly replies = new MessageChannel();
  private seq = 0;
  private readonly criEndpoint: string | undefined;
  /** Sandbox bundles the thread was told to ask about at their removal, with why it refused (undefined: it asks). */
  private readonly sandboxesAsked = new Map<string, string | undefined>();

  /** With `criEndpoint`, a path followed with reads 'cri-sandbox' has its sandbox's state asked at its removal. */
  constructor(onChange: EntryChanged, criEndpoint?: string) {
    this.onChange = onChange;
    this.criEndpoint = criEndpoint;
  }

  /** Starts the thread and waits until it runs (a few tens of ms, once per run). */
  async start(): Promise<void> {
    const data: DirWatchThreadData = { answered: this.answered, replies: this.replies.port2, ...(this.criEndpoint ? { criEndpoint: this.criEndpoint } : {}) };
    const thread = new Worker(THREAD_URL, { workerData: data, transferList: [this.replies.port2] });
    this.thread = thread;
    // Like fs.watch({ persistent: false }) before it: the watches never keep the run alive.
    thread.unref();
    this.replies.port1.unref();
    const ready = new Promise<void>((resolve) => {
      thread.on('message', (message: FromDirWatchThread) => {
        if (message.kind === 'ready') {
          this.priority = message.priority;
          this.threadWhyNot = undefined;
          resolve();
        } else if (message.kind === 'change') this.onChange(message.path, message.atMs, message.gone, message.via);
        else this.refused.set(message.dir, message.why);
      });
      thread.on('error', (error) => {
        this.threadWhyNot = `the inotify thread failed: ${messageOf(error)}`;
        resolve();
      });
      thread.on('exit', (code) => {
        this.threadWhyNot ??= `the inotify thread ended (exit ${code})`;
        resolve();
      });
    });
    await ready;
  }

  /** Why no directory is watched (the thread did not start, or ended), or undefined while it runs. */
  whyNot(): string | undefined {
    return this.threadWhyNot;
  }

  /** "inotify on the directory (a thread of its own at nice -10)", for the evidence. */
  describe(): string {
    return `inotify on the directory (a thread of its own at ${this.priority || 'its start'})`;
  }

  /**
   * Watches the directory of `fullPath`; undefined when it does, else why it cannot. Synchronous,
   * as fs.watch was: the caller follows the path right after, and a change before the watch is in
   * place would be missed, so this waits (Atomics.wait, well under 1 ms) for the thread to have it.
   * With reads 'cri-sandbox' (a sandbox's task bundle, named by the sandbox id), the thread also
   * asks the CRI for that sandbox's state when the entry goes (dir-watch-thread.ts).
   */
  ensure(fullPath: string, reads?: 'cri-status' | 'cri-sandbox'): string | undefined {
    if (this.threadWhyNot) return this.threadWhyNot;
    const dir = path.dirname(fullPath);
    if (!this.asked.has(dir)) {
      this.asked.add(dir);
      const why = this.watchNow(dir, reads === 'cri-status');
      if (why) this.refused.set(dir, why);
    }
    const refused = this.refused.get(dir);
    if (refused || reads !== 'cri-sandbox') return refused;
    if (!this.criEndpoint) return 'no CRI endpoint to ask for a sandbox\'s state on this target';
    if (!this.sandboxesAsked.has(fullPath)) this.sandboxesAsked.set(fullPath, this.request({ kind: 'ask-sandbox', path: fullPath, sandboxId: path.basename(fullPath), seq: ++this.seq }, `asking for ${fullPath}`));
    return this.sandboxesAsked.get(fullPath);
  }

  private watchNow(dir: string, criStatus: boolean): string | undefined {
    try {
      // Checked here, at once: a directory that is not there is polled from the first look on.
      if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    } catch (error) {
      return `inotify on ${dir} refused: ${messageOf(error)}`;
    }
    return this.request({ kind: 'watch', dir, seq: ++this.seq, ...(criStatus ? { criStatus: true as const } : {}) }, `inotify on ${dir}`);
  }

  /** Sends a request to the thread and waits for its answer (in request order): why it refused, or undefined. */
  private request(message: ToDirWatchThread, what: string): string | undefined {
    const seq = message.seq;
    this.thread!.postMessage(message);
    const deadline = Date.now() + ANSWER_WITHIN_MS;
    for (let seen = Atomics.load(this.answered, 0); seen < seq; seen = Atomics.load(this.answered, 0)) {
      if (Date.now() >= deadline || Atomics.wait(this.answered, 0, seen, deadline - Date.now()) === 'timed-out') {
        return `${what}: its thread did not answer within ${ANSWER_WITHIN_MS} ms`;
      }
    }
    // Replies come in request order; this one is the last.
    let reply: WatchReply | undefined;
    for (let received = receiveMessageOnPort(this.replies.port1); received; received = receiveMessageOnPort(this.replies.port1)) reply = received.message as WatchReply;
    return reply?.why;
  }

  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = undefined;
    this.threadWhyNot ??= 'closed';
    this.replies.port1.close();
    if (thread) await thread.terminate();
  }
}
