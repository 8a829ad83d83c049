/**
 * containerd's task events over its own socket (containerd.services.events.v1.Events/Subscribe,
 * the stream `ctr events` prints), read by one long-lived gRPC stream per run. /tasks/exit comes
 * once the shim has reaped the process (pause or a container), /tasks/delete once containerd has
 * cleaned the task up. Works on 1.6, 1.7 and 2.x alike (events.proto says why one message reads
 * both). The CRI's own GetContainerEvents is no substitute: 1.6 answers UNIMPLEMENTED, and 2.1
 * sent its events about 300 ms after these.
 *
 * The stream ends when containerd stops (a runtime restart, an upgrade): it is opened again with
 * a short back-off for as long as the stream is wanted, and `state()` says meanwhile why there is
 * none, so a watch falls back to polling and the evidence says so.
 */
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';

const PROTO_PATH = fileURLToPath(new URL('./events.proto', import.meta.url));
const RESUBSCRIBE_MS = 200;

export interface TaskEvent {
  topic: string;
  namespace: string;
  /** The task's container id: a container's, or the sandbox's own (its pause task) on CRI. */
  containerId: string;
  /** When containerd published it (ms since the epoch). */
  publishedAtMs: number;
  /** When this process read it off the stream. */
  receivedAtMs: number;
}

interface Envelope {
  timestamp?: { seconds: string; nanos: number } | null;
  namespace: string;
  topic: string;
  event?: { typeUrl: string; value?: { containerId: string } | null } | null;
}

type SubscribeCall = grpc.ClientReadableStream<Envelope>;
type EventsClient = grpc.Client & { Subscribe(request: { filters: string[] }, options?: grpc.CallOptions): SubscribeCall };
type EventsConstructor = new (address: string, credentials: grpc.ChannelCredentials) => EventsClient;

let loaded: EventsConstructor | undefined;
function eventsService(): EventsConstructor {
  if (loaded) return loaded;
  const definition = protoLoader.loadSync(PROTO_PATH, { keepCase: false, longs: String, enums: String, defaults: true });
  // loadPackageDefinition returns an untyped namespace tree; the service is declared in events.proto.
  const tree = grpc.loadPackageDefinition(definition) as unknown as { containerd: { services: { events: { v1: { Events: EventsConstructor } } } } };
  loaded = tree.containerd.services.events.v1.Events;
  return loaded;
}

export interface TaskEventStreamOptions {
  /** containerd's socket (unix path). */
  socket: string;
  /** Only this containerd namespace's tasks ('k8s.io' for the CRI). */
  namespace: string;
  onEvent: (event: TaskEvent) => void;
}

export type StreamState = { live: true } | { live: false; why: string };

/** A subscription to /tasks/* events that keeps itself open until close(). */
export class TaskEventStream {
  private readonly options: TaskEventStreamOptions;
  private client: EventsClient | undefined;
  private call: SubscribeCall | undefined;
  private retry: NodeJS.Timeout | undefined;
  private current: StreamState = { live: false, why: 'not subscribed yet' };
  private closed = false;

  constructor(options: TaskEventStreamOptions) {
    this.options = options;
  }

  state(): StreamState {
    return this.current;
  }

  /**
   * Subscribes, and resolves once the channel to containerd is up (then the subscription is on its
   * way; containerd registers it before the first event it could miss of a pod made after this).
   * Rejects when containerd does not answer within timeoutMs.
   */
  async open(timeoutMs = 5_000): Promise<void> {
    const Events = eventsService();
    this.client = new Events(`unix://${this.options.socket}`, grpc.credentials.createInsecure());
    await new Promise<void>((resolve, reject) => this.client!.waitForReady(Date.now() + timeoutMs, (error) => (error ? reject(error) : resolve())));
    this.subscribe();
  }

  private subscribe(): void {
    if (this.closed || !this.client) return;
    const filter = `namespace==${this.options.namespace},topic~="^/tasks/"`;
    const call = this.client.Subscribe({ filters: [filter] });
    this.call = call;
    this.current = { live: true };
    call.on('data', (envelope: Envelope) => {
      const containerId = envelope.event?.value?.containerId;
      if (!containerId) return;
      const ts = envelope.timestamp;
      const publishedAtMs = ts ? Number(ts.seconds) * 1000 + ts.nanos / 1e6 : NaN;
      this.options.onEvent({ topic: envelope.topic, namespace: envelope.namespace, containerId, publishedAtMs, receivedAtMs: Date.now() });
    });
    const ended = (why: string): void => {
      if (this.call !== call) return;
      this.call = undefined;
      if (this.closed) return;
      this.current = { live: false, why: `containerd's event stream ended (${why}); subscribing again` };
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.subscribe();
      }, RESUBSCRIBE_MS);
    };
    call.on('error', (error: grpc.ServiceError) => {
      if (error.code === grpc.status.UNIMPLEMENTED && this.call === call) {
        // Not containerd (CRI-O serves the CRI alone): there is nothing to subscribe to, now or later.
        this.call = undefined;
        this.current = { live: false, why: `the runtime on ${this.options.socket} has no containerd event service (UNIMPLEMENTED)` };
        return;
      }
      ended(`${grpc.status[error.code] ?? error.code}: ${error.details}`);
    });
    call.on('end', () => ended('closed by containerd'));
  }

  close(): void {
    this.closed = true;
    this.current = { live: false, why: 'closed' };
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.client?.close();
    this.client = undefined;
  }
}
