/**
 * What one CRI call answered, as evidence: the gRPC status name (OK, NOT_FOUND, ...), its message
 * and how long the call took. For checks whose subject is the answer itself (idempotence: the
 * CRI says StopPodSandbox and RemovePodSandbox succeed on a sandbox already gone), where a
 * thrown CriError would lose which call answered what.
 */
import * as grpc from '@grpc/grpc-js';
import { CriError } from './client.ts';

export interface CriAnswer {
  /** The CRI method: StopPodSandbox, RemovePodSandbox, PodSandboxStatus. */
  call: string;
  /** The gRPC status code's name: OK, NOT_FOUND, UNKNOWN, DEADLINE_EXCEEDED ... */
  code: string;
  /** The runtime's message ('' for OK). */
  message: string;
  ms: number;
}

/** The name of a gRPC status code: 5 -> NOT_FOUND. */
export function grpcCodeName(code: number): string {
  return grpc.status[code] ?? `code ${code}`;
}

/**
 * Runs one CRI call and returns its answer. Only a gRPC status is an answer: anything else (a
 * method missing from the proto, a bug of ours) is thrown as it is.
 */
export async function answerOf<T>(call: string, run: () => Promise<T>): Promise<CriAnswer & { response?: T }> {
  const t0 = performance.now();
  try {
    const response = await run();
    return { call, code: 'OK', message: '', ms: Math.round(performance.now() - t0), response };
  } catch (error) {
    if (!(error instanceof CriError)) throw error;
    return { call, code: grpcCodeName(error.code), message: error.details, ms: Math.round(performance.now() - t0) };
  }
}
