/**
 * Providers load when a run chooses them: the command line and `run --help` read declarations
 * only, so a local run never imports the Kubernetes client; a provider whose optional peer
 * packages are not installed is one line naming what to install, before its module loads.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseRunArgs, runUsage } from '../../lib/cli/run-options.ts';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import { EnvironmentError } from '../../lib/errors.ts';
import { requireInstalled } from '../../lib/optional-packages.ts';
import { flag } from '../../lib/options.ts';
import { lazyProvider, type ProviderDeclaration, type ProviderRun } from '../../lib/providers/provider.ts';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

function counted(declaration: ProviderDeclaration<{ keep: ReturnType<typeof flag> }>): { loads: () => number; provider: ReturnType<typeof lazyProvider> } {
  let loads = 0;
  const provider = lazyProvider(declaration, async () => {
    loads += 1;
    return { start: async (context) => ({ targets: [], leaks: async () => [`keep=${String(context.options.keep)}`] }) };
  });
  return { loads: () => loads, provider };
}

describe('providers that load when chosen', function () {
  it('are parsed and listed from their declaration, and loaded only by start, with their options typed', async function () {
    const { loads, provider } = counted({ name: 'later', summary: 'loads on start (test only)', options: { keep: flag('keep it') } });
    const request = parseRunArgs(['--provider', 'later', '--keep'], [provider]);
    expect(runUsage([provider])).to.match(/^ {2}later +loads on start \(test only\)\n {4}--keep +keep it$/m);
    expect(loads()).to.equal(0);
    if (request === 'help') return expect.fail('help instead of a run');
    const run: ProviderRun = { runId: '1a2b3c4d', common: {}, undo: new UndoStack(), step: (_title, work) => work(), say: () => undefined };
    const started = await request.provider.start(run);
    expect(loads()).to.equal(1);
    expect(await started.leaks()).to.deep.equal(['keep=true']);
  });

  it('refuse, in one line naming what to install, a provider whose needed packages are missing, before loading it', function () {
    const { loads, provider } = counted({ name: 'needy', summary: 'test only', options: { keep: flag('keep it') }, needs: ['pause-conformance-no-such-package'] });
    expect(() => parseRunArgs(['--provider', 'needy'], [provider])).to.throw(
      EnvironmentError,
      /^provider needy needs pause-conformance-no-such-package, which is not installed: it is an optional dependency of pause-conformance, left out of a default install\. Run `npm i -D pause-conformance-no-such-package` in your project, then run it again\.$/,
    );
    expect(loads()).to.equal(0);
  });

  it('name the versions of our own peerDependencies in the install command', function () {
    expect(() => requireInstalled('provider k3s', ['testcontainers', '@testcontainers/k3s'], () => false)).to.throw(
      /^provider k3s needs testcontainers and @testcontainers\/k3s, which are not installed: they are optional dependencies of pause-conformance, left out of a default install\. Run `npm i -D testcontainers@\^12\.\d+\.\d+ @testcontainers\/k3s@\^12\.\d+\.\d+` in your project/,
    );
    expect(() => requireInstalled('provider k3s', ['testcontainers', '@testcontainers/k3s'])).not.to.throw();
  });

  it('keep the Kubernetes client and testcontainers out of a local run: the CLI and the suites load without them', async function () {
    // A fresh Node that records every package the CLI's modules import, as `run` loads them.
    const probe = `
      import { registerHooks } from 'node:module';
      const packages = new Set();
      registerHooks({ resolve(specifier, context, next) { if (!/^(node:|file:|\\.)/.test(specifier)) packages.add(specifier); return next(specifier, context); } });
      const { parseRunArgs } = await import('./lib/cli/run-options.ts');
      const { loadSuites } = await import('./lib/cli/suite-runner.ts');
      parseRunArgs(['--provider', 'local']);
      await loadSuites(undefined);
      console.log(JSON.stringify([...packages]));`;
    const result = await execa(process.execPath, ['--input-type=module', '-e', probe], { cwd: REPO });
    const packages = JSON.parse(result.stdout) as string[];
    expect(packages, 'the probe saw the imports').to.include('@grpc/grpc-js');
    expect(packages.filter((name) => /client-node|testcontainers/.test(name))).to.deep.equal([]);
  });
});
