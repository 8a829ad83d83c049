/**
 * The options of `pause-conformance upgrade`: run's common options, the chosen provider's own,
 * and --from/--to. On the embedded node (local) they name what the harness switches between:
 * two containerds (--from containerd@1.6 --to containerd@2.1, the OCI runtime from --oci-runtime),
 * or two OCI runtimes on one containerd (--from runc --to crun, the containerd from --runtime).
 * A provider that runs the operator's own upgrade (kubeconfig --upgrade-command) takes --from and
 * --to as labels for the report, if given; the runtimes it reports before and after are what counts.
 */
import { parseArgs } from 'node:util';
import { messageOf, UsageError } from '../errors.ts';
import { helpLines, parseArgsOptions, readOptions, text, type RawOptionValues } from '../options.ts';
import { localUpgradeTarget } from '../providers/local/local-provider.ts';
import type { ConfiguredProvider, Provider } from '../providers/provider.ts';
import { allProviders, providerNamed } from '../providers/registry.ts';
import { COMMON_OPTIONS, refuseOtherProvidersFlags, type CommonRunOptions } from './run-options.ts';

export const UPGRADE_OPTIONS = {
  from: text('RUNTIME', 'local: the containerd (containerd@1.6|1.7|2.1) or OCI runtime (runc|crun) the node starts on; others: a label'),
  to: text('RUNTIME', 'local: what the node is upgraded to in place (same kinds as --from); others: a label'),
};

export interface UpgradeRequest {
  common: CommonRunOptions;
  provider: ConfiguredProvider;
  /** What the report names as FROM and TO. */
  from: string;
  to: string;
  /** Set for providers that make the switch themselves (local). */
  upgradeTo?: string;
}

/** Puts --from into the local provider's own option (--runtime or --oci-runtime); refuses a contradiction. */
function localRaw(raw: RawOptionValues, from: string, to: string): RawOptionValues {
  const fromKind = localUpgradeTarget(from);
  const toKind = localUpgradeTarget(to);
  if ('containerd' in fromKind !== 'containerd' in toKind) {
    throw new UsageError(`--from ${from} --to ${to} mixes a containerd and an OCI runtime`, 'an upgrade changes one of them', 'Pass --from containerd@1.6 --to containerd@2.1, or --from runc --to crun (with --runtime to choose the containerd).');
  }
  if (from === to) throw new UsageError(`--from and --to are both ${from}`, 'there is nothing to upgrade', 'Pass two different runtimes, e.g. --from containerd@1.6 --to containerd@2.1.');
  const key = 'containerd' in fromKind ? 'runtime' : 'oci-runtime';
  if (typeof raw[key] === 'string' && raw[key] !== from) {
    throw new UsageError(`--${key} ${String(raw[key])} contradicts --from ${from}`, `--from is what the node starts on`, `Drop --${key}.`);
  }
  return { ...raw, [key]: from };
}

export function parseUpgradeArgs(argv: string[], providers: Provider[] = allProviders()): UpgradeRequest | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: parseArgsOptions(COMMON_OPTIONS, UPGRADE_OPTIONS, ...providers.map((provider) => provider.options)), strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError('bad command line', messageOf(error).replace(/\. To specify.*$/, ''), 'See `pause-conformance upgrade --help`.');
  }
  const raw = parsed.values;
  const { help, ...common } = readOptions(COMMON_OPTIONS, raw);
  if (help) return 'help';
  const { from, to } = readOptions(UPGRADE_OPTIONS, raw);
  const provider = providerNamed(common.provider, providers);
  refuseOtherProvidersFlags(raw, provider, providers, [...Object.keys(COMMON_OPTIONS), ...Object.keys(UPGRADE_OPTIONS)]);
  if (provider.name === 'local') {
    if (!from || !to) throw new UsageError('upgrade on the embedded node needs --from and --to', 'they name what it starts on and what it is upgraded to', 'Pass e.g. --from containerd@1.6 --to containerd@2.1, or --from runc --to crun.');
    return { common, provider: provider.configure(localRaw(raw, from, to)), from, to, upgradeTo: to };
  }
  if (!Object.keys(provider.options).includes('upgradeCommand')) {
    throw new UsageError(`provider ${provider.name} cannot make an upgrade`, 'the upgrade check needs a way to upgrade the node\'s runtime in place', "Use --provider local, or --provider kubeconfig --node-shell local --upgrade-command '...'.");
  }
  if (typeof raw['upgrade-command'] !== 'string') {
    throw new UsageError(`upgrade --provider ${provider.name} needs --upgrade-command`, 'the harness runs the operator\'s own upgrade on the node', "Pass e.g. --upgrade-command 'snap refresh microk8s --channel=1.35/stable' (split into words, no shell: wrap a pipeline in sh -c '...').");
  }
  return { common, provider: provider.configure(raw), from: from ?? 'the runtime before', to: to ?? 'the runtime after' };
}

export function upgradeUsage(providers: Provider[] = allProviders()): string {
  const local = providers.find((provider) => provider.name === 'local');
  const kubeconfig = providers.find((provider) => provider.name === 'kubeconfig');
  const sections = [local, kubeconfig].filter((p): p is Provider => !!p).map((provider) => [`  ${provider.name.padEnd(11)} ${provider.summary}`, ...helpLines(provider.options, '    ')].join('\n'));
  return `Usage: pause-conformance upgrade --from RUNTIME --to RUNTIME [--provider NAME] [options]

Checks a live, in-place runtime upgrade: the node up on FROM, every suite (before), witness pods
made and recorded, the runtime upgraded in place under them (FROM stopped, its shims and pods left
running, TO started on the same state and socket), the witnesses checked (same pause, netns, IP,
pids; READY; exec; a new container attempt; a full teardown by TO), every suite again (after),
the diff of before and after, and the step that broke pods upstream (a container restarted in a
pre-upgrade pod, TO restarted once more). One report: report.json (with an upgrade section),
summary.md, lifecycle.svg; before.json and after.json for \`pause-conformance diff\`.

Options:
${helpLines({ ...COMMON_OPTIONS, ...UPGRADE_OPTIONS }, '  ').join('\n')}

Providers that can make an upgrade, with their options:
${sections.join('\n')}

Examples:
  sudo pause-conformance upgrade --from containerd@1.6 --to containerd@2.1
  sudo pause-conformance upgrade --from containerd@2.1 --to containerd@1.6          # the rollback
  sudo pause-conformance upgrade --runtime containerd@1.6 --from runc --to crun
  sudo pause-conformance upgrade --provider kubeconfig --node-shell local --cri-endpoint unix:///run/containerd/containerd.sock \\
       --upgrade-command 'snap refresh microk8s --channel=1.35/stable'

Exit codes: 0 the upgrade kept every witness and nothing regressed or leaked, 1 a failed upgrade check, a regression or a leak, 2 usage or environment error, 130 interrupted.
`;
}
