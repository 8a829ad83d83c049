/**
 * SandboxCalls over CRI gRPC: bare sandboxes (no container, as critest's PodSandbox specs make
 * them) and StopPodSandbox / RemovePodSandbox / PodSandboxStatus with their answers returned.
 * A bare sandbox carries the run's labels like every pod of the driver, so the run's label sweep
 * and leak check see it; its own undo (found by its uid label, so a sandbox already removed by
 * the check is no error) is registered before RunPodSandbox is called.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import type { CriClient } from '../cri/client.ts';
import { answerOf, type CriAnswer } from '../cri/answer.ts';
import type { UndoHandle, UndoStack } from '../cleanup/undo-stack.ts';
import { LABEL_POD_UID } from '../labels.ts';
import type { PodManifest } from './manifest.ts';
import type { BareSandbox, SandboxCalls } from './pod-driver.ts';
import { firstAttemptIdentity, sandboxConfigFor } from './translate.ts';

/** What a bare sandbox is made with: the CRI pod driver's own options (cri-driver.ts). */
export interface BareSandboxOptions {
  runId: string;
  namespace: string;
  logRoot: string;
  logRootIsLocal: boolean;
  cgroupParent: string;
  undo: UndoStack;
}

export class CriSandboxCalls implements SandboxCalls {
  private readonly client: CriClient;
  private readonly options: BareSandboxOptions;
  private readonly undos = new Map<string, UndoHandle>();
  /** Told every sandbox id made here, so the run's leak check looks for their shims too. */
  private readonly made: (sandboxId: string) => void;

  constructor(client: CriClient, options: BareSandboxOptions, made: (sandboxId: string) => void = () => undefined) {
    this.client = client;
    this.options = options;
    this.made = made;
  }

  async run(name: string): Promise<BareSandbox> {
    const uid = randomUUID();
    const manifest: PodManifest = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [] } };
    const config = sandboxConfigFor(manifest, firstAttemptIdentity(this.options, uid));
    const logDirectory = config.logDirectory;
    const undo = this.options.undo.push(`bare sandbox ${name} (uid ${uid})`, async () => {
      for (const sandbox of await this.client.listPodSandbox({ labelSelector: { [LABEL_POD_UID]: uid } })) {
        await this.client.stopPodSandbox(sandbox.id);
        await this.client.removePodSandbox(sandbox.id);
      }
      if (this.options.logRootIsLocal) await rm(logDirectory, { recursive: true, force: true });
    });
    this.undos.set(uid, undo);
    if (this.options.logRootIsLocal) await mkdir(logDirectory, { recursive: true, mode: 0o700 });
    const id = await this.client.runPodSandbox(config);
    this.made(id);
    return { id, name, uid };
  }

  stop(sandboxId: string): Promise<CriAnswer> {
    return answerOf('StopPodSandbox', () => this.client.stopPodSandbox(sandboxId)).then(withoutResponse);
  }

  remove(sandboxId: string): Promise<CriAnswer> {
    return answerOf('RemovePodSandbox', () => this.client.removePodSandbox(sandboxId)).then(withoutResponse);
  }

  async status(sandboxId: string): Promise<CriAnswer & { state?: string }> {
    const { response, ...answer } = await answerOf('PodSandboxStatus', () => this.client.podSandboxStatus(sandboxId, false));
    return response ? { ...answer, state: response.status.state } : answer;
  }

  async discard(sandbox: BareSandbox): Promise<void> {
    const undo = this.undos.get(sandbox.uid);
    this.undos.delete(sandbox.uid);
    await undo?.run();
  }
}

function withoutResponse({ call, code, message, ms }: CriAnswer): CriAnswer {
  return { call, code, message, ms };
}
