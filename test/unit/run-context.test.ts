/**
 * The run a check belongs to travels with the check (AsyncLocalStorage): two runs under way at
 * once (--parallel) each see their own target and read fixtures from their own --fixtures dir.
 */
import { expect } from 'chai';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { pathToFileURL } from 'node:url';
import { DEFAULT_FIXTURES_DIR } from '../../lib/pods/fixtures.ts';
import { fixture, runSuitesOn, target } from '../../lib/run-context.ts';
import type { Target } from '../../lib/target.ts';

/** Only the name matters here: a check reads it back to tell which run it is in. */
function namedTarget(nodeName: string): Target {
  return { info: { nodeName } } as unknown as Target;
}

describe('run context', function () {
  let dir: string;

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pc-run-context-'));
    await cp(DEFAULT_FIXTURES_DIR, dir, { recursive: true });
    const trio = await readFile(path.join(dir, 'trio.yaml'), 'utf8');
    await writeFile(path.join(dir, 'trio.yaml'), trio.replace('hostname: trio-host', 'hostname: trio-elsewhere'));
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives each of two overlapping runs its own target and fixtures', async function () {
    const check = async (): Promise<string> => {
      await delay(5);
      const trio = await fixture('trio');
      return `${target().info.nodeName}: ${trio.spec.hostname}`;
    };
    const seen = await Promise.all([
      runSuitesOn({ target: namedTarget('node-a'), fixturesDir: DEFAULT_FIXTURES_DIR }, check),
      runSuitesOn({ target: namedTarget('node-b'), fixturesDir: dir }, check),
    ]);
    expect(seen).to.deep.equal(['node-a: trio-host', 'node-b: trio-elsewhere']);
  });

  it("reads a team's own fixture file, by URL or path, beside the run's fixtures by name", async function () {
    const teamFile = path.join(dir, 'trio.yaml');
    const seen = await runSuitesOn({ target: namedTarget('node-a'), fixturesDir: DEFAULT_FIXTURES_DIR }, async () => [
      (await fixture('trio')).spec.hostname,
      (await fixture(pathToFileURL(teamFile))).spec.hostname,
      (await fixture(teamFile)).spec.hostname,
    ]);
    expect(seen).to.deep.equal(['trio-host', 'trio-elsewhere', 'trio-elsewhere']);
  });

  it('outside a run, says the suites run through pause-conformance run', function () {
    expect(() => target()).to.throw(/no target: suites run through `pause-conformance run`/);
  });
});
