/**
 * `pause-conformance diff before.json after.json`: what changed between two runs, e.g. before and
 * after a runtime upgrade. Exit 1 when a check regressed (or the after run leaked), 0 otherwise,
 * 2 for bad arguments or a file that is not a report (one line).
 */
import { parseArgs } from 'node:util';
import { messageOf, UsageError } from '../errors.ts';
import { DEFAULT_DIFF_OPTIONS, diffReports, type DiffOptions } from '../report/diff.ts';
import { formatDiff } from '../report/diff-text.ts';
import { loadReport } from '../report/load-report.ts';

export const EXIT_NO_REGRESSION = 0;
export const EXIT_REGRESSED = 1;

export function diffUsage(): string {
  return `Usage: pause-conformance diff BEFORE.json AFTER.json [options]

Compares two reports (e.g. before and after a containerd, runc or kubelet upgrade): runtime and
sandbox image versions and ids, each check's status, evidence that changed (a new pause pid, a
different sandbox image or pause command), and timings that moved beyond the thresholds.
A regression is a check that passed before and now fails, is skipped or is missing, or a new leak.

Options:
  --json               print the diff as JSON instead of text
  --threshold-ms N     report a timing that moved by at least N ms (default: ${DEFAULT_DIFF_OPTIONS.thresholdMs})
  --threshold-pct P    ... and by at least P percent of its before value (default: ${DEFAULT_DIFF_OPTIONS.thresholdPct})
  -h, --help           this text

Example (docs/upgrade-check.md):
  sudo pause-conformance run --report-dir reports/before
  # upgrade containerd / runc / the kubelet, or change the sandbox image
  sudo pause-conformance run --report-dir reports/after
  pause-conformance diff reports/before/report.json reports/after/report.json

Exit codes: 0 no regression, 1 a check regressed or the after run leaked, 2 usage error or a file that is not a report.
`;
}

function number(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(raw)) throw new UsageError(`--${flag} ${raw} is not a number >= 0`, 'it is a threshold for reporting timing changes', 'Pass e.g. --threshold-ms 200.');
  return Number(raw);
}

export async function diffCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { json: { type: 'boolean' }, 'threshold-ms': { type: 'string' }, 'threshold-pct': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError('bad command line', messageOf(error).replace(/\. To specify.*$/, ''), 'See `pause-conformance diff --help`.');
  }
  if (parsed.values.help) {
    process.stdout.write(diffUsage());
    return EXIT_NO_REGRESSION;
  }
  if (parsed.positionals.length !== 2) {
    throw new UsageError('diff needs two reports', `got ${parsed.positionals.length} file argument(s)`, 'Run `pause-conformance diff BEFORE.json AFTER.json`.');
  }
  const [beforeFile, afterFile] = parsed.positionals as [string, string];
  const options: DiffOptions = {
    thresholdMs: number('threshold-ms', parsed.values['threshold-ms'], DEFAULT_DIFF_OPTIONS.thresholdMs),
    thresholdPct: number('threshold-pct', parsed.values['threshold-pct'], DEFAULT_DIFF_OPTIONS.thresholdPct),
  };
  const [before, after] = [await loadReport(beforeFile), await loadReport(afterFile)];
  const diff = diffReports(before, after, options);
  process.stdout.write(parsed.values.json ? JSON.stringify({ beforeFile, afterFile, ...diff }, null, 2) + '\n' : formatDiff(diff, beforeFile, afterFile));
  return diff.regressed ? EXIT_REGRESSED : EXIT_NO_REGRESSION;
}
