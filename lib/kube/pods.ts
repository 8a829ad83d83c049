/**
 * Pod calls shared by the kube pod driver and the probe-pod node shell: read (404 -> undefined),
 * wait for a state with a Watch, delete and wait until the object is gone.
 */
import type { V1Pod } from '@kubernetes/client-node';
import { KubeApi, requestTimeout } from './api.ts';
import { describeApiError, isApiStatus, isNotFound } from './api-errors.ts';
import { watchUntil, type Verdict } from './watch-until.ts';

export async function readPod(api: KubeApi, namespace: string, name: string): Promise<V1Pod | undefined> {
  try {
    return await api.core.readNamespacedPod({ namespace, name }, requestTimeout());
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw new Error(`read pod ${namespace}/${name}: ${describeApiError(error)}`);
  }
}

/** Reads the pod and fails when it is gone (for callers that need it to exist). */
export async function requirePod(api: KubeApi, namespace: string, name: string): Promise<V1Pod> {
  const pod = await readPod(api, namespace, name);
  if (!pod) throw new Error(`pod ${namespace}/${name} does not exist (any more)`);
  return pod;
}

export function waitForPod<T>(api: KubeApi, namespace: string, name: string, decide: (pod: V1Pod | undefined) => Verdict<T>, awaited: string, timeoutMs: number): Promise<T> {
  return watchUntil<V1Pod, T>(api.kubeConfig, {
    path: `/api/v1/namespaces/${namespace}/pods`,
    name,
    read: () => readPod(api, namespace, name),
    decide,
    awaited,
    timeoutMs,
  });
}

export interface PodDeletion {
  calledAtMs: number;
  /** When the API's DELETE call returned (the object may still be there, terminating). */
  apiReturnedAtMs: number;
  /** When a watch saw the object gone. */
  goneAtMs: number;
}

/**
 * Deletes the pod with the given grace period (404 = already gone) and waits until the object
 * with that uid no longer exists: the kubelet has stopped its containers and confirmed.
 */
export async function deletePodAndWait(api: KubeApi, namespace: string, name: string, options: { uid?: string; graceSeconds?: number; timeoutMs?: number } = {}): Promise<PodDeletion> {
  const calledAtMs = Date.now();
  try {
    await api.core.deleteNamespacedPod(
      { namespace, name, ...(options.graceSeconds !== undefined ? { gracePeriodSeconds: options.graceSeconds } : {}), ...(options.uid ? { body: { preconditions: { uid: options.uid } } } : {}) },
      requestTimeout(),
    );
  } catch (error) {
    // 404: gone already; 409: the uid precondition failed, i.e. that pod is gone and another took the name.
    if (!isNotFound(error) && !isApiStatus(error, 409)) {
      throw new Error(`delete pod ${namespace}/${name}: ${describeApiError(error)}`);
    }
  }
  const apiReturnedAtMs = Date.now();
  const timeoutMs = options.timeoutMs ?? ((options.graceSeconds ?? 30) * 1000 + 120_000);
  const goneAtMs = await waitForPod(
    api,
    namespace,
    name,
    (pod) => (!pod || (options.uid && pod.metadata?.uid !== options.uid) ? { done: true, value: Date.now() } : { done: false, seen: `pod ${name} still there (phase ${pod.status?.phase ?? '?'}, deletionTimestamp ${pod.metadata?.deletionTimestamp ? 'set' : 'unset'})` }),
    `pod ${namespace}/${name} gone`,
    timeoutMs,
  );
  return { calledAtMs, apiReturnedAtMs, goneAtMs };
}
