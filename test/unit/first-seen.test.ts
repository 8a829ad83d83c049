/**
 * watchFirstSeen times teardown: a slow probe must not make a fast one late, and a condition
 * that never turns true must fail the watch with its name. Conditions here are real: a file that
 * appears, and a probe that runs a real `sleep`.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { watchFirstSeen } from '../../lib/report/first-seen.ts';
import { WaitTimeoutError } from '../../lib/wait.ts';

const exists = (file: string) => (): Promise<boolean> => access(file).then(() => true, () => false);

describe('watchFirstSeen', function () {
  let dir: string;
  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pc-first-seen-'));
  });
  afterEach(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('sees a fast condition on its own loop, not after the slowest probe', async function () {
    const file = path.join(dir, 'appears');
    const startMs = Date.now();
    // The event being watched for: a file made 100 ms from now.
    const making = new Promise<void>((resolve, reject) => setTimeout(() => writeFile(file, '').then(resolve, reject), 100));
    const seen = await watchFirstSeen(
      {
        fileAppeared: exists(file),
        // A probe that takes 1.5 s per call and is true from its second call on.
        slowProbe: (() => {
          let calls = 0;
          return async () => {
            await execa('sleep', ['1.5']);
            return ++calls >= 2;
          };
        })(),
      },
      startMs,
      { timeoutMs: 20_000 },
    );
    await making;
    expect(seen['slowProbe']).to.be.at.least(3000);
    // In lock-step rounds it would have been seen after the first slow probe (>= 1500 ms).
    expect(seen['fileAppeared']).to.be.within(100, 1000);
  });

  it('fails with the names still pending at the deadline and what was seen', async function () {
    const seenFile = path.join(dir, 'there');
    await writeFile(seenFile, '');
    const watch = watchFirstSeen({ there: exists(seenFile), never: exists(path.join(dir, 'never')) }, Date.now(), { timeoutMs: 200 });
    const error = await watch.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(WaitTimeoutError);
    expect((error as WaitTimeoutError).awaited).to.equal('never');
    expect((error as WaitTimeoutError).lastSeen).to.match(/"there":\d+/);
  });
});
