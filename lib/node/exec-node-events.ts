/**
 * NodeEvents for a node reached through a container exec (a kind node, the node container of the
 * integration tests): ONE long-lived `<engine> exec -i <node> sh -c <script>` per run, in which
 * - `ctr --address <the node's containerd socket> events 'namespace==k8s.io,topic~="^/tasks/"'`
 *   tells task changes, keyed by container_id (parseCtrEventLine), and
 * - `ip -o monitor link` tells host link changes, keyed by ifindex (parseMonitorLinkLine),
 * each line prefixed with its source's tag (`T ` or `L `) by `sed -u`, so one stdout carries both.
 * Paths have no source: no inotify tool can be assumed in a node, so their conditions are polled
 * through the node shell, and whyNot() says so.
 *
 * The script is guarded like LinkMonitor's sh: it waits on `read` from our end of its stdin, and
 * when that closes (close(), our exit, or our SIGKILL: the engine CLI's stdin is our pipe, and the
 * engine closes the exec's stdin when the CLI's ends) it kills ctr and ip and ends; nothing it
 * started in the node outlives the run. start() resolves once both children run and hold their
 * socket (ctr's to containerd, ip's netlink socket, read from /proc in the node): the stream is
 * subscribed before the first pod is made, let alone deleted.
 *
 * ctr events ends when containerd does (a runtime restart): the script starts it again when we
 * write its tag on stdin, after a short back-off; meanwhile sources() says why there is none and
 * the watches poll. A ctr or ip that is not in the node (exit 127) is not started again.
 *
 * What the script relies on in the node, present in kind's node image (Debian: bash, coreutils,
 * sed, ctr, crictl, iproute2) and in the test node image (fixtures/node-image/build.sh installs
 * containerd, iproute2, coreutils, sed and dash): a POSIX sh, mktemp, mkfifo, readlink, sleep
 * with a fraction, GNU sed's -u (unbuffered), /proc, ctr and ip.
 */
import { parseCtrEventLine } from './ctr-parsers.ts';
import { parseMonitorLinkLine } from './link-monitor.ts';
import { ChangeFollowers, type Change, type ChangeKey, type ChangeKind, type NodeEvents, type SourceState } from './node-events.ts';
import { LineHelper } from './line-helper.ts';

export const DEFAULT_CONTAINERD_SOCKET = '/run/containerd/containerd.sock';

/** How long start() waits for both children to run (the exec itself costs 0.3-0.5 s on a loaded 2-core machine). */
const START_TIMEOUT_MS = 20_000;
/** How long close() waits for the exec to end by itself before the engine CLI is killed. */
const CLOSE_TIMEOUT_MS = 5_000;
/** Back-off before a source that ended is started again: doubles up to the last. */
const RESTART_MS = [200, 400, 800, 1_600, 3_200];

/**
 * The script the node runs ($1: containerd socket, $2: ctr's event filter). Each source runs as
 * `cmd 2>&1 &` inside a background group that records its pid (<fifo>.pid), waits for it and
 * prints "exit <status>" (and records it in <fifo>.end); its output goes through a fifo to a
 * `sed -u` that tags each line. Lines "R <tag> ready|exited <status>|timeout" say how a start
 * went: ready once the command runs (/proc/<pid>/comm) and holds a socket. A tag on stdin starts
 * that source again; on end of stdin every source still running is killed.
 */
export const EXEC_EVENTS_SCRIPT = String.raw`
sock=$1; filter=$2
d=$(mktemp -d /tmp/pause-conformance-events.XXXXXX) || exit 1
trap 'rm -rf "$d"' EXIT
n=0
start() {
  n=$((n + 1)); f="$d/$1.$n"
  if ! mkfifo "$f"; then echo "$1 exit 125"; return; fi
  sed -u "s/^/$1 /" <"$f" &
  {
    if [ "$1" = T ]; then ctr --address "$sock" events "$filter" 2>&1 & else ip -o monitor link 2>&1 & fi
    p=$!; echo "$p" >"$f.pid"; wait "$p"; s=$?; echo "$s" >"$f.end"; echo "exit $s"
  } >"$f" &
}
ready() {
  i=0
  while [ "$i" -lt 250 ]; do
    if [ -e "$3.end" ]; then echo "R $1 exited $(cat "$3.end")"; return; fi
    p=$(cat "$3.pid" 2>/dev/null)
    if [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$2" ]; then
      for fd in /proc/"$p"/fd/*; do
        case $(readlink "$fd" 2>/dev/null) in socket:*) echo "R $1 ready"; return ;; esac
      done
    fi
    i=$((i + 1)); sleep 0.02
  done
  echo "R $1 timeout"
}
start T; ft=$f; start L; fl=$f
ready T ctr "$ft"; ready L ip "$fl"
while read -r tag; do
  case $tag in
    T) start T; ready T ctr "$f" ;;
    L) start L; ready L ip "$f" ;;
  esac
done
i=1
while [ "$i" -le "$n" ]; do
  for f in "$d/T.$i" "$d/L.$i"; do
    if [ -e "$f.pid" ] && [ ! -e "$f.end" ]; then kill "$(cat "$f.pid")" 2>/dev/null; fi
  done
  i=$((i + 1))
done
wait
`;

