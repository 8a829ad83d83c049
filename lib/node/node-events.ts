/**
 * What a node tells of its own changes, so a teardown watch looks again the moment something
 * happened instead of polling every few ms (issue 14: polling saw teardown hundreds of ms late at
 * 16 pods and cost the harness 6× the raw client's CPU). An event only says "look again": the
 * watch still decides gone-or-not with its tri-state probe (presence.ts), so a missed or early
 * event can make a look late, never make a thing read as gone that is not.
 *
 * Sources, where the target has them (local-node-events.ts for this machine):
 * - task: containerd's Events/Subscribe stream, keyed by container or sandbox id (/tasks/exit is
 *   published once the shim reaped the process; /tasks/delete once the task is cleaned up);
 * - path: inotify on the parent directory (the netns bind mount, the IPAM file, the shim socket);
 * - link: rtnetlink through `ip -o monitor link` (sysfs gives inotify no events);
 * - process: a pidfd per process (process-exits.ts), told by the kernel at the exit itself.
 */

/** A thing on the node whose change a watch waits for. */
export type ChangeKey =
  /** A container's or sandbox's task: its process exited, its task was deleted. */
  | { kind: 'task'; id: string }
  /**
   * A file or directory entry, by absolute path: created or removed. With `reads: 'cri-status'`
   * it is a container's CRI status file (cri-status-file.ts), and the source says the container is
   * gone when a rewrite records its exit. With `reads: 'cri-sandbox'` it is a sandbox task's
   * bundle (named by the sandbox id), and the source asks the CRI at its removal: it says the
   * sandbox is gone (not ready) when the CRI answers so, stamped at that answer.
   */
  | { kind: 'path'; path: string; reads?: 'cri-status' | 'cri-sandbox' }
  /** A host link, by ifindex: changed or deleted. */
  | { kind: 'link'; ifindex: number }
  /** A process, by pid on the node, followed from a moment it was seen there: exited. */
  | { kind: 'process'; pid: number };

export type ChangeKind = ChangeKey['kind'];

export interface Change {
  key: ChangeKey;
  /** Which source told it: "containerd event /tasks/exit", "inotify", "ip monitor". */
  source: string;
  /** A task change's event topic ("/tasks/exit", "/tasks/delete"). */
  topic?: string;
  /**
   * When the source saw it (ms since the epoch): stamped by the source itself where it can (the
   * pidfd helper's clock at the exit, `ip -ts`, the inotify thread on its own idle loop), else
   * when this process received it. A busy event loop here then delays the look, not the stamp.
   */
  atMs: number;
  /**
   * The source says the thing itself is gone: the process exited, the entry was unlinked, the
   * link was deleted, the CRI recorded the container's exit. For a condition that is exactly that
   * thing's absence, this stamp is when it turned true (the look after it only confirms); other
   * changes only call for a look.
   */
  gone?: boolean;
}

/** A kind's source as the evidence names it, or why the kind has none here (it is then polled). */
export type SourceState = { source: string } | { none: string };

export interface NodeEvents {
  /** Each kind's live source, or why there is none (never started, or the stream broke: what it said). */
  sources(): Record<ChangeKind, SourceState>;
  /** Why this key's changes are not told now (its kind has no live source, its directory is not watched), or undefined when they are. */
  whyNot(key: ChangeKey): string | undefined;
  /** Calls onChange for every change of one of `keys` from now on, until the returned stop is called. */
  follow(keys: ChangeKey[], onChange: (change: Change) => void): () => void;
  /** Ends every source (streams, watchers, the monitor process); idempotent. */
  close(): Promise<void>;
}

/** The key's identity as one string, for maps of followers. */
export function changeKeyId(key: ChangeKey): string {
  switch (key.kind) {
    case 'task':
      return `task:${key.id}`;
    case 'path':
      return `path:${key.path}`;
    case 'link':
      return `link:${key.ifindex}`;
    case 'process':
      return `process:${key.pid}`;
  }
}

/** Who follows which key, for a NodeEvents implementation: follow() adds, emit() fans a change out. */
export class ChangeFollowers {
  private readonly byKey = new Map<string, Set<(change: Change) => void>>();

  add(keys: ChangeKey[], onChange: (change: Change) => void): () => void {
    const ids = keys.map((key) => {
      const id = changeKeyId(key);
      if (!this.byKey.has(id)) this.byKey.set(id, new Set());
      this.byKey.get(id)!.add(onChange);
      return id;
    });
    return () => {
      for (const id of ids) {
        const set = this.byKey.get(id);
        set?.delete(onChange);
        if (set?.size === 0) this.byKey.delete(id);
      }
    };
  }

  emit(change: Change): void {
    const followers = this.byKey.get(changeKeyId(change.key));
    if (!followers) return;
    for (const follower of followers) follower(change);
  }

  clear(): void {
    this.byKey.clear();
  }
}

/** A node that tells no changes, with why (every kind polled, and the evidence says this why). */
export function noChangeSources(why: string): NodeEvents {
  return {
    sources: () => ({ task: { none: why }, path: { none: why }, link: { none: why }, process: { none: why } }),
    whyNot: () => why,
    follow: () => () => undefined,
    close: async () => undefined,
  };
}
