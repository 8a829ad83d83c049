/**
 * stopContainerChecked (lib/cri/stop-container.ts) on answers the test gives: the runtime's error
 * of a stop goes on only when the runtime then says the container stopped. The error is the one
 * containerd 1.6.20 really answered (fixtures/recorded/containerd-1.6.20-log-stop-kill-race.txt).
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { CriError } from '../../lib/cri/client.ts';
import type { ContainerStatusResponse } from '../../lib/cri/types.ts';
import { stopContainerChecked, type StopContainerClient } from '../../lib/cri/stop-container.ts';

const LOG = readFileSync(new URL('../../fixtures/recorded/containerd-1.6.20-log-stop-kill-race.txt', import.meta.url), 'utf8');

/** The error containerd logged for the failed StopContainer, as its gRPC details (the log escapes the quotes). */
function recordedStopError(): string {
  const line = LOG.split('\n').find((l) => l.includes('level=error') && l.includes('StopContainer'));
  const match = line?.match(/error="((?:[^"\\]|\\.)*)"/);
  if (!match) throw new Error('no StopContainer error in the recorded log');
  return match[1]!.replace(/\\"/g, '"');
}

const ID = '0f1c14547e232cd8b602c3f508c0a8fbc9c551c29e71c69624ad093c54a9259a';

function client(stop: () => Promise<void>, status: () => Promise<string>): StopContainerClient & { statusAsked: number } {
  const fake = {
    statusAsked: 0,
    stopContainer: stop,
    containerStatus: async (): Promise<ContainerStatusResponse> => {
      fake.statusAsked++;
      return { status: { state: await status() } } as ContainerStatusResponse;
    },
  };
  return fake;
}

/** What the promise rejected with (undefined when it resolved). */
const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(
  () => undefined,
  (error: unknown) => error,
);

const raceError = (): CriError => new CriError('StopContainer', grpc.status.UNKNOWN, recordedStopError());
const failWith = (error: Error) => async (): Promise<never> => {
  throw error;
};

describe('stopContainerChecked', () => {
  it('the recorded error is the kill meeting a closed shim connection', () => {
    expect(recordedStopError()).to.equal(`failed to kill container "${ID}": ttrpc: closed: unknown`);
  });

  it('a stop that succeeds says nothing and asks nothing more', async () => {
    const c = client(async () => undefined, async () => 'CONTAINER_RUNNING');
    expect(await stopContainerChecked(c, ID, 2)).to.equal(undefined);
    expect(c.statusAsked).to.equal(0);
  });

  it('a failed stop whose container is exited goes on, with the runtime\'s error kept', async () => {
    const said = await stopContainerChecked(client(failWith(raceError()), async () => 'CONTAINER_EXITED'), ID, 2);
    expect(said).to.include('ttrpc: closed').and.include('exited when asked right after');
  });

  it('a failed stop whose container the runtime no longer knows goes on', async () => {
    const notFound = new CriError('ContainerStatus', grpc.status.NOT_FOUND, 'an error occurred when try to find container');
    const said = await stopContainerChecked(client(failWith(raceError()), failWith(notFound)), ID, 2);
    expect(said).to.include('was gone');
  });

  it('a failed stop whose container still runs fails with the stop\'s error', async () => {
    const error = raceError();
    expect(await rejection(stopContainerChecked(client(failWith(error), async () => 'CONTAINER_RUNNING'), ID, 2))).to.equal(error);
  });

  it('a failed stop the runtime cannot then answer about fails with the stop\'s error', async () => {
    const error = raceError();
    const down = new CriError('ContainerStatus', grpc.status.UNAVAILABLE, 'connection refused');
    expect(await rejection(stopContainerChecked(client(failWith(error), failWith(down)), ID, 2))).to.equal(error);
  });

  it('an error that is not the runtime\'s answer is not looked into', async () => {
    const error = new TypeError('bad request');
    const c = client(failWith(error), async () => 'CONTAINER_EXITED');
    expect(await rejection(stopContainerChecked(c, ID, 2))).to.equal(error);
    expect(c.statusAsked).to.equal(0);
  });
});