export interface ExecNodeEventsOptions {
  /** The container engine's CLI: docker, podman, nerdctl. */
  engine: string;
  /** The node's container. */
  container: string;
  /** containerd's socket inside the node (default /run/containerd/containerd.sock). */
  containerdSocket?: string;
  /** containerd namespace of the CRI's tasks (default k8s.io). */
  containerdNamespace?: string;
}

type Tag = 'T' | 'L';
const SOURCE_NAME: Record<Tag, string> = { T: 'ctr events', L: 'ip monitor' };

/** One source in the node: live, starting, or why not (with what it said last). */
interface SourceStatus {
  live: boolean;
  why: string;
  /** The last line it printed that was not a change (ctr's error, ip's complaint). */
  said: string;
  restarts: number;
  retry: NodeJS.Timeout | undefined;
  /** Whether it is for good (the command is missing, the exec ended, closed). */
  final: boolean;
}

class ExecNodeEvents implements NodeEvents {
  private readonly options: ExecNodeEventsOptions;
  private readonly followers = new ChangeFollowers();
  private readonly status: Record<Tag, SourceStatus>;
  private readonly exec: LineHelper;
  private closed = false;
  private started: ((value: undefined) => void) | undefined;
  private readonly pendingReady = new Set<Tag>();

  constructor(options: ExecNodeEventsOptions) {
    this.options = options;
    const fresh = (): SourceStatus => ({ live: false, why: 'not started yet', said: '', restarts: 0, retry: undefined, final: false });
    this.status = { T: fresh(), L: fresh() };
    this.exec = new LineHelper(`the ${this.via}`, (line, atMs) => this.onLine(line, atMs));
  }

  private get via(): string {
    return `${this.options.engine} exec into ${this.options.container}`;
  }

  private get socket(): string {
    return this.options.containerdSocket ?? DEFAULT_CONTAINERD_SOCKET;
  }

