/**
 * A promise-shaped CRI client (runtime.v1) over a unix socket, using the proto subset in
 * runtime-v1.proto. It speaks to the runtime the way kubelet does; nothing here knows about pods
 * as Kubernetes sees them (that is lib/pods/translate.ts).
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type {
  Container,
  ContainerConfig,
  ContainerState,
  ContainerStatusResponse,
  ExecSyncResponse,
  Image,
  PodSandbox,
  PodSandboxConfig,
  PodSandboxState,
  PodSandboxStatusResponse,
  RuntimeStatusResponse,
  VersionResponse,
} from './types.ts';

const PROTO_PATH = fileURLToPath(new URL('./runtime-v1.proto', import.meta.url));

type Callback<T> = (error: grpc.ServiceError | null, response: T) => void;
type UnaryMethod = (request: object, options: grpc.CallOptions, callback: Callback<unknown>) => void;
type ServiceClient = grpc.Client & Record<string, UnaryMethod>;
type ServiceConstructor = new (address: string, credentials: grpc.ChannelCredentials, options?: object) => ServiceClient;

let loaded: { runtime: ServiceConstructor; image: ServiceConstructor } | undefined;

function loadServices(): { runtime: ServiceConstructor; image: ServiceConstructor } {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: false, longs: String, enums: String, defaults: true, oneofs: true });
  // loadPackageDefinition returns an untyped namespace tree; we know the two services are there.
  const tree = grpc.loadPackageDefinition(definition) as unknown as {
    runtime: { v1: { RuntimeService: ServiceConstructor; ImageService: ServiceConstructor } };
  };
  loaded = { runtime: tree.runtime.v1.RuntimeService, image: tree.runtime.v1.ImageService };
  return loaded;
}

/** An endpoint as users write it: unix:///path or a bare absolute path. */
export function grpcAddress(endpoint: string): string {
  if (endpoint.startsWith('unix://')) return endpoint;
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  return endpoint;
}

/** The filesystem path of a unix endpoint, or undefined for other schemes. */
export function socketPath(endpoint: string): string | undefined {
  if (endpoint.startsWith('unix://')) return endpoint.slice('unix://'.length);
  if (endpoint.startsWith('/')) return endpoint;
  return undefined;
}

export class CriError extends Error {
  readonly method: string;
  readonly code: number;
  readonly details: string;
  constructor(method: string, code: number, details: string) {
    super(`CRI ${method} failed: ${grpc.status[code] ?? code}: ${details}`);
    this.name = 'CriError';
    this.method = method;
    this.code = code;
    this.details = details;
  }
}

export interface CriClientOptions {
  /** Deadline of ordinary calls. ExecSync gets its own from its timeout. */
  callTimeoutMs?: number;
}

export class CriClient {
  private runtime: ServiceClient;
  private image: ServiceClient;
  private readonly callTimeoutMs: number;
  readonly endpoint: string;

  constructor(endpoint: string, options: CriClientOptions = {}) {
    this.endpoint = endpoint;
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    [this.runtime, this.image] = CriClient.connect(endpoint);
  }

  private static connect(endpoint: string): [ServiceClient, ServiceClient] {
    const services = loadServices();
    const address = grpcAddress(endpoint);
    const channelOptions = { 'grpc.max_receive_message_length': 16 * 1024 * 1024 };
    return [
      new services.runtime(address, grpc.credentials.createInsecure(), channelOptions),
      new services.image(address, grpc.credentials.createInsecure(), channelOptions),
    ];
  }

  /**
   * Drops the channels and opens new ones. After the runtime restarted, the old channel would sit
   * in gRPC's reconnect back-off (1 s and growing) and fail calls meanwhile.
   */
  reconnect(): void {
    this.close();
    [this.runtime, this.image] = CriClient.connect(this.endpoint);
  }

