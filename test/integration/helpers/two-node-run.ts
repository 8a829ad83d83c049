/**
 * A run over two embedded nodes at once, for the --parallel test: the real runner (runCommand)
 * with a provider that starts the local provider twice, each node with its own run directory,
 * containerd, bridge and subnet. Usage: node two-node-run.ts REPORT_DIR PARALLEL [GREP [SUITES_DIR]]
 */
import { runCommand } from '../../../lib/cli/run-command.ts';
import { readOptions } from '../../../lib/options.ts';
import { localProvider } from '../../../lib/providers/local/local-provider.ts';
import { CLUSTER_OPTIONS } from '../../../lib/providers/cluster/cluster-options.ts';
import { defineProvider } from '../../../lib/providers/provider.ts';
import { newRunId } from '../../../lib/runtime/run-dir.ts';

const [reportDir, parallel, grep, suites] = process.argv.slice(2);
if (!reportDir || !parallel) {
  process.stderr.write('usage: two-node-run.ts REPORT_DIR PARALLEL [GREP [SUITES_DIR]]\n');
  process.exit(2);
}

const twoNodes = defineProvider({
  name: 'local-pair',
  summary: 'two embedded nodes (test only)',
  // --parallel as the cluster providers declare it.
  options: { parallel: CLUSTER_OPTIONS.parallel },
  async start(context) {
    const local = readOptions(localProvider.options, {});
    const first = await localProvider.start({ ...context, options: { ...local, subnet: '10.213.1.0/24' } });
    // The second node is a second run directory: its own id, so its own bridge, network and cgroups.
    const second = await localProvider.start({ ...context, runId: newRunId(), options: { ...local, subnet: '10.213.2.0/24' } });
    first.targets[0]!.info.nodeName = 'node-a';
    second.targets[0]!.info.nodeName = 'node-b';
    return {
      targets: [...first.targets, ...second.targets],
      ...(context.options.parallel ? { parallel: context.options.parallel } : {}),
      leaks: async () => [...(await first.leaks()), ...(await second.leaks())],
    };
  },
});

const code = await runCommand({ common: { provider: twoNodes.name, reportDir, noBuiltin: false, ...(grep ? { grep } : {}), ...(suites ? { suites } : {}) }, provider: twoNodes.configure({ parallel }) });
process.exit(code);
