/**
 * PodDriver over CRI gRPC: runs the fixtures' pods as kubelet would (lib/pods/translate.ts),
 * without a kubelet. Every pod's undo is registered before RunPodSandbox is called, keyed by a
 * label, so even a half-made pod (sandbox made, container create failed, Ctrl-C in between) is
 * found and removed.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { CriClient } from '../cri/client.ts';
import type { PodSandboxConfig } from '../cri/types.ts';
import type { UndoHandle, UndoStack } from '../cleanup/undo-stack.ts';
import { pollUntil } from '../wait.ts';
import type { PodManifest } from './manifest.ts';
import { stopContainersChecked } from '../cri/stop-container.ts';
import type { ContainerObservation, ContainerRef, DeleteResult, ExecResult, PodDriver, PodRef, SandboxCalls } from './pod-driver.ts';
import { CriSandboxCalls } from './cri-sandbox-calls.ts';
import { containerConfigFor, firstAttemptIdentity, sandboxConfigFor, type SandboxIdentity } from './translate.ts';
import { containerStateOf } from '../cri/states.ts';
import { EnvironmentError } from '../errors.ts';
import type { LoadedFixture } from './fixtures.ts';
import { LABEL_POD_UID, LABEL_RUN } from '../labels.ts';

export interface CriPodDriverOptions {
  runId: string;
  /** CRI metadata namespace for every pod of this run. */
  namespace: string;
  /** Sandbox log directories go below this (on the node's filesystem). */
  logRoot: string;
  /** Whether logRoot is on this machine, so the driver can create it. */
  logRootIsLocal: boolean;
  cgroupParent: string;
  /** The image a fixture container runs on this target. */
  imageFor: (manifestImage: string) => string;
  undo: UndoStack;
}

interface PodState {
  undo: UndoHandle;
  sandboxConfig: PodSandboxConfig;
  identity: SandboxIdentity;
  containers: Map<string, ContainerRef>;
}

const DEFAULT_GRACE_SECONDS = 30;

export class CriPodDriver implements PodDriver {
  private readonly client: CriClient;
  private readonly options: CriPodDriverOptions;
  private readonly pods = new Map<string, PodState>();
  /** The driver makes the sandbox calls itself, so their answers can be checked (suite 120). */
  readonly sandboxCalls: SandboxCalls;
  /** Every sandbox this driver made, kept after its pod is deleted: the leak check looks for their shims. */
  private readonly seenSandboxIds = new Set<string>();

  constructor(client: CriClient, options: CriPodDriverOptions) {
    this.client = client;
    this.options = options;
    this.sandboxCalls = new CriSandboxCalls(client, options, (sandboxId) => this.seenSandboxIds.add(sandboxId));
  }

  private state(pod: PodRef): PodState {
    const state = this.pods.get(pod.uid);
    if (!state) throw new Error(`pod ${pod.name} (${pod.uid}) was not made by this driver`);
    return state;
  }

  /** Stops and removes every sandbox carrying the label, with its containers and log directory. */
  private async removeSandboxes(labelSelector: Record<string, string>): Promise<void> {
    const sandboxes = await this.client.listPodSandbox({ labelSelector });
    for (const sandbox of sandboxes) {
      await this.client.stopPodSandbox(sandbox.id);
      await this.client.removePodSandbox(sandbox.id);
      await this.removeLogDirectory(sandbox.metadata);
    }
  }

  /**
   * The runtime leaves a pod's log directory behind; kubelet removes it with the pod, and so does
   * the driver (on a real node it is under /var/log/pods). Only ever one in this run's namespace,
   * named as sandboxConfigFor names it: <namespace>_<name>_<uid>.
   */
  private async removeLogDirectory(metadata: { namespace: string; name: string; uid: string }): Promise<void> {
    if (!this.options.logRootIsLocal || metadata.namespace !== this.options.namespace) return;
    await rm(path.join(this.options.logRoot, `${metadata.namespace}_${metadata.name}_${metadata.uid}`), { recursive: true, force: true });
  }

  /**
   * Checks, before any pod is made, that every image the fixtures will run is on the runtime. A
   * missing one is an environment error naming the image (exit 2), not a CreateContainer failure
   * in the middle of a check; the driver never pulls.
   */
  async requireImages(fixtures: LoadedFixture[], todo: string): Promise<void> {
    const checked = new Set<string>();
    for (const { file, manifest } of fixtures) {
      for (const container of manifest.spec.containers) {
        const image = this.options.imageFor(container.image);
        if (checked.has(image)) continue;
        checked.add(image);
        if (!(await this.client.imageStatus(image)).image) {
          throw new EnvironmentError(`image ${image} is not present on the runtime`, `fixture ${file} (container ${container.name}) runs it and the harness never pulls images`, todo);
        }
      }
    }
  }

