/**
 * inotify on the directories a teardown watch cares about (the netns directory, the IPAM store,
 * /run/containerd/s), one watcher per directory for the whole run, fanned out by entry name.
 * Removing a netns bind mount, an IPAM entry or a shim socket is an unlink in its directory, which
 * inotify reports at once; sysfs and procfs report nothing, so links and processes come from
 * other sources (local-node-events.ts).
 */
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { messageOf } from '../errors.ts';

export type EntryChanged = (fullPath: string, atMs: number) => void;

export class DirWatchers {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Directories that could not be watched, with why: their entries are polled. */
  private readonly refused = new Map<string, string>();
  private readonly onChange: EntryChanged;

  constructor(onChange: EntryChanged) {
    this.onChange = onChange;
  }

  /** Watches the directory of `fullPath`; undefined when it does, else why it cannot. */
  ensure(fullPath: string): string | undefined {
    const dir = path.dirname(fullPath);
    if (this.watchers.has(dir)) return undefined;
    const refusedWhy = this.refused.get(dir);
    if (refusedWhy) return refusedWhy;
    try {
      const watcher = watch(dir, { persistent: false }, (_type, name) => {
        // inotify says "rename" for both creation and removal; the watch's probe tells which.
        if (name) this.onChange(path.join(dir, name.toString()), Date.now());
      });
      watcher.on('error', (error) => {
        // The directory itself went (a run's netns directory at its end): its entries are polled from now on.
        watcher.close();
        this.watchers.delete(dir);
        this.refused.set(dir, `inotify on ${dir} ended: ${messageOf(error)}`);
      });
      this.watchers.set(dir, watcher);
      return undefined;
    } catch (error) {
      const why = `inotify on ${dir} refused: ${messageOf(error)}`;
      this.refused.set(dir, why);
      return why;
    }
  }

  close(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }
}
