/**
 * The options of `pause-conformance run`: the common ones declared here, each provider's own
 * declared by the provider (lib/providers/<name>/). The parser accepts every flag any of them
 * declares, so a misspelt flag is "bad command line"; then a flag the chosen provider does not
 * take is refused in one line that names who takes it. `run --help` lists each provider's
 * options under it, from the same declarations.
 */
import { parseArgs } from 'node:util';
import { messageOf, UsageError } from '../errors.ts';
import { flag, flagName, helpLines, parseArgsOptions, readOptions, text, value, type OptionValues } from '../options.ts';
import { FIXTURE_APP_IMAGE } from '../pods/fixtures.ts';
import type { ConfiguredProvider, Provider } from '../providers/provider.ts';
import { allProviders, providerNamed } from '../providers/registry.ts';

function pattern(raw: string, name: string): string {
  try {
    new RegExp(raw);
  } catch (error) {
    throw new UsageError(`--${name} ${raw} is not a valid pattern`, messageOf(error), 'Pass a regular expression, or plain words from a check title.');
  }
  return raw;
}

export const COMMON_OPTIONS = {
  provider: text('NAME', 'target to check: one of the providers below', 'local'),
  grep: value('PATTERN', 'run only the checks whose full title matches PATTERN', pattern),
  reportDir: text('DIR', 'where reports go: report.json, junit.xml, summary.md, lifecycle.svg', 'reports'),
  fixtures: text('DIR', 'pod fixtures to run (default: fixtures/pods); all are checked before the run'),
  suites: text('DIR', 'also run your own checks: the *.spec.ts / *.spec.js files in DIR, after the built-in suites (type-checked first when your project has typescript)'),
  noBuiltin: flag('with --suites: run only the checks in DIR, not the built-in suites'),
  appImage: text('REF', `image run in place of ${FIXTURE_APP_IMAGE} wherever a fixture names it (any other image is run as named); cri: it must already be on the runtime`),
  help: flag('this text', 'h'),
};

export type CommonRunOptions = Omit<OptionValues<typeof COMMON_OPTIONS>, 'help'>;

/** A run as the command line asked for it: the common options and the chosen provider, configured. */
export interface RunRequest {
  common: CommonRunOptions;
  provider: ConfiguredProvider;
}

/** The providers that declare a flag, for the refusal message. */
function takers(providers: Provider[], name: string): string[] {
  return providers.filter((provider) => Object.keys(provider.options).some((key) => flagName(key) === name)).map((provider) => provider.name);
}

/** Refuses, in one line naming who takes it, a flag given that is neither the command's own nor the chosen provider's. */
export function refuseOtherProvidersFlags(raw: Record<string, unknown>, provider: Provider, providers: Provider[], commandKeys: string[]): void {
  const commonFlags = new Set(commandKeys.map(flagName));
  const ownFlags = new Set(Object.keys(provider.options).map(flagName));
  for (const name of Object.keys(raw)) {
    if (commonFlags.has(name) || ownFlags.has(name)) continue;
    const others = takers(providers, name);
    throw new UsageError(
      `--${name} is not an option of provider ${provider.name}`,
      others.length === 1 ? `it is an option of provider ${others[0]}` : `providers ${others.join(', ')} take it`,
      'Drop it, or see `pause-conformance run --help` for what each provider takes.',
    );
  }
}

export function parseRunArgs(argv: string[], providers: Provider[] = allProviders()): RunRequest | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseArgsOptions(COMMON_OPTIONS, ...providers.map((provider) => provider.options)), strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError('bad command line', messageOf(error).replace(/\. To specify.*$/, ''), 'See `pause-conformance run --help`.');
  }
  const raw = parsed.values;
  const { help, ...common } = readOptions(COMMON_OPTIONS, raw);
  if (help) return 'help';
  const provider = providerNamed(common.provider, providers);
  refuseOtherProvidersFlags(raw, provider, providers, Object.keys(COMMON_OPTIONS));
  return { common, provider: provider.configure(raw) };
}

export function runUsage(providers: Provider[] = allProviders()): string {
  const sections = providers.map((provider) => {
    const lines = [`  ${provider.name.padEnd(11)} ${provider.summary}`, ...helpLines(provider.options, '    ')];
    return lines.join('\n');
  });
  return `Usage: pause-conformance run [--provider NAME] [options]

Runs the pod-sandbox (pause) conformance suites on a target and writes reports/report.json.

Options:
${helpLines(COMMON_OPTIONS, '  ').join('\n')}

Providers, each with the options it takes (a flag of another provider is refused):
${sections.join('\n')}

Examples:
  sudo pause-conformance run
  sudo pause-conformance run --grep "IPC and UTS" --report-dir /tmp/pc
  sudo pause-conformance run --provider cri --cri-endpoint unix:///run/containerd/containerd.sock
  pause-conformance run --provider kind --node-image kindest/node:v1.36.4 --kind-config fixtures/kind/multi-node.yaml --nodes all
  sudo pause-conformance run --provider kubeconfig --kubeconfig admin.conf --node-shell local --cri-endpoint unix:///run/containerd/containerd.sock

Exit codes: 0 every check passed, 1 a check failed or something leaked, 2 usage or environment error, 130 interrupted.
`;
}
