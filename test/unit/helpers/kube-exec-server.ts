/**
 * A local stand-in for the API server's pod exec endpoint, for tests: an HTTP server on loopback
 * that upgrades GET /api/v1/namespaces/NS/pods/POD/exec to a WebSocket (RFC 6455, written out here:
 * handshake, masked client frames, fragments, ping, close) speaking Kubernetes' channel protocol as
 * wsstream/conn.go and the kubelet's remotecommand do: each binary message starts with its channel
 * byte (0 stdin, 1 stdout, 2 stderr, 3 the V1Status at the end, 4 resize), the subprotocol is the
 * first of the client's offers that the server supports, and on v5.channel.k8s.io a client message
 * [255, 0] closes stdin alone. Behind it runs the real command of the query (`command=` repeated)
 * on this machine, so a session's `sh -s` is a real shell; when it exits, the server sends its
 * status (Success, or Failure/NonZeroExitCode with an ExitCode cause) and closes. A connection that
 * closes first closes the command's stdin, as wsstream does by closing every channel.
 * Every message each way is recorded, to assert the protocol as well as the result.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export const V5 = 'v5.channel.k8s.io';
export const V4 = 'v4.channel.k8s.io';

export interface RecordedExec {
  query: Record<string, string | string[]>;
  protocol: string;
  /** Messages from the client: channel and payload. */
  received: { channel: number; data: Buffer }[];
  /** Messages to the client: channel and payload. */
  sent: { channel: number; data: Buffer }[];
  /** How the command's stdin was closed: by a v5 CLOSE message, or by the connection closing. */
  stdinClosedBy?: 'close message' | 'connection closed';
  exitCode?: number | null;
  pid?: number;
}

export interface KubeExecServerOptions {
  /** Subprotocols the server speaks (default v5 and v4). */
  protocols?: string[];
  /** Answers an exec request with this HTTP status instead of upgrading it (an admission policy's 403). */
  refuse?: (query: URLSearchParams) => number | undefined;
}

export class KubeExecServer {
  readonly execs: RecordedExec[] = [];
  private readonly server: Server;
  private readonly options: KubeExecServerOptions;
  private readonly sockets = new Set<Socket>();
  private readonly children = new Set<ChildProcess>();

  private constructor(options: KubeExecServerOptions) {
    this.options = options;
    this.server = createServer((_request, response) => {
      response.writeHead(404).end();
    });
    this.server.on('upgrade', (request: IncomingMessage, socket: Socket) => this.upgrade(request, socket));
  }

