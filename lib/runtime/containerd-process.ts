/**
 * Starts and stops the embedded node's private containerd. It runs in a process group of its
 * own so that a Ctrl-C in the terminal reaches the harness, which then removes the pods through
 * the CRI before it stops containerd; a containerd killed first would leave shims and mounts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { CriClient } from '../cri/client.ts';
import { pollUntil } from '../wait.ts';

export interface RunningContainerd {
  pid: number;
  /** SIGTERM, then SIGKILL after 10 s; shims and their containers keep running, as with a service restart. */
  stop(): Promise<void>;
}

async function logTail(logFile: string, lines = 5): Promise<string> {
  try {
    const text = await readFile(logFile, 'utf8');
    return text.trim().split('\n').slice(-lines).join(' | ');
  } catch {
    return '(no log)';
  }
}

/**
 * Starts `binary` (a containerd) with `configFile` and waits until its CRI answers. Its own
 * folder comes first on PATH, so whatever it looks up there (its shim, when no runtime_path names
 * one) is of the same containerd.
 */
export async function startContainerd(binary: string, configFile: string, socket: string, logFile: string, readyTimeoutMs = 30_000): Promise<RunningContainerd> {
  // containerd writes its log to the file itself, through a descriptor of its own: execa's
  // { file } target pipes every line through this process (measured: 0.9 s of the harness's CPU
  // for 50 MB, against 22 ms for a descriptor), and the CRI logs each call at info, so the harness
  // paid for the runtime's logging. execa's types take no descriptor above 9, hence spawn.
  // Opened and closed synchronously: nothing may run between the spawn and the listeners below
  // (a spawn failure is emitted on the next tick).
  // Root-only when made here, before anything is in it.
  const log = openSync(logFile, 'a', 0o600);
  let subprocess: ChildProcess;
  try {
    // One log for every containerd the run starts (an upgrade starts two): say where each begins.
    writeSync(log, `=== ${new Date().toISOString()} pause-conformance starts ${binary} --config ${configFile}\n`);
    subprocess = spawn(binary, ['--config', configFile], {
      env: { PATH: `${path.dirname(binary)}:/usr/sbin:/usr/bin:/sbin:/bin` },
      detached: true,
      stdio: ['ignore', log, log],
    });
  } finally {
    // containerd holds its own copy of the descriptor.
    closeSync(log);
  }
  let exited: string | undefined;
  const exitedPromise = new Promise<void>((resolve) => {
    subprocess.once('error', (error) => {
      exited = `could not start: ${error.message}`;
      resolve();
    });
    subprocess.once('exit', (code, signal) => {
      exited = `exit code ${code ?? 'none'}, signal ${signal ?? 'none'}`;
      resolve();
    });
  });
  const pid = subprocess.pid;
  if (pid === undefined) {
    await exitedPromise;
    throw new Error(`containerd did not start (${exited}): ${await logTail(logFile)}`);
  }
  // Even SIGKILL can be ignored by a process stuck in the kernel: every wait for the exit is
  // bounded and says what it waited for.
  const exitWithin = async (ms: number, after: string): Promise<void> => {
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`containerd (pid ${pid}) did not exit within ${ms / 1000} s of ${after}`)), ms);
    });
    try {
      await Promise.race([exitedPromise, stuck]);
    } finally {
      clearTimeout(timer);
    }
  };

  let client: CriClient | undefined;
  try {
    // Connect only once the socket exists: a gRPC channel that fails its first connect backs off
    // for a second before it tries again, which would double the start time.
    await pollUntil(
      async () => {
        if (exited) throw new Error(`containerd exited while starting (${exited}): ${await logTail(logFile)}`);
        return (await stat(socket).then((s) => s.isSocket(), () => false)) ? { done: true, value: undefined } : { done: false, seen: 'no socket yet' };
      },
      { awaited: `containerd socket ${socket}`, timeoutMs: readyTimeoutMs, intervalMs: 10 },
    );
    client = new CriClient(`unix://${socket}`, { callTimeoutMs: 30_000 });
    const ready = client;
    await pollUntil(
      async () => {
        if (exited) throw new Error(`containerd exited while starting (${exited}): ${await logTail(logFile)}`);
        try {
          await ready.version(1000);
          return { done: true, value: undefined };
        } catch (error) {
          return { done: false, seen: error instanceof Error ? error.message : String(error) };
        }
      },
      { awaited: `containerd CRI on ${socket}`, timeoutMs: readyTimeoutMs, intervalMs: 50 },
    );
  } catch (error) {
    subprocess.kill('SIGKILL');
    // The start failure is the news; a containerd that will not even die is left to the residue undo.
    await exitWithin(5_000, 'SIGKILL').catch(() => undefined);
    throw error;
  } finally {
    client?.close();
  }

  let stopping: Promise<void> | undefined;
  return {
    pid,
    stop: () => {
      stopping ??= (async () => {
        if (exited) return;
        subprocess.kill('SIGTERM');
        const killTimer = setTimeout(() => subprocess.kill('SIGKILL'), 10_000);
        try {
          await exitWithin(15_000, 'SIGTERM (SIGKILL sent at 10 s)');
        } finally {
          clearTimeout(killTimer);
        }
      })();
      return stopping;
    },
  };
}
