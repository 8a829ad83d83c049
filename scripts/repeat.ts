/**
 * `npm run repeat [-- --times K] [-- <run options>]`: runs the full embedded suite K times in a
 * row (K = 10 by default, or $REPEAT_TIMES) and prints each run's result line, then
 * `repeat: <passed>/<K>`. Exit 1 if any run failed. A run passes when it exits 0 (every check
 * passed, nothing leaked). Nothing is retried: a flake shows up here as a failed run, with the
 * checks that failed and the report that holds their evidence.
 */
import { execa } from 'execa';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message: string): never {
  process.stderr.write(`repeat: ${message}\n`);
  process.exit(2);
}

const { values, positionals } = (() => {
  try {
    return parseArgs({ options: { times: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true, strict: true });
  } catch (error) {
    return fail(`${error instanceof Error ? error.message : String(error)}. Usage: npm run repeat -- [--times K] [-- <run options>]`);
  }
})();
if (values.help) {
  process.stdout.write('Usage: npm run repeat -- [--times K] [-- <pause-conformance run options>]\nRuns the embedded suite K times (default 10, or $REPEAT_TIMES) and prints repeat: <passed>/<K>.\n');
  process.exit(0);
}
const timesText = values.times ?? process.env['REPEAT_TIMES'] ?? '10';
if (!/^[1-9]\d*$/.test(timesText)) fail(`--times ${timesText} is not a whole number >= 1`);
const times = Number(timesText);

interface CheckLine {
  fullTitle: string;
  status: string;
  error?: string;
}

async function failedChecks(reportFile: string): Promise<string[]> {
  try {
    const report = JSON.parse(await readFile(reportFile, 'utf8')) as { targets?: { checks?: CheckLine[] }[]; teardown?: { leaks?: string[] }; aborted?: string };
    const checks = (report.targets ?? []).flatMap((target) => target.checks ?? []).filter((check) => check.status === 'failed');
    return [
      ...checks.map((check) => `${check.fullTitle}: ${(check.error ?? '').split('\n')[0]}`),
      ...(report.teardown?.leaks ?? []).map((leak) => `leak: ${leak}`),
      ...(report.aborted ? [`aborted: ${report.aborted}`] : []),
    ];
  } catch {
    return [`no readable report at ${reportFile}`];
  }
}

const base = await mkdtemp(path.join(os.tmpdir(), 'pause-conformance-repeat-'));
let passed = 0;
for (let index = 1; index <= times; index++) {
  const reportDir = path.join(base, `run-${index}`);
  const started = Date.now();
  const result = await execa('node', [path.join(REPO, 'bin', 'pause-conformance.js'), 'run', '--provider', 'local', '--report-dir', reportDir, ...positionals], {
    cwd: REPO,
    reject: false,
    all: true,
    stdin: 'ignore',
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const lines = result.all.trim().split('\n');
  const resultLine = lines.findLast((line) => /^conformance: /.test(line)) ?? lines.at(-1) ?? '(no output)';
  const ok = result.exitCode === 0;
  if (ok) passed++;
  process.stdout.write(`run ${index}/${times}: ${ok ? 'passed' : 'FAILED'} (exit ${result.exitCode ?? result.signal}, ${seconds} s): ${resultLine.trim()}\n`);
  if (!ok) {
    for (const line of await failedChecks(path.join(reportDir, 'report.json'))) process.stdout.write(`    ${line}\n`);
    process.stdout.write(`    report: ${reportDir}\n`);
  } else {
    await rm(reportDir, { recursive: true, force: true });
  }
}
if (passed === times) await rm(base, { recursive: true, force: true });
process.stdout.write(`repeat: ${passed}/${times}\n`);
process.exit(passed === times ? 0 : 1);