  static async start(options: KubeExecServerOptions = {}): Promise<KubeExecServer> {
    const server = new KubeExecServer(options);
    await new Promise<void>((resolve) => server.server.listen(0, '127.0.0.1', resolve));
    return server;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A kubeconfig whose cluster is this server: plain http (client-node then speaks ws://), which client-node allows only with skipTLSVerify. */
  kubeConfig(): KubeConfig {
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromOptions({ clusters: [{ name: 'local', server: this.url, skipTLSVerify: true }], users: [{ name: 'u', token: 'test' }], contexts: [{ name: 'local', cluster: 'local', user: 'u' }], currentContext: 'local' });
    return kubeConfig;
  }

  /** Commands still running behind the server. */
  get running(): number {
    return [...this.children].filter((child) => child.exitCode === null && child.signalCode === null).length;
  }

  async stop(): Promise<void> {
    for (const child of this.children) child.kill('SIGKILL');
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private upgrade(request: IncomingMessage, socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    const url = new URL(request.url ?? '/', this.url);
    if (!/^\/api\/v1\/namespaces\/[^/]+\/pods\/[^/]+\/exec$/.test(url.pathname)) {
      socket.end('HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const refused = this.options.refuse?.(url.searchParams);
    if (refused) {
      const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'exec with stdin is refused by policy', reason: 'Forbidden', code: refused });
      socket.end(`HTTP/1.1 ${refused} Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
      return;
    }
    const offered = String(request.headers['sec-websocket-protocol'] ?? '').split(',').map((word) => word.trim()).filter(Boolean);
    const protocol = offered.find((word) => (this.options.protocols ?? [V5, V4]).includes(word));
    if (!protocol) {
      socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    const accept = createHash('sha1').update(`${String(request.headers['sec-websocket-key'])}${WEBSOCKET_GUID}`).digest('base64');
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`);
    const query: Record<string, string | string[]> = {};
    for (const key of new Set(url.searchParams.keys())) {
      const values = url.searchParams.getAll(key);
      query[key] = key === 'command' ? values : values[0]!;
    }
    const record: RecordedExec = { query, protocol, received: [], sent: [] };
    this.execs.push(record);
    this.run(record, socket, url.searchParams.getAll('command'), url.searchParams.get('stdin') === 'true');
  }

  private run(record: RecordedExec, socket: Socket, command: string[], withStdin: boolean): void {
    let statusSent = false;
    const sendStatus = (status: object): void => {
      if (statusSent) return;
      statusSent = true;
      send(3, Buffer.from(JSON.stringify(status)));
      if (!socket.destroyed) socket.end(frame(0x8, Buffer.from([0x03, 0xe8])));
    };
    const send = (channel: number, data: Buffer): void => {
      record.sent.push({ channel, data });
      if (!socket.destroyed) socket.write(frame(0x2, Buffer.concat([Buffer.from([channel]), data])));
    };
    const child = spawn(command[0]!, command.slice(1), { stdio: [withStdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.children.add(child);
    record.pid = child.pid;
    const closeStdin = (by: RecordedExec['stdinClosedBy']): void => {
      if (child.stdin && !child.stdin.writableEnded) {
        record.stdinClosedBy ??= by;
        child.stdin.end();
      }
    };
    child.stdin?.on('error', () => undefined);
    child.stdout!.on('data', (chunk: Buffer) => send(1, chunk));
    child.stderr!.on('data', (chunk: Buffer) => send(2, chunk));
    child.on('error', (error) => {
      // As the kubelet answers an executable that is not there: a Failure that is not an exit.
      sendStatus({ metadata: {}, status: 'Failure', message: `Internal error occurred: error executing command in container: ${error.message}`, reason: 'InternalError', code: 500 });
    });
    child.on('close', (code) => {
      record.exitCode = code;
      const status =
        code === 0
          ? { metadata: {}, status: 'Success' }
          : { metadata: {}, status: 'Failure', message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`, reason: 'NonZeroExitCode', details: { causes: [{ reason: 'ExitCode', message: String(code ?? 137) }] } };
      sendStatus(status);
    });
    socket.on('close', () => closeStdin('connection closed'));
    socket.on('error', () => undefined);
    readMessages(socket, (opcode, payload) => {
      if (opcode === 0x8) {
        socket.end(frame(0x8, payload.subarray(0, 2)));
        return;
      }
      if (opcode === 0x9) {
        socket.write(frame(0xa, payload));
        return;
      }
      if (opcode !== 0x2 || payload.length === 0) return;
      const channel = payload[0]!;
      const data = payload.subarray(1);
      record.received.push({ channel, data });
      if (channel === 0) child.stdin?.write(data);
      else if (channel === 255 && record.protocol === V5 && data[0] === 0) closeStdin('close message');
    });
  }
}

/** One unmasked server frame, FIN set. */
function frame(opcode: number, payload: Buffer): Buffer {
  const length = payload.length;
  const header = length < 126 ? Buffer.from([0x80 | opcode, length]) : length < 65536 ? Buffer.alloc(4) : Buffer.alloc(10);
  if (length >= 126 && length < 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 126;
    header.writeUInt16BE(length, 2);
  } else if (length >= 65536) {
    header[0] = 0x80 | opcode;
    header[1] = 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  return Buffer.concat([header, payload]);
}

/** Reads the client's frames (masked, maybe fragmented) and hands each whole message on. */
function readMessages(socket: Socket, onMessage: (opcode: number, payload: Buffer) => void): void {
  let buffered = Buffer.alloc(0);
  let fragments: Buffer[] = [];
  let fragmentOpcode = 0;
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    for (;;) {
      if (buffered.length < 2) return;
      const fin = (buffered[0]! & 0x80) !== 0;
      const opcode = buffered[0]! & 0x0f;
      const masked = (buffered[1]! & 0x80) !== 0;
      let length = buffered[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffered.length < 4) return;
        length = buffered.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffered.length < 10) return;
        length = Number(buffered.readBigUInt64BE(2));
        offset = 10;
      }
      const maskAt = offset;
      if (masked) offset += 4;
      if (buffered.length < offset + length) return;
      const payload = Buffer.from(buffered.subarray(offset, offset + length));
      if (masked) for (let i = 0; i < payload.length; i++) payload[i]! ^= buffered[maskAt + (i % 4)]!;
      buffered = buffered.subarray(offset + length);
      if (opcode >= 0x8) onMessage(opcode, payload);
      else {
        if (opcode !== 0) fragmentOpcode = opcode;
        fragments.push(payload);
        if (fin) {
          onMessage(fragmentOpcode, Buffer.concat(fragments));
          fragments = [];
        }
      }
    }
  });
}
