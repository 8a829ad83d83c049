/**
 * stopContainerChecked (lib/cri/stop-container.ts) on answers the test gives: a stop the runtime
 * failed is made once more, as kubelet's next sync makes it, and only a second failure fails. The
 * error is the one containerd 1.6.20 really answered (fixtures/recorded/containerd-1.6.20-log-stop-kill-race.txt).
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { CriError } from '../../lib/cri/client.ts';
import { stopContainerChecked, stopContainersChecked, type StopContainerClient } from '../../lib/cri/stop-container.ts';

const LOG = readFileSync(new URL('../../fixtures/recorded/containerd-1.6.20-log-stop-kill-race.txt', import.meta.url), 'utf8');

/** The error containerd logged for the failed StopContainer, as its gRPC details (the log escapes the quotes). */
function recordedStopError(): string {
  const line = LOG.split('\n').find((l) => l.includes('level=error') && l.includes('StopContainer'));
  const match = line?.match(/error="((?:[^"\\]|\\.)*)"/);
  if (!match) throw new Error('no StopContainer error in the recorded log');
  return match[1]!.replace(/\\"/g, '"');
}

const ID = '0f1c14547e232cd8b602c3f508c0a8fbc9c551c29e71c69624ad093c54a9259a';

/** A client whose StopContainer answers in turn: undefined succeeds, an error fails. */
function client(answers: Array<Error | undefined>): StopContainerClient & { calls: Array<[string, number]> } {
  const calls: Array<[string, number]> = [];
  return {
    calls,
    stopContainer: async (containerId: string, timeout: number): Promise<void> => {
      calls.push([containerId, timeout]);
      const answer = answers[calls.length - 1];
      if (answer) throw answer;
    },
  };
}

/** What the promise rejected with (undefined when it resolved). */
const rejection = (promise: Promise<unknown>): Promise<unknown> => promise.then(
  () => undefined,
  (error: unknown) => error,
);

const raceError = (): CriError => new CriError('StopContainer', grpc.status.UNKNOWN, recordedStopError());

describe('stopContainerChecked', () => {
  it('the recorded error is the kill meeting a closed shim connection', () => {
    expect(recordedStopError()).to.equal(`failed to kill container "${ID}": ttrpc: closed: unknown`);
  });

  it('a stop that succeeds says nothing and is made once', async () => {
    const c = client([undefined]);
    expect(await stopContainerChecked(c, ID, 2)).to.equal(undefined);
    expect(c.calls).to.deep.equal([[ID, 2]]);
  });

  it('a failed stop is made once more with the same grace, and the first error is kept', async () => {
    const c = client([raceError(), undefined]);
    const said = await stopContainerChecked(c, ID, 2);
    expect(said).to.include('ttrpc: closed').and.include('a second StopContainer');
    expect(c.calls).to.deep.equal([[ID, 2], [ID, 2]]);
  });

  it('a stop that fails twice fails with the second error', async () => {
    const second = new CriError('StopContainer', grpc.status.DEADLINE_EXCEEDED, 'an error occurs during waiting for container to be killed');
    const c = client([raceError(), second]);
    expect(await rejection(stopContainerChecked(c, ID, 2))).to.equal(second);
    expect(c.calls).to.have.length(2);
  });

  it('an error that is not the runtime\'s answer is thrown at once', async () => {
    const error = new TypeError('bad request');
    const c = client([error, undefined]);
    expect(await rejection(stopContainerChecked(c, ID, 2))).to.equal(error);
    expect(c.calls).to.have.length(1);
  });

  it('stopping a pod\'s containers says the errors of the stops that were made twice, and only those', async () => {
    const answers = new Map<string, Array<Error | undefined>>([['a', [undefined]], ['b', [raceError(), undefined]], ['c', [undefined]]]);
    const calls: string[] = [];
    const pod: StopContainerClient = {
      stopContainer: async (containerId: string): Promise<void> => {
        calls.push(containerId);
        const answer = answers.get(containerId)!.shift();
        if (answer) throw answer;
      },
    };
    const errors = await stopContainersChecked(pod, ['a', 'b', 'c'], 2);
    expect(errors).to.have.length(1);
    expect(errors[0]).to.include('ttrpc: closed');
    expect(calls.sort()).to.deep.equal(['a', 'b', 'b', 'c']);
  });
});
