/** errnoCode on errors real system calls throw, and on thrown values that are not system errors. */
import { expect } from 'chai';
import { mkdir, readFile, rmdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { errnoCode } from '../../lib/linux/errno.ts';

async function thrown(work: () => Promise<unknown>): Promise<unknown> {
  return work().then(
    () => expect.fail('the call should have failed'),
    (error: unknown) => error,
  );
}

describe('errnoCode', function () {
  it('reads the errno name of failed file system calls', async function () {
    expect(errnoCode(await thrown(() => readFile('/nonexistent/pause-conformance')))).to.equal('ENOENT');
    expect(errnoCode(await thrown(() => readFile('/')))).to.equal('EISDIR');
    const dir = path.join(os.tmpdir(), `pc-errno-${process.pid}`);
    await mkdir(dir);
    try {
      expect(errnoCode(await thrown(() => mkdir(dir)))).to.equal('EEXIST');
    } finally {
      await rmdir(dir);
    }
  });

  it('is undefined for what is not a system error', function () {
    expect(errnoCode(new Error('plain'))).to.equal(undefined);
    expect(errnoCode('ENOENT')).to.equal(undefined);
    expect(errnoCode(null)).to.equal(undefined);
    expect(errnoCode(undefined)).to.equal(undefined);
    expect(errnoCode({ code: 404 })).to.equal(undefined);
  });
});
