/**
 * The missing-binaries refusal: one line naming the package and the exact command to run. The
 * requirement points at a file that does not exist and apt-get at nothing, so the test changes
 * nothing on the machine (with a real apt-get, root would install).
 */
import { expect } from 'chai';
import { EnvironmentError } from '../../lib/errors.ts';
import { ensurePackages, missingPackages } from '../../lib/runtime/system-deps.ts';

const MISSING = [
  { file: '/nonexistent/pause-conformance/bin/containerd', debianPackage: 'containerd' },
  { file: '/nonexistent/pause-conformance/bin/ctr', debianPackage: 'containerd' },
  { file: '/nonexistent/pause-conformance/lib/cni/bridge', debianPackage: 'containernetworking-plugins' },
];

describe('system packages', function () {
  it('names each missing package once', async function () {
    expect(await missingPackages([...MISSING, { file: '/bin/sh', debianPackage: 'dash' }])).to.deep.equal(['containerd', 'containernetworking-plugins']);
  });

  it('refuses in one line with the command to run when it cannot install', async function () {
    const said: string[] = [];
    const error = await ensurePackages(MISSING, (line) => said.push(line), '/nonexistent/apt-get').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(EnvironmentError);
    const message = (error as Error).message;
    const todo = process.getuid?.() === 0 ? 'Install them (there is no /nonexistent/apt-get to do it)' : 'Run as root';
    expect(message).to.equal(
      `missing system packages (containerd, containernetworking-plugins): the embedded node is made of them. ${todo}: apt-get update && apt-get install -y containerd containernetworking-plugins`,
    );
    expect(message).to.not.include('\n');
    expect(said, 'nothing was installed or announced').to.deep.equal([]);
  });

  it('says nothing and does nothing when every file is there', async function () {
    const said: string[] = [];
    await ensurePackages([{ file: '/bin/sh', debianPackage: 'dash' }], (line) => said.push(line), '/nonexistent/apt-get');
    expect(said).to.deep.equal([]);
  });
});
