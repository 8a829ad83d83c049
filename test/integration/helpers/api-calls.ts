/**
 * The package API used from a program, as a team's script would: run() with bad input, then
 * startTargets() (a pod made and observed on the started node, then stop()), then run() of one
 * suite and a team's spec folder. Prints one JSON line per step for the test to read.
 * Usage: node api-calls.ts REPORT_DIR SUITES_DIR
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fixture, observePause, run, startTargets, UsageError } from '../../../api/index.ts';

const [reportDir, suites] = process.argv.slice(2);
if (!reportDir || !suites) {
  process.stderr.write('usage: api-calls.ts REPORT_DIR SUITES_DIR\n');
  process.exit(2);
}
const trio = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'fixtures', 'pods', 'trio.yaml');
const print = (step: string, value: object): void => void process.stdout.write(`API ${JSON.stringify({ step, ...value })}\n`);

try {
  await run({ provider: 'local', providerOptions: { keep: true } });
  print('bad input', { thrown: false });
} catch (error) {
  print('bad input', { thrown: true, usageError: error instanceof UsageError, message: error instanceof Error ? error.message : String(error) });
}

const started = await startTargets({ providerOptions: { subnet: '10.213.3.0/24' } });
try {
  const target = started.targets[0]!;
  const pod = await target.pods.create(await fixture(trio));
  const pause = await observePause(target, pod);
  await target.pods.delete(pod);
  print('started', { runId: started.runId, targets: started.targets.length, pausePid: pause.pid, ip: pause.sandbox.ip });
} finally {
  print('stopped', await started.stop());
}

const result = await run({ grep: 'IPC and UTS|team check', reportDir, suites });
print('run', { exitCode: result.exitCode, summary: result.report?.summary, titles: result.report?.targets.flatMap((t) => t.checks.map((c) => c.title)) });
process.exit(0);
