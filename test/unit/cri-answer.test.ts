/**
 * A CRI call's answer as evidence (lib/cri/answer.ts): a gRPC status becomes its name and
 * message, as the idempotence suite records them; anything that is not a gRPC answer is thrown.
 * The message is containerd 1.6.20's real answer to StopPodSandbox of an unknown id (suite 120).
 */
import { expect } from 'chai';
import { answerOf, grpcCodeName } from '../../lib/cri/answer.ts';
import { CriError } from '../../lib/cri/client.ts';

const NOT_FOUND_1_6_20 = 'an error occurred when try to find sandbox "ef1d0ecc32f390c1a1f1bfb432148d50329687ddf5eab7c9d0dd7ea9525263ee": not found';

describe('CRI answers', function () {
  it('OK with the response', async function () {
    const answer = await answerOf('PodSandboxStatus', async () => ({ state: 'SANDBOX_NOTREADY' }));
    expect(answer).to.include({ call: 'PodSandboxStatus', code: 'OK', message: '' });
    expect(answer.response).to.deep.equal({ state: 'SANDBOX_NOTREADY' });
    expect(answer.ms).to.be.a('number').and.at.least(0);
  });

  it('a gRPC status is an answer: NOT_FOUND and the runtime\'s message', async function () {
    const answer = await answerOf('StopPodSandbox', () => Promise.reject(new CriError('StopPodSandbox', 5, NOT_FOUND_1_6_20)));
    expect(answer).to.include({ call: 'StopPodSandbox', code: 'NOT_FOUND', message: NOT_FOUND_1_6_20 });
    expect(answer).to.not.have.property('response');
  });

  it('anything else is thrown, not recorded as an answer', async function () {
    const thrown = await answerOf('StopPodSandbox', () => Promise.reject(new Error('CRI method X is not in runtime-v1.proto'))).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(thrown).to.be.instanceOf(Error).with.property('message', 'CRI method X is not in runtime-v1.proto');
  });

  it('names every code, and an unknown one by number', function () {
    expect([0, 4, 5, 14].map(grpcCodeName)).to.deep.equal(['OK', 'DEADLINE_EXCEEDED', 'NOT_FOUND', 'UNAVAILABLE']);
    expect(grpcCodeName(99)).to.equal('code 99');
  });
});
