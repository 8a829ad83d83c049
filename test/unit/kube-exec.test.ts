/**
 * Exit codes from the V1Status the API server sends at the end of an exec stream. The documents
 * are the ones the kubelet writes (pkg/kubelet/cri/streaming/remotecommand: Success, or Failure
 * with reason NonZeroExitCode and an ExitCode cause) as client-go's errorDecoderV4 reads them;
 * no exec stream was recorded, so these are written out from those sources.
 */
import { expect } from 'chai';
import { exitCodeFromStatus, KubeExecError } from '../../lib/kube/exec.ts';

describe('kube exec exit status (V1Status)', function () {
  it('Success is exit 0', function () {
    expect(exitCodeFromStatus({ metadata: {}, status: 'Success' }, 'exec')).to.equal(0);
  });

  it('NonZeroExitCode carries the code in the ExitCode cause', function () {
    const status = {
      metadata: {},
      status: 'Failure',
      message: 'command terminated with non-zero exit code: error executing command [sh -c exit 3], exit code 3',
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: '3' }] },
    };
    expect(exitCodeFromStatus(status, 'exec')).to.equal(3);
    expect(exitCodeFromStatus({ ...status, details: { causes: [{ reason: 'ExitCode', message: '137' }] } }, 'exec')).to.equal(137);
  });

  it('any other Failure is an error, not an exit code', function () {
    const notFound = { metadata: {}, status: 'Failure', message: 'Internal error occurred: error executing command in container: failed to exec in container: ... exec: "nope": executable file not found in $PATH: unknown', reason: 'InternalError', code: 500 };
    expect(() => exitCodeFromStatus(notFound, 'exec "nope" in ns/pod container c')).to.throw(KubeExecError, /^exec "nope" in ns\/pod container c failed: InternalError: Internal error occurred/);
    expect(() => exitCodeFromStatus({ status: 'Failure', reason: 'NonZeroExitCode', details: { causes: [] } }, 'exec')).to.throw(KubeExecError, /without an ExitCode cause/);
  });
});
