/** RuntimeInspector over CRI gRPC: the embedded node and any --cri-endpoint on this machine. */
import { CriClient, CriError } from '../cri/client.ts';
import * as grpc from '@grpc/grpc-js';
import { parseContainerInspect, parseSandboxInspect } from './inspect-parsers.ts';
import { parseImageInspect } from './image-inspect.ts';
import type { ContainerFacts, ContainerStateFact, ImageFacts, SandboxFacts, SandboxState } from './node-view.ts';
import { containerStateOf, sandboxStateOf } from '../cri/states.ts';
import type { RuntimeInspector } from './runtime-inspector.ts';

function isNotFound(error: unknown): boolean {
  return error instanceof CriError && error.code === grpc.status.NOT_FOUND;
}

export class CriInspector implements RuntimeInspector {
  private readonly client: CriClient;
  constructor(client: CriClient) {
    this.client = client;
  }

  async sandbox(sandboxId: string): Promise<SandboxFacts> {
    try {
      return parseSandboxInspect(await this.client.podSandboxStatus(sandboxId, true));
    } catch (error) {
      if (isNotFound(error)) return { id: sandboxId, state: 'gone', attempt: 0, labels: {} };
      throw error;
    }
  }

  async sandboxState(sandboxId: string): Promise<SandboxState> {
    try {
      return sandboxStateOf((await this.client.podSandboxStatus(sandboxId, false)).status.state);
    } catch (error) {
      if (isNotFound(error)) return 'gone';
      throw error;
    }
  }

  async containerStates(sandboxId: string): Promise<ContainerStateFact[]> {
    const listed = await this.client.listContainers({ podSandboxId: sandboxId });
    return listed.map((container) => ({ id: container.id, name: container.metadata.name, state: containerStateOf(container.state) }));
  }

  async containers(sandboxId: string): Promise<ContainerFacts[]> {
    const listed = await this.client.listContainers({ podSandboxId: sandboxId });
    const facts = await Promise.all(listed.map((container) => this.container(container.id)));
    return facts.filter((fact) => fact.state !== 'gone');
  }

  async container(containerId: string): Promise<ContainerFacts> {
    try {
      return parseContainerInspect(await this.client.containerStatus(containerId, true));
    } catch (error) {
      if (isNotFound(error)) return { id: containerId, sandboxId: '', name: '', attempt: 0, state: 'gone' };
      throw error;
    }
  }

  async image(reference: string): Promise<ImageFacts | undefined> {
    try {
      // containerd answers an unknown image with an empty status (image null), not NOT_FOUND.
      return parseImageInspect(await this.client.imageStatus(reference));
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }
}
