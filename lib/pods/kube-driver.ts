/**
 * PodDriver over the Kubernetes API (@kubernetes/client-node): the fixtures' pods are created in
 * the run's namespace, pinned to one node, and run by that node's kubelet. Waits are Watches
 * (pods reach a state by events, not by polling the API); the node side (which sandbox the
 * kubelet made for the pod) is found through the node's runtime, by the CRI label
 * io.kubernetes.pod.uid the kubelet puts on every sandbox.
 *
 * Every pod's deletion is registered before it is created; deleteAll() removes whatever of the
 * run is left on this node, and the run namespace's deletion is the final undo.
 */
import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { UndoHandle, UndoStack } from '../cleanup/undo-stack.ts';
import { KubeApi, requestTimeout } from '../kube/api.ts';
import { describeApiError } from '../kube/api-errors.ts';
import { deletePodAndWait, readPod, requirePod, waitForPod } from '../kube/pods.ts';
import { pollUntil, WaitTimeoutError } from '../wait.ts';
import { kubePodFor } from './kube-manifest.ts';
import { exitVerdict, observeContainerStatus } from './kube-pod-status.ts';
import type { PodManifest } from './manifest.ts';
import type { ApiStatusSource, ContainerObservation, ContainerRef, DeleteResult, ExecResult, PodDriver, PodRef } from './pod-driver.ts';
import { LABEL_RUN } from '../labels.ts';
import { kubeExec } from '../kube/exec.ts';
import { containerStatus, podApiStatus, runtimeContainerId, startVerdict, type PodApiStatus } from '../kube/pod-status.ts';

/** How the driver finds, on the pod's node, the sandbox the kubelet made for a pod. */
export interface NodeSandboxFinder {
  /** Describes where it looks, for messages: "crictl on node vm (this machine)". */
  readonly describe: string;
  /** The pod's current sandbox (READY first, then the newest attempt), or undefined if none is seen. */
  currentSandbox(podUid: string, containerIds: string[]): Promise<{ id: string; ready: boolean } | undefined>;
}

export interface KubePodDriverOptions {
  api: KubeApi;
  namespace: string;
  nodeName: string;
  runId: string;
  /** --app-image: runs wherever a fixture names the fixtures' app image (FIXTURE_APP_IMAGE). */
  appImage?: string;
  sandboxes: NodeSandboxFinder;
  undo: UndoStack;
}

const DEFAULT_GRACE_SECONDS = 30;
/** Image pulls on a fresh node can take a while; a pod that cannot start fails fast anyway. */
const DEFAULT_CREATE_TIMEOUT_MS = 180_000;

export class KubePodDriver implements PodDriver, ApiStatusSource {
  private readonly options: KubePodDriverOptions;
  private readonly undos = new Map<string, UndoHandle>();
  /** Every sandbox of this driver's pods seen (a kubelet replaces one whose pause died): for the leak check. */
  private readonly seenSandboxIds = new Set<string>();

  constructor(options: KubePodDriverOptions) {
    this.options = options;
  }

  private get api(): KubeApi {
    return this.options.api;
  }

  private where(name: string): string {
    return `pod ${this.options.namespace}/${name} on node ${this.options.nodeName}`;
  }

  async create(fixture: PodManifest, options: { timeoutMs?: number } = {}): Promise<PodRef> {
    const createdAtMs = Date.now();
    const { manifest, body } = kubePodFor(fixture, {
      namespace: this.options.namespace,
      nodeName: this.options.nodeName,
      runId: this.options.runId,
      nameSuffix: randomBytes(3).toString('hex'),
      ...(this.options.appImage ? { appImage: this.options.appImage } : {}),
    });
    const name = manifest.metadata.name;
    const grace = manifest.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    let uid: string | undefined;
    const undo = this.options.undo.push(`delete ${this.where(name)}`, async () => {
      await deletePodAndWait(this.api, this.options.namespace, name, { ...(uid ? { uid } : {}), graceSeconds: grace });
    });
    let created: V1Pod;
    try {
      created = await this.api.core.createNamespacedPod({ namespace: this.options.namespace, body }, requestTimeout());
    } catch (error) {
      undo.release();
      throw new Error(`create ${this.where(name)}: ${describeApiError(error)}`);
    }
    uid = created.metadata?.uid ?? '';
    this.undos.set(uid, undo);
    let readyAtMs = 0;
    const running = await waitForPod(
      this.api,
      this.options.namespace,
      name,
      (pod) => {
        const verdict = startVerdict(pod, name);
        if (verdict.done) readyAtMs = Date.now();
        return verdict;
      },
      `every container of ${this.where(name)} started`,
      options.timeoutMs ?? DEFAULT_CREATE_TIMEOUT_MS,
    );
    const containers: ContainerRef[] = manifest.spec.containers.map((container) => {
      const observed = observeContainerStatus(containerStatus(running, container.name), container.name);
      return { name: container.name, id: observed.id, attempt: observed.attempt };
    });
    let sandbox: string;
    try {
      sandbox = await pollUntil(
        async () => {
          const found = await this.options.sandboxes.currentSandbox(uid!, containers.map((c) => c.id));
          return found?.ready ? { done: true, value: found.id } : { done: false, seen: found ? `sandbox ${found.id.slice(0, 13)} not READY` : 'no sandbox with that pod uid' };
        },
        { awaited: `the sandbox of ${this.where(name)} (uid ${uid}) through ${this.options.sandboxes.describe}`, timeoutMs: 20_000, intervalMs: 200 },
      );
    } catch (error) {
      if (!(error instanceof WaitTimeoutError)) throw error;
      throw new Error(`${error.message}: the kubelet runs the pod, but the runtime read there does not show its sandbox (is it the kubelet's runtime? check --cri-endpoint)`);
    }
    this.seenSandboxIds.add(sandbox);
    return { name, namespace: this.options.namespace, uid, sandboxId: sandbox, containers, manifest, createdAtMs, readyAtMs };
  }

