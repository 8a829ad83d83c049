/** `pause-conformance run --help` through the real CLI: exit 0, each provider followed by the options it takes. */
import { expect } from 'chai';
import { runCli } from './helpers/cli.ts';

describe('pause-conformance run --help (CLI)', function () {
  it('lists each provider with its own options under it, and exits 0', async function () {
    const result = await runCli(['run', '--help']);
    expect(result.exitCode).to.equal(0);
    expect(result.stderr).to.equal('');
    const providers = result.stdout.split(/^Providers.*$/m)[1]?.split(/^Examples:$/m)[0] ?? '';
    expect(providers).to.match(/^ {2}local +embedded node.*\n {4}--subnet CIDR +.*\n {4}--sandbox-image-tar FILE +/m);
    expect(providers).to.match(/^ {2}kind +a kind cluster.*\n( {4}--.*\n)*? {4}--keep +keep the cluster/m);
    expect(providers).to.match(/^ {2}kubeconfig +an existing cluster.*\n( {4}--.*\n)*? {4}--allow-privileged-probe +/m);
  });
});