  async start(): Promise<void> {
    const namespace = this.options.containerdNamespace ?? 'k8s.io';
    const filter = `namespace==${namespace},topic~="^/tasks/"`;
    for (const tag of ['T', 'L'] as const) {
      this.status[tag].why = `${SOURCE_NAME[tag]} in the node is starting`;
      this.pendingReady.add(tag);
    }
    const ready = new Promise<undefined>((resolve) => (this.started = resolve));
    this.exec.start(this.options.engine, ['exec', '-i', '--privileged', this.options.container, 'sh', '-c', EXEC_EVENTS_SCRIPT, 'sh', this.socket, filter]);
    this.exec.whenEnded((why) => this.execEnded(why));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ready, new Promise<void>((resolve) => (timer = setTimeout(resolve, START_TIMEOUT_MS)))]);
    clearTimeout(timer);
    for (const tag of this.pendingReady) this.status[tag].why = `${SOURCE_NAME[tag]} in the node did not start within ${START_TIMEOUT_MS} ms through the ${this.via}`;
    this.pendingReady.clear();
  }

  private onLine(line: string, atMs: number): void {
    const tag = line[0];
    const rest = line.slice(2);
    if (line.startsWith('R ')) return this.onReady(line.slice(2, 3) as Tag, line.slice(4));
    if (tag !== 'T' && tag !== 'L') return;
    const status = this.status[tag];
    const exit = /^exit (\d+)$/.exec(rest);
    if (exit) return this.sourceEnded(tag, Number(exit[1]));
    if (tag === 'T') {
      const event = parseCtrEventLine(rest);
      if (event) {
        // An event proves the subscription, whatever the start said.
        this.markLive('T');
        return this.followers.emit({ key: { kind: 'task', id: event.containerId }, source: `containerd event ${event.topic}`, atMs, topic: event.topic });
      }
    } else {
      const change = parseMonitorLinkLine(rest);
      if (change) {
        this.markLive('L');
        return this.followers.emit({ key: { kind: 'link', ifindex: change.ifindex }, source: 'ip monitor', atMs, gone: change.deleted });
      }
    }
    if (rest.trim()) status.said = rest.trim().slice(0, 300);
  }

  private onReady(tag: Tag, how: string): void {
    const status = this.status[tag];
    if (!status) return;
    if (how === 'ready') this.markLive(tag);
    else if (how === 'timeout' && !status.live) status.why = `${SOURCE_NAME[tag]} in the node held no socket within about 5 s of its start${status.said ? ` (it said: ${status.said})` : ''}`;
    // 'exited <status>': its own "exit <status>" line (just before or after this one) says why and starts it again.
    else if (how.startsWith('exited') && status.why.endsWith('is starting')) status.why = `${SOURCE_NAME[tag]} in the node ended as it started (${how.replace('exited', 'exit')})`;
    this.pendingReady.delete(tag);
    if (this.pendingReady.size === 0) this.started?.(undefined);
  }

  private markLive(tag: Tag): void {
    const status = this.status[tag];
    if (status.final) return;
    status.live = true;
    status.restarts = 0;
    status.why = '';
  }

  private sourceEnded(tag: Tag, code: number): void {
    const status = this.status[tag];
    status.live = false;
    if (this.closed || status.final) return;
    const command = tag === 'T' ? 'ctr' : 'ip';
    const said = status.said ? `: ${status.said}` : '';
    if (code === 127) {
      status.final = true;
      status.why = `${command} is not in the node ${this.options.container} (exit 127${said})`;
      return;
    }
    const delay = RESTART_MS[Math.min(status.restarts, RESTART_MS.length - 1)]!;
    status.restarts++;
    status.why = `${SOURCE_NAME[tag]} in the node ended (exit ${code}${said}); starting it again in ${delay} ms`;
    status.said = '';
    status.retry = setTimeout(() => {
      status.retry = undefined;
      // A restart written after the exec ended is dropped: the exec's end says why.
      if (!this.closed && !status.final) this.exec.write(`${tag}\n`);
    }, delay);
  }

  private execEnded(why: string): void {
    for (const tag of ['T', 'L'] as const) {
      const status = this.status[tag];
      if (status.retry) clearTimeout(status.retry);
      status.retry = undefined;
      // A source that had already ended for good (closed, its command missing) keeps its why.
      if (!status.final) status.why = status.live || status.why.endsWith('is starting') ? why : `${why}; before that, ${status.why}`;
      status.live = false;
      status.final = true;
    }
    this.pendingReady.clear();
    this.started?.(undefined);
  }

  sources(): Record<ChangeKind, SourceState> {
    const namespace = this.options.containerdNamespace ?? 'k8s.io';
    const state = (tag: Tag, source: string): SourceState => (this.status[tag].live ? { source } : { none: this.status[tag].why });
    return {
      task: state('T', `ctr events in the node (${this.via}, ${this.socket}, /tasks/* of ${namespace})`),
      path: { none: `no inotify in the node: ${this.options.container} is reached through ${this.options.engine} exec` },
      link: state('L', `ip -o monitor link in the node (${this.via})`),
      process: { none: `no pidfd helper in the node: ${this.options.container} is reached through ${this.options.engine} exec` },
    };
  }

  whyNot(key: ChangeKey): string | undefined {
    const state = this.sources()[key.kind];
    return 'none' in state ? state.none : undefined;
  }

  follow(keys: ChangeKey[], onChange: (change: Change) => void): () => void {
    return this.followers.add(keys, onChange);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const status of Object.values(this.status)) {
      if (status.retry) clearTimeout(status.retry);
      status.retry = undefined;
      status.live = false;
      status.final = true;
      status.why = 'closed';
    }
    this.followers.clear();
    // End of its stdin: the script kills ctr and ip in the node and ends, and the exec with it.
    await this.exec.close('closed', CLOSE_TIMEOUT_MS);
  }
}

/** Starts the exec and resolves once both sources run in the node (or why not is known); never rejects. The caller registers close() in the run's undo. */
export async function startExecNodeEvents(options: ExecNodeEventsOptions): Promise<NodeEvents> {
  const events = new ExecNodeEvents(options);
  await events.start();
  return events;
}
