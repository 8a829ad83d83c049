/**
 * `pause-conformance run` options: common ones, each provider's own from its declarations, a flag
 * of another provider refused in one line, `run --help` listing each provider's options under it.
 */
import { expect } from 'chai';
import { parseRunArgs, runUsage, type RunRequest } from '../../lib/cli/run-options.ts';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import { UsageError } from '../../lib/errors.ts';
import { choice, flag, parseArgsOptions, positiveInteger, readOptions, text, value } from '../../lib/options.ts';
import { defineProvider, type ProviderRun } from '../../lib/providers/provider.ts';
import { allProviders } from '../../lib/providers/registry.ts';

function refusal(argv: string[], providers = allProviders()): UsageError {
  try {
    parseRunArgs(argv, providers);
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError);
    return error as UsageError;
  }
  return expect.fail(`${argv.join(' ')} was accepted`);
}

function request(argv: string[], providers = allProviders()): RunRequest {
  const parsed = parseRunArgs(argv, providers);
  if (parsed === 'help') return expect.fail('help instead of a run');
  return parsed;
}

describe('run options', function () {
  it('refuses a flag the chosen provider does not take, in one line naming who takes it', function () {
    expect(refusal(['--provider', 'local', '--keep']).message).to.equal(
      '--keep is not an option of provider local: it is an option of provider kind. Drop it, or see `pause-conformance run --help` for what each provider takes.',
    );
    expect(refusal(['--cri-endpoint', 'unix:///run/containerd/containerd.sock']).message).to.match(/^--cri-endpoint is not an option of provider local: providers cri, kind, k3s, kubeconfig take it\./);
    expect(refusal(['--provider', 'microk8s', '--cri-endpoint', 'unix:///x']).message).to.match(/^--cri-endpoint is not an option of provider microk8s: /);
  });

  it("accepts the chosen provider's own flags and the common ones", function () {
    expect(request(['--provider', 'kind', '--keep', '--parallel', '2', '--app-image', 'registry.local/busybox:1']).provider.name).to.equal('kind');
    expect(request(['--provider', 'local', '--subnet', '10.214.0.0/24', '--grep', 'IPC']).common).to.deep.equal({ provider: 'local', grep: 'IPC', reportDir: 'reports', noBuiltin: false });
    expect(parseRunArgs(['--provider', 'local', '--keep', '--help'])).to.equal('help');
  });

  it('hands the provider its options typed, with defaults, flags false when absent', async function () {
    const seen: unknown[] = [];
    const recorder = defineProvider({
      name: 'recorder',
      summary: 'records its options (test only)',
      options: { parallel: value('N', 'nodes at a time', positiveInteger('it is how many nodes are checked at a time', 2)), image: text('REF', 'an image', 'img:1'), keep: flag('keep it'), label: text('TEXT', 'a label') },
      async start(context) {
        seen.push(context.options);
        return { targets: [], leaks: async () => [] };
      },
    });
    const run: ProviderRun = { runId: '1a2b3c4d', common: {}, undo: new UndoStack(), step: (_title, work) => work(), say: () => undefined };
    await request(['--provider', 'recorder', '--parallel', '3'], [recorder]).provider.start(run);
    await request(['--provider', 'recorder', '--keep', '--image', 'img:2', '--label', 'x'], [recorder]).provider.start(run);
    expect(seen).to.deep.equal([
      { parallel: 3, image: 'img:1', keep: false },
      { image: 'img:2', keep: true, label: 'x' },
    ]);
    expect(refusal(['--provider', 'recorder', '--parallel', '0'], [recorder]).message).to.equal('--parallel 0 is not a whole number >= 1: it is how many nodes are checked at a time. Pass e.g. --parallel 2.');
  });

  it('still says "bad command line" for a flag nobody declares, and "unknown provider" first', function () {
    expect(refusal(['--no-such-option']).message).to.match(/^bad command line: .*--no-such-option/);
    expect(refusal(['--provider', 'nosuch', '--keep']).message).to.match(/^unknown provider "nosuch": known providers are local, cri, kind, microk8s, k3s, kubeconfig/);
    expect(refusal(['--grep', '(']).message).to.match(/^--grep \( is not a valid pattern: /);
  });

  it('run --help lists each provider with the options it takes under it', function () {
    const expected: Record<string, string[]> = {
      local: ['--subnet', '--sandbox-image-tar', '--runtime', '--oci-runtime', '--runtime-cache', '--debian-mirror'],
      cri: ['--cri-endpoint'],
      kind: ['--cluster-name', '--node-image', '--kind-config', '--reuse', '--keep', '--nodes', '--parallel', '--cri-endpoint'],
      microk8s: ['--nodes', '--parallel'],
      k3s: ['--k3s-image', '--nodes', '--parallel', '--cri-endpoint'],
      kubeconfig: ['--kubeconfig', '--context', '--node-shell', '--allow-privileged-probe', '--restart-runtime', '--upgrade-command', '--cri-endpoint', '--nodes', '--parallel'],
    };
    const lines = runUsage().split('\n');
    const start = lines.findIndex((line) => line.startsWith('Providers'));
    const listed: Record<string, string[]> = {};
    let current: string | undefined;
    for (const line of lines.slice(start + 1)) {
      if (line.trim() === '') break;
      const header = /^ {2}([a-z0-9]+) {2,}\S/.exec(line);
      if (header) listed[(current = header[1]!)] = [];
      else if (current) listed[current]!.push(/^ {4}(--[a-z0-9-]+)/.exec(line)?.[1] ?? `unexpected line: ${line}`);
    }
    expect(listed).to.deep.equal(expected);
    expect(runUsage()).to.match(/^ {4}--k3s-image REF +the K3s server image \(default: rancher\/k3s:/m);
  });
});

describe('option declarations', function () {
  it('reads values by their declarations: defaults, parsers, choices', function () {
    const specs = { ociRuntime: choice(['runc', 'crun'], 'the OCI runtime', 'runc'), tag: text('TAG', 'a tag'), on: flag('on') };
    expect(readOptions(specs, {})).to.deep.equal({ ociRuntime: 'runc', on: false });
    expect(readOptions(specs, { 'oci-runtime': 'crun', tag: 't', on: true })).to.deep.equal({ ociRuntime: 'crun', tag: 't', on: true });
    expect(() => readOptions(specs, { 'oci-runtime': 'youki' })).to.throw(UsageError, /^--oci-runtime youki is not known: it takes runc, crun\. Pass e\.g\. --oci-runtime runc\.$/);
  });

  it('refuses two declarations of one flag that disagree on whether it takes a value', function () {
    expect(parseArgsOptions({ keep: flag('a') }, { keep: flag('b') })).to.deep.equal({ keep: { type: 'boolean' } });
    expect(() => parseArgsOptions({ keep: flag('a') }, { keep: text('X', 'b') })).to.throw(/--keep is declared both as a flag and as an option with a value/);
  });
});
