/**
 * A stray `.only` in a suite must not shrink a run to one check that then reports "all passed":
 * the runner's Mocha sets forbidOnly (lib/cli/suite-runner.ts), so loading such a file fails.
 * Loaded in a fresh Node: loading suites sets Mocha's globals (describe, it) of that process.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function loadOne(spec: string): Promise<{ exitCode: number; output: string }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'pc-only-'));
  try {
    const file = path.join(dir, '010-stray.spec.ts');
    await writeFile(file, spec);
    const probe = `
      const { loadSuites } = await import('./lib/cli/suite-runner.ts');
      try { await loadSuites(undefined, 0, [${JSON.stringify(file)}]); console.log('loaded'); }
      catch (error) { console.log('refused: ' + error.message); }`;
    const result = await execa(process.execPath, ['--input-type=module', '-e', probe], { cwd: REPO, reject: false });
    return { exitCode: result.exitCode ?? 1, output: `${result.stdout}${result.stderr}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('the runner forbids .only', function () {
  it('refuses to load a suite with it.only', async function () {
    const { output } = await loadOne(`describe('a', function () { it.only('one', function () {}); it('two', function () {}); });\n`);
    expect(output).to.match(/^refused: .*`\.only` forbidden/m);
  });

  it('refuses describe.only too, and loads the same file without it', async function () {
    expect((await loadOne(`describe.only('a', function () { it('one', function () {}); });\n`)).output).to.match(/^refused: .*`\.only` forbidden/m);
    expect((await loadOne(`describe('a', function () { it('one', function () {}); });\n`)).output).to.match(/^loaded$/m);
  });
});
