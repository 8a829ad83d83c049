/**
 * The thread of dir-watchers.ts: inotify (fs.watch) on the directories it is told, each entry
 * change stamped on this thread's own event loop, which has nothing else to do, and at nice -10
 * (this thread only: setpriority() of a thread id renices that thread on Linux). On the main
 * thread the stamp waited for whatever the run was doing: at 16 pods in flight a netns unlink
 * reached the watch 300 ms late (npm run bench, 2026-12-03), with the busy loops of the CPU hog
 * longer. inotify says "rename" for a creation and a removal alike; the entry's absence right
 * after the event tells which.
 *
 * A sandbox's NOTREADY is the CRI's memory only: no file, no event on containerd 1.6. The CRI
 * turns it after containerd removed the sandbox task's bundle (7 ms after at 1 pod, 10-140 ms at
 * 16, npm run bench 2026-12-03). Where a watch asks for it
 * (`ask-sandbox`), this thread, idle and at nice -10, asks the CRI for the sandbox's state at that
 * removal and again at each answer until it is not ready, and stamps the answer that says so: the
 * main thread, busy with 16 pods, asked 9 times a pod and saw the flip 100-300 ms late at p95
 * (npm run bench, 2026-12-03).
 */
import { existsSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { messageOf } from '../errors.ts';
import { reniceThisThread } from '../linux/thread-priority.ts';
import type { DirWatchThreadData, FromDirWatchThread, ToDirWatchThread, WatchReply } from './dir-watchers.ts';
import { exitRecordedInStatusFile } from './cri-status-file.ts';
import type { SandboxState } from './node-view.ts';
import { askUntilNotReady } from './sandbox-turn.ts';

const port = parentPort!;
const { answered, replies, criEndpoint } = workerData as DirWatchThreadData;
const post = (message: FromDirWatchThread): void => port.postMessage(message);
/** Answers a watch request on the reply port, then wakes the main thread, which waits for it. */
const answer = (seq: number, reply: WatchReply): void => {
  replies.postMessage(reply);
  Atomics.store(answered, 0, seq);
  Atomics.notify(answered, 0);
};
const now = (): number => performance.timeOrigin + performance.now();

// Not root: the stamps are still this idle thread's, only not ahead of the runtime's work.
const priority = reniceThisThread(-10);

/**
 * How long the CRI is asked for a sandbox's state after its bundle went: it turns within ms of
 * that; past this, the watch's own looks carry on (and the evidence says a fallback saw it).
 */
const ASK_SANDBOX_FOR_MS = 2_000;
/**
 * The least time between two asks, and from the removal to the first: the CRI turns a sandbox
 * 7 ms after its bundle went at 1 pod (10-140 ms at 16), and an ask costs this thread 1.5-2.5 ms
 * of CPU (npm run bench, 2026-12-03), so asking at once mostly bought a "ready".
 */
const ASK_SANDBOX_EVERY_MS = 4;
/** Sandboxes' bundle paths whose removal starts the asking, with the sandbox id. */
const sandboxAsks = new Map<string, string>();
let sandboxStates: Promise<(sandboxId: string) => Promise<SandboxState>> | undefined;

/**
 * A client of this thread's own, loaded when the first sandbox is followed (before its delete):
 * loading gRPC and the CRI's proto takes this thread ~170 ms, which at the first removal would
 * have made the first pod's NOTREADY that late.
 */
function loadSandboxStates(): Promise<(sandboxId: string) => Promise<SandboxState>> {
  sandboxStates ??= (async () => {
    const [{ CriClient }, { CriInspector }] = await Promise.all([import('../cri/client.ts'), import('./cri-inspector.ts')]);
    const inspector = new CriInspector(new CriClient(criEndpoint!, { callTimeoutMs: ASK_SANDBOX_FOR_MS }));
    return (id: string) => inspector.sandboxState(id);
  })();
  return sandboxStates;
}

/** The CRI's answer for a sandbox. */
async function sandboxStateOf(sandboxId: string): Promise<SandboxState> {
  return (await loadSandboxStates())(sandboxId);
}

/**
 * Asks until the sandbox is not ready (or gone), then tells it as gone at that answer. A CRI
 * that does not answer, or still says ready after ASK_SANDBOX_FOR_MS, gets the removal told
 * instead, as a plain change: the watch then looks itself.
 */
async function tellSandboxTurn(fullPath: string, sandboxId: string, removedAtMs: number): Promise<void> {
  try {
    const turn = await askUntilNotReady(() => sandboxStateOf(sandboxId), removedAtMs, { everyMs: ASK_SANDBOX_EVERY_MS, forMs: ASK_SANDBOX_FOR_MS, firstAfterEvery: true, now });
    if (turn) return post({ kind: 'change', path: fullPath, atMs: turn.byMs, gone: true, via: 'cri' });
  } catch {
    // Told below: the watch's own look says what the CRI answers.
  }
  post({ kind: 'change', path: fullPath, atMs: removedAtMs, gone: false });
}

const watchers = new Map<string, FSWatcher>();
port.on('message', (message: ToDirWatchThread) => {
  if (message.kind === 'ask-sandbox') {
    sandboxAsks.set(message.path, message.sandboxId);
    // A load that fails says so at the first ask (askUntilNotReady then tells the removal itself).
    loadSandboxStates().catch(() => undefined);
    return answer(message.seq, {});
  }
  const { dir, seq, criStatus } = message;
  if (watchers.has(dir)) return answer(seq, {});
  try {
    const watcher = watch(dir, (_type, name) => {
      if (!name) return;
      const atMs = now();
      const fullPath = path.join(dir, name.toString());
      const removed = !existsSync(fullPath);
      const sandboxId = removed ? sandboxAsks.get(fullPath) : undefined;
      if (sandboxId !== undefined) {
        // The removal itself is not the sandbox's state: the CRI's answer is told instead.
        sandboxAsks.delete(fullPath);
        void tellSandboxTurn(fullPath, sandboxId, atMs);
        return;
      }
      // A CRI status file rewritten with the exit: read here, at once, as the stamp is taken.
      const exitRecorded = criStatus === true && name.toString() === 'status' && !removed && exitRecordedInStatusFile(fullPath);
      post({ kind: 'change', path: fullPath, atMs, gone: removed || exitRecorded });
    });
    watcher.on('error', (error) => {
      // The directory itself went (a run's netns directory at its end): its entries are polled from now on.
      watcher.close();
      watchers.delete(dir);
      post({ kind: 'ended', dir, why: `inotify on ${dir} ended: ${messageOf(error)}` });
    });
    watchers.set(dir, watcher);
    answer(seq, {});
  } catch (error) {
    answer(seq, { why: `inotify on ${dir} refused: ${messageOf(error)}` });
  }
});
post({ kind: 'ready', priority });
