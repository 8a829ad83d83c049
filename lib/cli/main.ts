/**
 * The command line: `pause-conformance run [options]`. Bad input is one line on stderr and
 * exit 2; a stack trace only ever means a bug in the harness.
 */
import { parseArgs } from 'node:util';
import { isUserFacing, messageOf, UsageError } from '../errors.ts';
import type { RunOptions } from '../providers/provider.ts';
import { allProviders } from '../providers/registry.ts';
import { EXIT_USAGE, runCommand } from './run-command.ts';
import { diffCommand } from './diff-command.ts';
import { loadFixtureDir } from '../pods/fixtures.ts';

const RUN_OPTIONS = {
  provider: { type: 'string', default: 'local' },
  grep: { type: 'string' },
  'report-dir': { type: 'string', default: 'reports' },
  subnet: { type: 'string' },
  'sandbox-image-tar': { type: 'string' },
  'cri-endpoint': { type: 'string' },
  'app-image': { type: 'string' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'node-shell': { type: 'string' },
  'allow-privileged-probe': { type: 'boolean' },
  'cluster-name': { type: 'string' },
  'node-image': { type: 'string' },
  'kind-config': { type: 'string' },
  reuse: { type: 'boolean' },
  keep: { type: 'boolean' },
  nodes: { type: 'string' },
  parallel: { type: 'string' },
  'k3s-image': { type: 'string' },
  fixtures: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function usage(): string {
  const providers = allProviders().map((p) => `  ${p.name.padEnd(11)} ${p.summary}`).join('\n');
  return `Usage: pause-conformance run [options]

Runs the pod-sandbox (pause) conformance suites on a target and writes reports/report.json.

Options:
  --provider NAME            target to check (default: local)
  --grep PATTERN             run only the checks whose full title matches PATTERN
  --report-dir DIR           where reports go (default: reports): report.json, junit.xml, summary.md, lifecycle.svg
  --subnet CIDR              pod subnet of the embedded node (default: 10.213.0.0/24)
  --sandbox-image-tar FILE   local: use this saved image (docker save / ctr export) as the pause image
  --cri-endpoint ENDPOINT    cri: the runtime socket, e.g. unix:///run/containerd/containerd.sock
  --app-image REF            image the fixtures' containers run (cri: must already be on the runtime)
  --kubeconfig FILE          kubeconfig: the cluster's kubeconfig (default: $KUBECONFIG or ~/.kube/config)
  --context NAME             kubeconfig: the context to use (default: the current one)
  --node-shell KIND          kubeconfig: how to see the node: probe (privileged pod) or local (this machine)
  --allow-privileged-probe   kubeconfig: allow the privileged node-probe pod (opt-in)
  --cluster-name NAME        kind: cluster name (default: pause-conformance-<run id>)
  --node-image REF           kind: node image, e.g. kindest/node:v1.33.1
  --kind-config FILE         kind: cluster config, e.g. fixtures/kind/multi-node.yaml
  --reuse                    kind: use the existing cluster of that name instead of creating one
  --keep                     kind: keep the cluster after the run
  --nodes all|SELECTOR       cluster providers: run on every schedulable node, or those matching a label selector
  --parallel N               cluster providers: nodes checked at a time (default: 1)
  --k3s-image REF            k3s: the K3s image (default: rancher/k3s, as @testcontainers/k3s pins it)
  --fixtures DIR             pod fixtures to run (default: fixtures/pods); all are checked before the run
  -h, --help                 this text

Providers:
${providers}

Examples:
  sudo pause-conformance run
  sudo pause-conformance run --grep "IPC and UTS" --report-dir /tmp/pc
  sudo pause-conformance run --provider cri --cri-endpoint unix:///run/containerd/containerd.sock
  pause-conformance run --provider kind --node-image kindest/node:v1.36.4 --kind-config fixtures/kind/multi-node.yaml --nodes all
  sudo pause-conformance run --provider kubeconfig --kubeconfig admin.conf --node-shell local --cri-endpoint unix:///run/containerd/containerd.sock

Exit codes: 0 every check passed, 1 a check failed or something leaked, 2 usage or environment error, 130 interrupted.
`;
}

/** `pause-conformance --help`: the commands; each command's own --help has its options. */
function commandsUsage(): string {
  return `Usage: pause-conformance <command> [options]

Checks the Kubernetes pod sandbox (the pause container) on a target, with evidence.

Commands:
  run    bring a target up, run the conformance checks on it, write the reports, tear it all down
         (options: pause-conformance run --help)
  diff   compare two reports (before/after an upgrade); exit 1 when a check regressed
         (options: pause-conformance diff --help)

Examples:
  sudo pause-conformance run
  pause-conformance run --help

Exit codes: 0 every check passed, 1 a check failed or something leaked, 2 usage or environment error, 130 interrupted.
`;
}

function parseRun(argv: string[]): RunOptions | 'help' {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: RUN_OPTIONS, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError('bad command line', messageOf(error).replace(/\. To specify.*$/, ''), 'See `pause-conformance run --help`.');
  }
  const values = parsed.values;
  if (values.help) return 'help';
  const options: RunOptions = { provider: values.provider, reportDir: values['report-dir'] };
  if (values.grep !== undefined) {
    try {
      new RegExp(values.grep);
    } catch (error) {
      throw new UsageError(`--grep ${values.grep} is not a valid pattern`, messageOf(error), 'Pass a regular expression, or plain words from a check title.');
    }
    options.grep = values.grep;
  }
  if (values.subnet !== undefined) options.subnet = values.subnet;
  if (values['sandbox-image-tar'] !== undefined) options.sandboxImageTar = values['sandbox-image-tar'];
  if (values['cri-endpoint'] !== undefined) options.criEndpoint = values['cri-endpoint'];
  if (values['app-image'] !== undefined) options.appImage = values['app-image'];
  if (values.kubeconfig !== undefined) options.kubeconfig = values.kubeconfig;
  if (values.context !== undefined) options.context = values.context;
  if (values['node-shell'] !== undefined) options.nodeShell = values['node-shell'];
  if (values['allow-privileged-probe']) options.allowPrivilegedProbe = true;
  if (values['cluster-name'] !== undefined) options.clusterName = values['cluster-name'];
  if (values['node-image'] !== undefined) options.nodeImage = values['node-image'];
  if (values['kind-config'] !== undefined) options.kindConfig = values['kind-config'];
  if (values.reuse) options.reuse = true;
  if (values.keep) options.keep = true;
  if (values.nodes !== undefined) options.nodes = values.nodes;
  if (values.parallel !== undefined) {
    if (!/^[1-9]\d*$/.test(values.parallel)) throw new UsageError(`--parallel ${values.parallel} is not a whole number >= 1`, 'it is how many nodes are checked at a time', 'Pass e.g. --parallel 2.');
    options.parallel = Number(values.parallel);
  }
  if (values['k3s-image'] !== undefined) options.k3sImage = values['k3s-image'];
  if (values.fixtures !== undefined) options.fixtures = values.fixtures;
  return options;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === undefined) {
      process.stderr.write(commandsUsage());
      return EXIT_USAGE;
    }
    if (command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(commandsUsage());
      return 0;
    }
    if (command === 'diff') return await diffCommand(rest);
    if (command !== 'run') throw new UsageError(`unknown command "${command}"`, 'the commands are: run, diff', 'See `pause-conformance --help`.');
    const options = parseRun(rest);
    if (options === 'help') {
      process.stdout.write(usage());
      return 0;
    }
    // Every fixture is read and checked before anything is made: a malformed one is one line, exit 2.
    await loadFixtureDir(options.fixtures);
    return await runCommand(options);
  } catch (error) {
    if (isUserFacing(error)) {
      process.stderr.write(`pause-conformance: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}
