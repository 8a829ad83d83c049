/**
 * Waits for one named object to reach a state, with a Watch rather than polling: read it once
 * (the "list" of list-then-watch), then watch from that resourceVersion and judge every event.
 * The wait is bounded and its timeout says what was awaited and what was last seen.
 *
 * Watches end in normal ways that are not failures: the API server closes them after a while,
 * and client-node aborts one that has been silent for 30 s (an inactivity timeout since 2.0.1,
 * kubernetes-client/javascript#3022; 2.0.0 cut every watch 30 s after it started, #3020, hence
 * package.json's floor of ^2.0.1). Those continue from the last
 * resourceVersion (or re-read the object after 410 Gone, when that version is too old). Any other
 * error ends the wait with that error: a wait must not hide failures behind retries.
 */
import { Watch, type KubeConfig } from '@kubernetes/client-node';
import { WaitTimeoutError } from '../wait.ts';
import { describeApiError, isTimeout, statusMessage } from './api-errors.ts';

interface KubeObject {
  metadata?: { resourceVersion?: string; uid?: string };
}

export type Verdict<T> = { done: true; value: T } | { done: false; seen: string };

export interface WatchUntilOptions<O extends KubeObject, T> {
  /** Collection path to watch, e.g. /api/v1/namespaces/NS/pods or /api/v1/namespaces. */
  path: string;
  /** Name of the object (watched with fieldSelector metadata.name=NAME). */
  name: string;
  /** Reads the object now; undefined when it does not exist (404). */
  read: () => Promise<O | undefined>;
  /** Judges the object (undefined: it does not exist, or was deleted). */
  decide: (object: O | undefined) => Verdict<T>;
  /** What is awaited, in words, for the timeout message. */
  awaited: string;
  timeoutMs: number;
}

interface WatchEventObject extends KubeObject {
  code?: number;
}

export function watchUntil<O extends KubeObject, T>(kubeConfig: KubeConfig, options: WatchUntilOptions<O, T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let finished = false;
    let controller: AbortController | undefined;
    let lastSeen = 'nothing yet';
    const finish = (error: unknown, value?: T): void => {
      if (finished) return;
      finished = true;
      clearTimeout(deadline);
      controller?.abort();
      if (error) reject(error instanceof Error ? error : new Error(String(error)));
      else resolve(value as T);
    };
    // A deadline for the whole wait (not a sleep): it ends the watch and names what was missing.
    const deadline = setTimeout(() => finish(new WaitTimeoutError(options.awaited, options.timeoutMs, lastSeen)), options.timeoutMs);

    // decide() may throw (a pod that cannot start): that ends the wait. It must be caught here,
    // because client-node's Watch swallows whatever its event callback throws.
    const consider = (object: O | undefined): void => {
      let verdict: Verdict<T>;
      try {
        verdict = options.decide(object);
      } catch (error) {
        finish(error);
        return;
      }
      if (verdict.done) finish(undefined, verdict.value);
      else lastSeen = verdict.seen;
    };

    const watchFrom = async (resourceVersion: string | undefined): Promise<void> => {
      let version = resourceVersion;
      let relist = false;
      const query: Record<string, string | boolean> = { fieldSelector: `metadata.name=${options.name}`, allowWatchBookmarks: true };
      if (version) query['resourceVersion'] = version;
      controller = await new Watch(kubeConfig).watch(
        options.path,
        query,
        (type: string, object: WatchEventObject) => {
          if (finished) return;
          if (type === 'ERROR') {
            // 410 Gone: the version is too old to resume from; read the object again.
            if (object?.code === 410) relist = true;
            else finish(new Error(`watch for ${options.awaited} failed: ${statusMessage(object) ?? 'ERROR event'}`));
            return;
          }
          version = object?.metadata?.resourceVersion ?? version;
          if (type === 'BOOKMARK') return;
          consider(type === 'DELETED' ? undefined : (object as O));
        },
        (error: unknown) => {
          if (finished) return;
          const status = (error as { statusCode?: number } | null)?.statusCode;
          if (!error || isTimeout(error)) void (relist ? start() : watchFrom(version).catch((e: unknown) => finish(e)));
          else if (status === 410) void start();
          else finish(new Error(`watch for ${options.awaited} failed: ${describeApiError(error)}`));
        },
      );
      if (finished) controller.abort();
    };

    const start = async (): Promise<void> => {
      try {
        const object = await options.read();
        if (finished) return;
        consider(object);
        if (finished) return;
        await watchFrom(object?.metadata?.resourceVersion);
      } catch (error) {
        finish(error);
      }
    };
    void start();
  });
}