  private call<T>(client: ServiceClient, method: string, request: object, timeoutMs = this.callTimeoutMs): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const fn = client[method];
      if (!fn) {
        reject(new Error(`CRI method ${method} is not in runtime-v1.proto`));
        return;
      }
      fn.call(client, request, { deadline: Date.now() + timeoutMs }, (error, response) => {
        if (error) reject(new CriError(method, error.code, error.details));
        else resolve(response as T);
      });
    });
  }

  version(timeoutMs?: number): Promise<VersionResponse> {
    return this.call(this.runtime, 'Version', { version: 'v1' }, timeoutMs);
  }

  status(verbose = false): Promise<RuntimeStatusResponse> {
    return this.call(this.runtime, 'Status', { verbose });
  }

  async runPodSandbox(config: PodSandboxConfig, runtimeHandler = ''): Promise<string> {
    const response = await this.call<{ podSandboxId: string }>(this.runtime, 'RunPodSandbox', { config, runtimeHandler }, 120_000);
    return response.podSandboxId;
  }

  async stopPodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'StopPodSandbox', { podSandboxId }, 120_000);
  }

  async removePodSandbox(podSandboxId: string): Promise<void> {
    await this.call(this.runtime, 'RemovePodSandbox', { podSandboxId }, 120_000);
  }

  podSandboxStatus(podSandboxId: string, verbose = true): Promise<PodSandboxStatusResponse> {
    return this.call(this.runtime, 'PodSandboxStatus', { podSandboxId, verbose });
  }

  async listPodSandbox(filter: { labelSelector?: Record<string, string>; state?: PodSandboxState; id?: string } = {}): Promise<PodSandbox[]> {
    const request = {
      filter: {
        id: filter.id ?? '',
        labelSelector: filter.labelSelector ?? {},
        ...(filter.state ? { state: { state: filter.state } } : {}),
      },
    };
    const response = await this.call<{ items: PodSandbox[] }>(this.runtime, 'ListPodSandbox', request);
    return response.items;
  }

  async createContainer(podSandboxId: string, config: ContainerConfig, sandboxConfig: PodSandboxConfig): Promise<string> {
    const response = await this.call<{ containerId: string }>(this.runtime, 'CreateContainer', { podSandboxId, config, sandboxConfig }, 120_000);
    return response.containerId;
  }

  async startContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'StartContainer', { containerId }, 120_000);
  }

  /** timeout is the grace period in seconds before SIGKILL, as kubelet passes it. */
  async stopContainer(containerId: string, timeout: number): Promise<void> {
    await this.call(this.runtime, 'StopContainer', { containerId, timeout }, (timeout + 60) * 1000);
  }

  async removeContainer(containerId: string): Promise<void> {
    await this.call(this.runtime, 'RemoveContainer', { containerId }, 120_000);
  }

  async listContainers(filter: { podSandboxId?: string; labelSelector?: Record<string, string>; state?: ContainerState } = {}): Promise<Container[]> {
    const request = {
      filter: {
        podSandboxId: filter.podSandboxId ?? '',
        labelSelector: filter.labelSelector ?? {},
        ...(filter.state ? { state: { state: filter.state } } : {}),
      },
    };
    const response = await this.call<{ containers: Container[] }>(this.runtime, 'ListContainers', request);
    return response.containers;
  }

  containerStatus(containerId: string, verbose = true): Promise<ContainerStatusResponse> {
    return this.call(this.runtime, 'ContainerStatus', { containerId, verbose });
  }

  /** Runs cmd in the container and returns its output; timeoutSeconds bounds the command itself. */
  execSync(containerId: string, cmd: string[], timeoutSeconds = 10): Promise<ExecSyncResponse> {
    return this.call(this.runtime, 'ExecSync', { containerId, cmd, timeout: timeoutSeconds }, (timeoutSeconds + 10) * 1000);
  }

  async listImages(): Promise<Image[]> {
    const response = await this.call<{ images: Image[] }>(this.image, 'ListImages', { filter: {} });
    return response.images;
  }

  async imageStatus(image: string): Promise<{ image: Image | null; info: Record<string, string> }> {
    return this.call(this.image, 'ImageStatus', { image: { image }, verbose: true });
  }

  close(): void {
    this.runtime.close();
    this.image.close();
  }
}
