/**
 * NodeEvents for a node that is this machine (the embedded node, --cri-endpoint): containerd's
 * task events over its socket, inotify on the watched paths' directories, and one `ip monitor`
 * for host links. One of each per run, shared by every pod's watch. A source that cannot start
 * (a runtime that is not containerd, a directory that does not exist) leaves its kind to polling,
 * and sources() says why.
 */
import { TaskEventStream } from '../containerd/task-events.ts';
import { messageOf } from '../errors.ts';
import { DirWatchers } from './dir-watchers.ts';
import { LinkMonitor } from './link-monitor.ts';
import { ProcessExits } from './process-exits.ts';
import { ChangeFollowers, type Change, type ChangeKey, type ChangeKind, type NodeEvents, type SourceState } from './node-events.ts';

export interface LocalNodeEventsOptions {
  /** containerd's socket; without it (or when it is not containerd) task changes are polled. */
  containerdSocket?: string;
  /** containerd namespace of the CRI's tasks. */
  containerdNamespace?: string;
  /** Host links are followed only where the node's links are this machine's. */
  links?: boolean;
  /** The CRI (unix:// or a path) the inotify thread asks for a sandbox's state when its bundle goes; without it, that is looked at by the watch. */
  criEndpoint?: string;
}

class LocalNodeEvents implements NodeEvents {
  private readonly followers = new ChangeFollowers();
  private readonly dirs: DirWatchers;
  private readonly links: LinkMonitor | undefined;
  private readonly exits = new ProcessExits((pid, atMs) => this.followers.emit({ key: { kind: 'process', pid }, source: 'pidfd', atMs, gone: true }));
  private tasks: TaskEventStream | undefined;
  private tasksWhyNot: string;

  constructor(options: LocalNodeEventsOptions) {
    this.dirs = new DirWatchers(
      (fullPath, atMs, gone, via) => this.followers.emit({ key: { kind: 'path', path: fullPath }, source: via === 'cri' ? 'CRI PodSandboxStatus at the bundle\'s removal (inotify thread)' : 'inotify', atMs, gone }),
      options.criEndpoint,
    );
    this.links =
      options.links === false
        ? undefined
        : new LinkMonitor((event, receivedAtMs) =>
            this.followers.emit({ key: { kind: 'link', ifindex: event.ifindex }, source: 'ip monitor', atMs: event.atMs ?? receivedAtMs, gone: event.deleted }),
          );
    this.tasksWhyNot = options.containerdSocket ? 'not subscribed yet' : 'no containerd socket known on this target';
  }

  async start(options: LocalNodeEventsOptions): Promise<void> {
    this.links?.start();
    await Promise.all([this.exits.start(), this.dirs.start()]);
    if (!options.containerdSocket) return;
    const stream = new TaskEventStream({
      socket: options.containerdSocket,
      namespace: options.containerdNamespace ?? 'k8s.io',
      onEvent: (event) => this.followers.emit({ key: { kind: 'task', id: event.containerId }, source: `containerd event ${event.topic}`, atMs: event.receivedAtMs, topic: event.topic }),
    });
    try {
      await stream.open();
      this.tasks = stream;
    } catch (error) {
      stream.close();
      // A CRI-O socket, or containerd not answering: its task changes are polled.
      this.tasksWhyNot = `containerd's event service did not answer on ${options.containerdSocket}: ${messageOf(error)}`;
    }
  }

  sources(): Record<ChangeKind, SourceState> {
    const tasks = this.tasks?.state();
    const linksWhyNot = this.links ? this.links.whyNot() : 'the node\'s links are not this machine\'s';
    return {
      task: tasks?.live ? { source: 'containerd events (Events/Subscribe, /tasks/*)' } : { none: tasks ? tasks.why : this.tasksWhyNot },
      path: this.dirs.whyNot() === undefined ? { source: this.dirs.describe() } : { none: this.dirs.whyNot()! },
      link: linksWhyNot === undefined ? { source: 'ip -ts -o monitor link' } : { none: linksWhyNot },
      process: this.exits.whyNot() === undefined ? { source: 'pidfd (pidfd_open + poll, one perl helper)' } : { none: this.exits.whyNot()! },
    };
  }

  /** Why this key's changes are not told (then the watch polls it), or undefined when they are. */
  whyNot(key: ChangeKey): string | undefined {
    const state = this.sources()[key.kind];
    if ('none' in state) return state.none;
    // A path's directory is watched from the first ask on (idempotent), so a follow right after finds it watched.
    return key.kind === 'path' ? this.dirs.ensure(key.path, key.reads) : undefined;
  }

  follow(keys: ChangeKey[], onChange: (change: Change) => void): () => void {
    for (const key of keys) {
      if (key.kind === 'path') this.dirs.ensure(key.path, key.reads);
      if (key.kind === 'process') this.exits.watch(key.pid);
    }
    return this.followers.add(keys, onChange);
  }

  async close(): Promise<void> {
    this.tasks?.close();
    this.followers.clear();
    await this.dirs.close();
    await this.links?.close();
    await this.exits.close();
  }
}

/** Starts the sources; the caller registers close() in the run's undo stack. */
export async function startLocalNodeEvents(options: LocalNodeEventsOptions): Promise<NodeEvents> {
  const events = new LocalNodeEvents(options);
  await events.start(options);
  return events;
}
