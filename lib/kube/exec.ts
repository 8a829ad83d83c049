/**
 * Runs a command in a pod's container through the API server (client-node Exec, the WebSocket
 * subprotocols kubectl uses), collects stdout and stderr, and reads the exit code from the
 * V1Status the server sends on the error channel: Success -> 0; Failure with reason
 * NonZeroExitCode -> the ExitCode cause (as client-go's remotecommand errorDecoderV4 reads it).
 * Any other Failure (no such container, executable not found...) is an error, as it is for CRI
 * ExecSync.
 *
 * openKubeExec keeps stdin open instead (a long-lived `sh -s` in a probe pod: exec-session.ts):
 * what is written to its stdin goes to the command as channel 0 frames; ending it is, on
 * v5.channel.k8s.io, a CLOSE frame for channel 0 (the command reads end of input, its status
 * follows), and on the older subprotocols, which have no half-close, the close of the connection
 * (the server then closes the command's stdin; its status cannot reach us).
 */
import { PassThrough, Writable, Readable } from 'node:stream';
import { Exec, type KubeConfig, type V1Status } from '@kubernetes/client-node';
import type { CommandResult } from '../command-result.ts';
import { execStreamHandler } from './exec-stream-handler.ts';

export class KubeExecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeExecError';
  }
}

/** The exit code a V1Status stands for; throws KubeExecError when it is not an exit at all. */
export function exitCodeFromStatus(status: V1Status, what: string): number {
  if (status.status === 'Success') return 0;
  if (status.reason === 'NonZeroExitCode') {
    const cause = (status.details?.causes ?? []).find((entry) => entry.reason === 'ExitCode');
    const code = cause?.message !== undefined && /^\d+$/.test(cause.message) ? Number(cause.message) : undefined;
    if (code !== undefined) return code;
    throw new KubeExecError(`${what}: NonZeroExitCode without an ExitCode cause: ${status.message ?? ''}`);
  }
  throw new KubeExecError(`${what} failed: ${[status.reason, status.message].filter(Boolean).join(': ') || JSON.stringify(status)}`);
}

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    callback();
  }
  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

export interface KubeExecTarget {
  namespace: string;
  pod: string;
  container: string;
}

export async function kubeExec(kubeConfig: KubeConfig, target: KubeExecTarget, command: string[], timeoutMs: number): Promise<CommandResult> {
  const what = `exec ${JSON.stringify(command.join(' '))} in ${target.namespace}/${target.pod} container ${target.container}`;
  const stdout = new Collector();
  const stderr = new Collector();
  // Our own streams for the handler too: by default it would end process.stdout when the server
  // sends a v5 close-stream frame.
  const handler = execStreamHandler(kubeConfig, { stdin: Readable.from([]), stdout, stderr });
  let settle: ((value: CommandResult | Error) => void) | undefined;
  const outcome = new Promise<CommandResult | Error>((resolve) => (settle = resolve));
  let socket: Awaited<ReturnType<Exec['exec']>>;
  try {
    socket = await new Exec(kubeConfig, handler).exec(target.namespace, target.pod, target.container, command, stdout, stderr, null, false, (status: V1Status) => {
      try {
        settle?.({ stdout: stdout.text(), stderr: stderr.text(), exitCode: exitCodeFromStatus(status, what) });
      } catch (error) {
        settle?.(error as Error);
      }
    });
  } catch (error) {
    const message = (error as { message?: string } | null)?.message ?? String(error);
    throw new KubeExecError(`${what} could not start: ${message.split('\n')[0]}`);
  }
  socket.on('close', () => settle?.(new KubeExecError(`${what}: the connection closed without an exit status (stderr: ${stderr.text().trim().slice(-200) || 'empty'})`)));
  socket.on('error', (error: Error) => settle?.(new KubeExecError(`${what}: ${error.message}`)));
  // A deadline for the command (not a sleep): closes the stream and fails the call.
  const timer = setTimeout(() => settle?.(new KubeExecError(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  const result = await outcome;
  clearTimeout(timer);
  settle = undefined;
  if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) socket.close();
  if (result instanceof Error) throw result;
  return result;
}

/** How a stream exec ended: the command's exit, or why there is none. */
export interface KubeExecEnd {
  exitCode?: number;
  failure?: string;
}

/** A command in a pod's container with stdin kept open, its output as streams. */
export interface KubeExecStream {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** Settles, never rejects: the command's exit code from its status, or why there was none. */
  readonly ended: Promise<KubeExecEnd>;
  /** Cuts the connection at once (the command may go on in the container). */
  abort(): void;
  /** The channel subprotocol the server chose (v5.channel.k8s.io: stdin can be closed on its own). */
  readonly protocol: string;
}

/** Starts `command` with stdin attached; rejects with KubeExecError when the server refuses the exec or cannot be reached. */
export async function openKubeExec(kubeConfig: KubeConfig, target: KubeExecTarget, command: string[]): Promise<KubeExecStream> {
  const what = `exec ${JSON.stringify(command.join(' '))} with stdin in ${target.namespace}/${target.pod} container ${target.container}`;
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const handler = execStreamHandler(kubeConfig, { stdin, stdout, stderr });
  let settle: ((end: KubeExecEnd) => void) | undefined;
  const ended = new Promise<KubeExecEnd>((resolve) => {
    settle = (end) => {
      settle = undefined;
      resolve(end);
    };
  });
  let socket: Awaited<ReturnType<Exec['exec']>>;
  try {
    socket = await new Exec(kubeConfig, handler).exec(target.namespace, target.pod, target.container, command, stdout, stderr, stdin, false, (status: V1Status) => {
      try {
        settle?.({ exitCode: exitCodeFromStatus(status, what) });
      } catch (error) {
        settle?.({ failure: (error as Error).message });
      }
    });
  } catch (error) {
    const message = (error as { message?: string } | null)?.message ?? String(error);
    throw new KubeExecError(`${what} could not start: ${message.split('\n')[0]}`);
  }
  const protocol = socket.protocol;
  let stdinEnded = false;
  stdin.once('end', () => (stdinEnded = true));
  socket.on('error', (error: Error) => settle?.({ failure: `${what}: ${error.message}` }));
  socket.on('close', () => {
    // (The status frame ended them already, where one came.)
    if (!stdout.writableEnded) stdout.end();
    if (!stderr.writableEnded) stderr.end();
    // Without v5's half-close, our end of stdin closed the connection: no status can come, and none is missing.
    if (stdinEnded && protocol !== 'v5.channel.k8s.io') settle?.({});
    else settle?.({ failure: `${what}: the connection closed without an exit status` });
  });
  return { stdin, stdout, stderr, ended, protocol, abort: () => socket.terminate() };
}
