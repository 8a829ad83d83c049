/**
 * Worker thread of bench/ground-truth.ts: watches directories with inotify (fs.watch) and posts
 * the time each entry disappeared, when the CRI recorded a container's exit in its status file,
 * and when it turned a sandbox NOTREADY (asked from its bundle's removal on). It runs on its own event loop, so the main thread's work (the
 * harness polling at concurrency 16) does not delay the timestamps it takes; and at nice -10 (this
 * thread only), so the bench's CPU hog (busy loops at nice 0 on every core) does not either: a
 * stamp taken late would make the harness look early.
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { CriClient } from '../lib/cri/client.ts';
import { CriInspector } from '../lib/node/cri-inspector.ts';
import { askUntilNotReady, type SandboxTurn } from '../lib/node/sandbox-turn.ts';
import { parentPort, workerData } from 'node:worker_threads';
import { exitRecordedInStatusFile } from '../lib/node/cri-status-file.ts';
import { reniceThisThread, thisThreadId } from '../lib/linux/thread-priority.ts';

export interface UnlinkEvent {
  dir: string;
  name: string;
  /** ms since the epoch, with sub-ms precision. */
  atMs: number;
}

/** When the CRI wrote a container's exit into its status file (its directory's `status`, FinishedAt set). */
export interface ExitRecordedEvent {
  exitRecorded: string;
  atMs: number;
}

/**
 * When the CRI turned a sandbox NOTREADY, bracketed by this thread's own asks from its bundle's
 * removal on: after `afterMs` (the last ask that got "ready" was sent then, or the bundle went),
 * by `byMs` (the first "not ready" answer came then).
 */
export interface NotReadyEvent extends SandboxTurn {
  notReady: string;
}

/** The worker's first message: watching, and at which priority its stamps are taken. */
export interface WatchingMessage {
  watching: true;
  priority: string;
  /** This thread's id: its CPU is the bench's ground truth, not the client's, and is left out of the client's. */
  tid: number;
}

const now = (): number => performance.timeOrigin + performance.now();
const priority = reniceThisThread(-10);
const { dirs, criEndpoint } = workerData as { dirs: string[]; criEndpoint: string };
const watchers: FSWatcher[] = [];
/** Sandbox task bundles (full path) whose removal starts asking the CRI for the sandbox's state. */
const sandboxBundles = new Map<string, string>();
const cri = new CriClient(criEndpoint, { callTimeoutMs: 5_000 });
const inspector = new CriInspector(cri);
/** Between two asks, at least (as the harness's inotify thread). */
const ASK_EVERY_MS = 2;
const ASK_FOR_MS = 5_000;

/**
 * The CRI keeps a sandbox's state in memory only: the one way to see it turn is to ask. Asked
 * from the bundle's removal (the CRI turns it after that: 10-140 ms later at 16 pods), back to
 * back, on this idle thread; what is posted brackets the moment it turned. No answer, or "ready"
 * for ASK_FOR_MS: this sandbox has no ground truth, counted so.
 */
async function postSandboxTurn(sandboxId: string, removedAtMs: number): Promise<void> {
  const turn = await askUntilNotReady(() => inspector.sandboxState(sandboxId), removedAtMs, { everyMs: ASK_EVERY_MS, forMs: ASK_FOR_MS, firstAfterEvery: false, now }).catch(() => undefined);
  if (turn) parentPort!.postMessage({ notReady: sandboxId, ...turn } satisfies NotReadyEvent);
}

for (const dir of dirs) {
  watchers.push(
    watch(dir, (type, name) => {
      if (type !== 'rename' || !name) return;
      const atMs = now();
      const fullPath = path.join(dir, name);
      // inotify reports creation and removal alike as "rename": only an entry that is gone counts.
      if (existsSync(fullPath)) return;
      parentPort!.postMessage({ dir, name, atMs } satisfies UnlinkEvent);
      const sandboxId = sandboxBundles.get(fullPath);
      if (sandboxId === undefined) return;
      sandboxBundles.delete(fullPath);
      void postSandboxTurn(sandboxId, atMs);
    }),
  );
}
/**
 * A container's CRI directory (<cri root>/containers/<id>): the CRI rewrites `status` there (a temp
 * file renamed over it) at each change, the exit last; the first rewrite that carries FinishedAt is
 * when the CRI recorded the exit. Then this directory is no longer watched.
 */
function watchCriStatus(dir: string): void {
  const watcher = watch(dir, (_type, name) => {
    if (name !== 'status') return;
    const atMs = now();
    // Removed with its container, or caught mid-rename, it says nothing: the next rewrite tells.
    if (exitRecordedInStatusFile(path.join(dir, name))) {
      parentPort!.postMessage({ exitRecorded: path.basename(dir), atMs } satisfies ExitRecordedEvent);
      watcher.close();
    }
  });
  watcher.on('error', () => watcher.close());
  watchers.push(watcher);
}

parentPort!.postMessage({ watching: true, priority, tid: thisThreadId() } satisfies WatchingMessage);
parentPort!.on('message', (message: 'stop' | { criStatusDir: string } | { sandboxBundle: string; sandboxId: string }) => {
  if (message !== 'stop' && 'sandboxBundle' in message) {
    sandboxBundles.set(message.sandboxBundle, message.sandboxId);
    return;
  }
  if (message !== 'stop') {
    try {
      watchCriStatus(message.criStatusDir);
    } catch {
      // The container is already gone: its ground truth is missing, and counted so.
    }
    return;
  }
  for (const watcher of watchers) watcher.close();
  cri.close();
  parentPort!.close();
});
