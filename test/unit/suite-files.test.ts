/** The suites run in the order their file names declare (suites/NNN-<name>.spec.ts). */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { suiteFiles } from '../../lib/cli/suite-files.ts';

describe('suite order', function () {
  it('is the order of the numbers in the suite file names', function () {
    expect(suiteFiles().map((file) => path.basename(file).replace(/^\d{3}-|\.spec\.ts$/g, ''))).to.deep.equal([
      'network-namespace',
      'ipc-uts',
      'container-exits',
      'teardown',
      'shared-pid',
      'host-namespaces',
      'sandbox-image',
      'pause-dies',
      'runtime-restart',
      'kubelet-restarts',
      'churn',
      'cri-idempotence',
    ]);
  });

  it('takes the built suites of an install (.spec.js) and leaves their declarations (.spec.d.ts) out', async function () {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pc-suites-'));
    try {
      for (const name of ['020-second.spec.js', '010-first.spec.js', '010-first.spec.d.ts', 'context.js']) await writeFile(path.join(dir, name), '');
      expect(suiteFiles(dir).map((file) => path.basename(file))).to.deep.equal(['010-first.spec.js', '020-second.spec.js']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses a suite file that declares no place', async function () {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pc-suites-'));
    try {
      await writeFile(path.join(dir, '010-first.spec.ts'), '');
      await writeFile(path.join(dir, 'stray.spec.ts'), '');
      expect(() => suiteFiles(dir)).to.throw(/suite file\(s\) stray\.spec\.ts .* have no place in the run order: name them NNN-<name>\.spec\.ts/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