  exec(pod: PodRef, container: string, command: string[], timeoutSeconds = 10): Promise<ExecResult> {
    // The API server adds a round trip and a stream set-up to the command's own time.
    return kubeExec(this.api.kubeConfig, { namespace: pod.namespace, pod: pod.name, container }, command, timeoutSeconds * 1000 + 10_000);
  }

  /** Keeps pod.containers on the current attempts, as the CRI driver does after a restart. */
  private remember(pod: PodRef, observation: ContainerObservation): void {
    if (observation.state !== 'running' || !observation.id) return;
    const index = pod.containers.findIndex((ref) => ref.name === observation.name);
    if (index >= 0 && pod.containers[index]!.id !== observation.id) pod.containers[index] = { name: observation.name, id: observation.id, attempt: observation.attempt };
  }

  async container(pod: PodRef, container: string): Promise<ContainerObservation> {
    const current = await readPod(this.api, pod.namespace, pod.name);
    if (!current || current.metadata?.uid !== pod.uid) return { name: container, id: '', attempt: 0, state: 'unknown' };
    const observation = observeContainerStatus(containerStatus(current, container), container);
    this.remember(pod, observation);
    return observation;
  }

  async waitForExit(pod: PodRef, container: string, timeoutMs = 30_000): Promise<ContainerObservation> {
    const now = observeContainerStatus(containerStatus(await requirePod(this.api, pod.namespace, pod.name), container), container);
    if (now.state === 'exited') return now;
    const known = { id: now.id, restartCount: now.restartCount ?? 0 };
    return waitForPod(this.api, pod.namespace, pod.name, (current) => exitVerdict(current, container, known), `container ${container} (${known.id.slice(0, 13) || 'not started'}) of ${this.where(pod.name)} exited`, timeoutMs);
  }

  async currentSandboxId(pod: PodRef): Promise<string | undefined> {
    const current = await readPod(this.api, pod.namespace, pod.name);
    const ids = (current?.status?.containerStatuses ?? []).map((status) => runtimeContainerId(status.containerID)).filter(Boolean);
    const id = (await this.options.sandboxes.currentSandbox(pod.uid, ids))?.id;
    if (id) this.seenSandboxIds.add(id);
    return id;
  }

  sandboxIds(): string[] {
    return [...this.seenSandboxIds];
  }

  /** returnedAtMs and objectGoneAtMs are the same moment: delete() waits for the object to be gone. */
  async delete(pod: PodRef): Promise<DeleteResult> {
    const grace = pod.manifest.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    const deletion = await deletePodAndWait(this.api, pod.namespace, pod.name, { uid: pod.uid, graceSeconds: grace });
    this.undos.get(pod.uid)?.release();
    this.undos.delete(pod.uid);
    return { calledAtMs: deletion.calledAtMs, returnedAtMs: deletion.goneAtMs, apiReturnedAtMs: deletion.apiReturnedAtMs, objectGoneAtMs: deletion.goneAtMs };
  }

  async deleteAll(): Promise<void> {
    const list = await this.api.core.listNamespacedPod(
      { namespace: this.options.namespace, labelSelector: `${LABEL_RUN}=${this.options.runId}`, fieldSelector: `spec.nodeName=${this.options.nodeName}` },
      requestTimeout(),
    );
    await Promise.all(
      list.items.map((pod) =>
        deletePodAndWait(this.api, this.options.namespace, pod.metadata?.name ?? '', {
          ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
          graceSeconds: pod.spec?.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS,
        }),
      ),
    );
    for (const undo of this.undos.values()) undo.release();
    this.undos.clear();
  }

  async apiStatus(pod: PodRef): Promise<PodApiStatus> {
    return podApiStatus(await requirePod(this.api, pod.namespace, pod.name));
  }

  waitForApiStatus(pod: PodRef, awaited: string, accept: (status: PodApiStatus) => boolean, timeoutMs: number): Promise<PodApiStatus & { seenAtMs: number }> {
    return waitForPod(
      this.api,
      pod.namespace,
      pod.name,
      (current) => {
        if (!current) return { done: false, seen: 'pod does not exist' };
        const status = podApiStatus(current);
        return accept(status) ? { done: true, value: { ...status, seenAtMs: Date.now() } } : { done: false, seen: `phase ${status.phase}, podIP ${status.podIP || 'unset'}` };
      },
      `${awaited} (${this.where(pod.name)})`,
      timeoutMs,
    );
  }
}
