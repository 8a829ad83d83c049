/**
 * A run over two embedded nodes at once, for the --parallel test: the real runner (runCommand)
 * with a provider that starts the local provider twice, each node with its own run directory,
 * containerd, bridge and subnet. Usage: node two-node-run.ts REPORT_DIR PARALLEL [GREP]
 */
import { runCommand } from '../../../lib/cli/run-command.ts';
import { localProvider } from '../../../lib/providers/local/local-provider.ts';
import type { Provider } from '../../../lib/providers/provider.ts';
import { newRunId } from '../../../lib/runtime/run-dir.ts';

const [reportDir, parallel, grep] = process.argv.slice(2);
if (!reportDir || !parallel) {
  process.stderr.write('usage: two-node-run.ts REPORT_DIR PARALLEL [GREP]\n');
  process.exit(2);
}

const twoNodes: Provider = {
  name: 'local-pair',
  summary: 'two embedded nodes (test only)',
  async start(context) {
    const first = await localProvider.start({ ...context, options: { ...context.options, subnet: '10.213.1.0/24' } });
    // The second node is a second run directory: its own id, so its own bridge, network and cgroups.
    const second = await localProvider.start({ ...context, runId: newRunId(), options: { ...context.options, subnet: '10.213.2.0/24' } });
    first.targets[0]!.info.nodeName = 'node-a';
    second.targets[0]!.info.nodeName = 'node-b';
    return {
      targets: [...first.targets, ...second.targets],
      leaks: async () => [...(await first.leaks()), ...(await second.leaks())],
    };
  },
};

const code = await runCommand({ provider: 'local-pair', reportDir, parallel: Number(parallel), ...(grep ? { grep } : {}) }, { provider: twoNodes });
process.exit(code);
