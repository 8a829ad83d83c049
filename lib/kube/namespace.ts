/**
 * Namespaces the harness makes: one per run for the suites' pods, one per run for probe pods.
 * Each is labelled with the run id, so a leftover can be traced to its run, and its deletion is
 * registered before it is created. Deleting waits (Watch) until the namespace is really gone:
 * a namespace in Terminating still holds pods.
 */
import type { V1Namespace, V1ServiceAccount } from '@kubernetes/client-node';
import type { UndoStack } from '../cleanup/undo-stack.ts';
import { KubeApi, requestTimeout } from './api.ts';
import { describeApiError, isApiStatus, isNotFound } from './api-errors.ts';
import { watchUntil } from './watch-until.ts';
import { EnvironmentError } from '../errors.ts';
import { LABEL_RUN } from '../labels.ts';

export const NAMESPACE_DELETE_TIMEOUT_MS = 180_000;

/** The namespace of a run's pods: pause-conformance-<run id> (a DNS label). */
export function runNamespaceName(runId: string): string {
  return `pause-conformance-${runId}`;
}

async function readNamespace(api: KubeApi, name: string): Promise<V1Namespace | undefined> {
  try {
    return await api.core.readNamespace({ name }, requestTimeout());
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw error;
  }
}

/** Deletes the namespace (404 = already gone) and waits until it no longer exists. */
export async function deleteNamespaceAndWait(api: KubeApi, name: string, timeoutMs = NAMESPACE_DELETE_TIMEOUT_MS): Promise<void> {
  try {
    await api.core.deleteNamespace({ name }, requestTimeout());
  } catch (error) {
    if (isNotFound(error)) return;
    throw new Error(`delete namespace ${name}: ${describeApiError(error)}`);
  }
  await watchUntil<V1Namespace, void>(api.kubeConfig, {
    path: '/api/v1/namespaces',
    name,
    read: () => readNamespace(api, name),
    decide: (namespace) => (namespace ? { done: false, seen: `namespace ${name} ${namespace.status?.phase ?? 'present'}` } : { done: true, value: undefined }),
    awaited: `namespace ${name} gone`,
    timeoutMs,
  });
}

/**
 * Creates a namespace labelled with the run id, its deletion (and the wait for it) registered
 * first. Extra labels go on it too (e.g. the pod-security level a probe namespace needs).
 */
export async function createNamespace(api: KubeApi, undo: UndoStack, name: string, runId: string, labels: Record<string, string> = {}): Promise<void> {
  undo.push(`delete namespace ${name} and wait until it is gone`, () => deleteNamespaceAndWait(api, name));
  try {
    await api.core.createNamespace({ body: { metadata: { name, labels: { ...labels, [LABEL_RUN]: runId } } } }, requestTimeout());
  } catch (error) {
    if (isApiStatus(error, 403)) {
      throw new EnvironmentError(`cannot create namespace ${name}`, describeApiError(error), 'The harness needs a kubeconfig user that may create namespaces and pods (cluster-admin, or a role with those rights).');
    }
    throw new EnvironmentError(`cannot create namespace ${name}`, describeApiError(error), 'Check the cluster accepts new namespaces.');
  }
}

/** Whether the namespace still exists, for leak checks. */
export async function namespaceExists(api: KubeApi, name: string): Promise<boolean> {
  return (await readNamespace(api, name)) !== undefined;
}

/**
 * Waits (Watch) for the namespace's "default" ServiceAccount. The controller manager makes it a
 * moment after the namespace, and until then the ServiceAccount admission plugin rejects pods.
 */
export async function waitForDefaultServiceAccount(api: KubeApi, namespace: string, timeoutMs = 60_000): Promise<void> {
  await watchUntil<V1ServiceAccount, void>(api.kubeConfig, {
    path: `/api/v1/namespaces/${namespace}/serviceaccounts`,
    name: 'default',
    read: async () => {
      try {
        return await api.core.readNamespacedServiceAccount({ namespace, name: 'default' }, requestTimeout());
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    },
    decide: (account) => (account ? { done: true, value: undefined } : { done: false, seen: 'no ServiceAccount "default" yet' }),
    awaited: `ServiceAccount default in namespace ${namespace} (made by the controller manager)`,
    timeoutMs,
  });
}