  async create(manifest: PodManifest, options: { timeoutMs?: number } = {}): Promise<PodRef> {
    const createdAtMs = Date.now();
    const uid = randomUUID();
    const identity = firstAttemptIdentity(this.options, uid);
    const sandboxConfig = sandboxConfigFor(manifest, identity);
    // Registered before anything of the pod exists, the log directory included.
    const undo = this.options.undo.push(`pod ${manifest.metadata.name} (uid ${uid})`, async () => {
      await this.removeSandboxes({ [LABEL_POD_UID]: uid });
      await this.removeLogDirectory(sandboxConfig.metadata);
    });
    if (this.options.logRootIsLocal) await mkdir(sandboxConfig.logDirectory, { recursive: true, mode: 0o700 });
    const sandboxId = await this.client.runPodSandbox(sandboxConfig);
    this.seenSandboxIds.add(sandboxId);
    const state: PodState = { undo, sandboxConfig, identity, containers: new Map() };
    this.pods.set(uid, state);
    const pod: PodRef = {
      name: manifest.metadata.name,
      namespace: identity.namespace,
      uid,
      sandboxId,
      containers: [],
      manifest,
      createdAtMs,
      readyAtMs: 0,
    };
    for (const container of manifest.spec.containers) {
      const ref = await this.startAttempt(pod, container.name, 0);
      pod.containers.push(ref);
    }
    // StartContainer returns once the process runs; confirm the runtime agrees before "ready".
    await pollUntil(
      async () => {
        // One list of the sandbox's containers, not a status call per container: the same states, a third of the calls.
        const listed = new Map((await this.client.listContainers({ podSandboxId: pod.sandboxId })).map((c) => [c.id, c.state]));
        const notStarted = pod.containers.filter((ref) => (listed.get(ref.id) ?? 'CONTAINER_CREATED') === 'CONTAINER_CREATED');
        return notStarted.length === 0 ? { done: true, value: undefined } : { done: false, seen: `${notStarted.length} container(s) CREATED` };
      },
      { awaited: `every container of pod ${pod.name} started`, timeoutMs: options.timeoutMs ?? 60_000 },
    );
    pod.readyAtMs = Date.now();
    return pod;
  }

  private async startAttempt(pod: PodRef, containerName: string, attempt: number): Promise<ContainerRef> {
    const state = this.state(pod);
    const manifestContainer = pod.manifest.spec.containers.find((c) => c.name === containerName);
    if (!manifestContainer) throw new Error(`pod ${pod.name} has no container ${containerName}`);
    const config = containerConfigFor(pod.manifest, manifestContainer, state.identity, attempt, this.options.imageFor(manifestContainer.image));
    const id = await this.client.createContainer(pod.sandboxId, config, state.sandboxConfig);
    await this.client.startContainer(id);
    const ref: ContainerRef = { name: containerName, id, attempt };
    state.containers.set(containerName, ref);
    return ref;
  }

  private ref(pod: PodRef, container: string): ContainerRef {
    const ref = this.state(pod).containers.get(container);
    if (!ref) throw new Error(`pod ${pod.name} has no container ${container}`);
    return ref;
  }

  async exec(pod: PodRef, container: string, command: string[], timeoutSeconds = 10): Promise<ExecResult> {
    const response = await this.client.execSync(this.ref(pod, container).id, command, timeoutSeconds);
    return { stdout: response.stdout.toString('utf8'), stderr: response.stderr.toString('utf8'), exitCode: response.exitCode };
  }

  async container(pod: PodRef, container: string): Promise<ContainerObservation> {
    const ref = this.ref(pod, container);
    const { status } = await this.client.containerStatus(ref.id, false);
    const state = containerStateOf(status.state);
    const observation: ContainerObservation = { name: container, id: ref.id, attempt: ref.attempt, state };
    if (state === 'exited') observation.exitCode = status.exitCode;
    return observation;
  }

  waitForExit(pod: PodRef, container: string, timeoutMs = 30_000): Promise<ContainerObservation> {
    return pollUntil(
      async () => {
        const observation = await this.container(pod, container);
        return observation.state === 'exited' ? { done: true, value: observation } : { done: false, seen: observation.state };
      },
      { awaited: `container ${container} of pod ${pod.name} exited`, timeoutMs },
    );
  }

  async restartContainer(pod: PodRef, container: string): Promise<ContainerRef> {
    const previous = this.ref(pod, container);
    const ref = await this.startAttempt(pod, container, previous.attempt + 1);
    const index = pod.containers.findIndex((c) => c.name === container);
    pod.containers[index] = ref;
    return ref;
  }

  async currentSandboxId(pod: PodRef): Promise<string | undefined> {
    return pod.sandboxId;
  }

  async delete(pod: PodRef): Promise<DeleteResult> {
    const calledAtMs = Date.now();
    const grace = pod.manifest.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    const state = this.state(pod);
    // As kubelet's killPod: stop the containers with the grace period, then the sandbox. The
    // driver made every container of the pod and knows the current attempt of each: no list call
    // (an exited one's StopContainer is a no-op; earlier attempts have exited).
    const stopErrors = await stopContainersChecked(this.client, [...state.containers.values()].map((ref) => ref.id), grace);
    await this.client.stopPodSandbox(pod.sandboxId);
    await this.client.removePodSandbox(pod.sandboxId);
    const returnedAtMs = Date.now();
    await this.removeLogDirectory(state.sandboxConfig.metadata);
    state.undo.release();
    this.pods.delete(pod.uid);
    return { calledAtMs, returnedAtMs, ...(stopErrors.length > 0 ? { stopErrors } : {}) };
  }

  async deleteAll(): Promise<void> {
    await this.removeSandboxes({ [LABEL_RUN]: this.options.runId });
    this.pods.clear();
  }

  sandboxIds(): string[] {
    return [...this.seenSandboxIds];
  }
}
