/**
 * A conformance run on a node container of the private engine: the real runner (runCommand, its
 * suites, report and leak check) with the test-only node-container provider. Run as a child
 * process with DOCKER_HOST naming the engine: testcontainers reads its configuration once per
 * process. Usage: node node-container-run.ts docker-exec|testcontainers IMAGE REPORT_DIR [GREP]
 */
import { runCommand } from '../../../../lib/cli/run-command.ts';
import { nodeContainerProvider } from './node-container-provider.ts';

const [shellKind, image, reportDir, grep] = process.argv.slice(2);
if ((shellKind !== 'docker-exec' && shellKind !== 'testcontainers') || !image || !reportDir) {
  process.stderr.write('usage: node-container-run.ts docker-exec|testcontainers IMAGE REPORT_DIR [GREP]\n');
  process.exit(2);
}
const provider = nodeContainerProvider(shellKind, image);
const code = await runCommand({ common: { provider: provider.name, reportDir, noBuiltin: false, ...(grep ? { grep } : {}) }, provider: provider.configure({}) });
process.exit(code);
