/**
 * A session transport (exec-session.ts) over a container engine's exec API, as testcontainers
 * reaches it (its dockerode): one exec created with stdin attached and no TTY, started hijacked,
 * so the HTTP connection becomes a raw duplex stream. What we write is the command's stdin; what
 * comes back is its stdout and stderr multiplexed in the engine's stream format (8-byte headers:
 * stream 1 or 2, then the length), split by the engine client's own demultiplexer. Ending our
 * side (a half-close) is the command's end of input, as `docker exec -i` does it; once the engine
 * closes its side, the exec's inspect tells its exit code.
 *
 * The engine types are written out structurally (what dockerode's Container and modem offer), so
 * nothing here loads testcontainers: it stays an optional peer dependency.
 */
import { PassThrough, type Duplex } from 'node:stream';
import type { SessionTransport, TransportEnd } from './exec-session.ts';

/** What the transport needs of an engine's container (dockerode's Container has it). */
export interface EngineContainer {
  exec(options: { Cmd: string[]; Env?: string[]; AttachStdin: boolean; AttachStdout: boolean; AttachStderr: boolean; Tty: boolean }): Promise<EngineExec>;
}

export interface EngineExec {
  start(options: { hijack: boolean; stdin: boolean }): Promise<Duplex>;
  inspect(): Promise<{ ExitCode: number | null; Running?: boolean }>;
}

/** Splits the engine's multiplexed stream into stdout and stderr (dockerode's modem.demuxStream). */
export type Demultiplexer = (stream: Duplex, stdout: PassThrough, stderr: PassThrough) => void;

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Starts `argv` in the container with stdin attached; `env` (VARIABLE=value) goes into its environment. */
export async function engineExecTransport(container: EngineContainer, demux: Demultiplexer, argv: string[], env: string[] = []): Promise<SessionTransport> {
  const exec = await container.exec({ Cmd: argv, Env: env, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
  const socket = await exec.start({ hijack: true, stdin: true });
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  demux(socket, stdout, stderr);
  const ended = new Promise<TransportEnd>((resolve) => {
    let failure: string | undefined;
    socket.on('error', (error: Error) => (failure ??= `the engine's exec stream failed: ${error.message}`));
    socket.once('close', () => {
      stdout.end();
      stderr.end();
      if (failure !== undefined) {
        resolve({ failure });
        return;
      }
      exec.inspect().then(
        (inspected) => resolve(inspected.ExitCode === null ? { failure: `the engine's exec stream closed while the exec ${inspected.Running ? 'still runs' : 'has no exit code'}` } : { exitCode: inspected.ExitCode }),
        (error: unknown) => resolve({ failure: `the engine's exec stream closed and its exec cannot be inspected: ${messageOf(error)}` }),
      );
    });
  });
  return {
    // The hijacked connection itself: end() half-closes it, which the engine passes on as end of input.
    stdin: socket,
    stdout,
    stderr,
    ended,
    abort: () => socket.destroy(),
  };
}
