/**
 * Everything derived from report.json: junit.xml (CI test views), summary.md (people; appended to
 * $GITHUB_STEP_SUMMARY when GitHub Actions sets it) and lifecycle.svg (where a pod's time goes).
 * Each is written on its own: one that cannot be written is named on stderr and the others still
 * are, since the run's verdict (exit code, report.json) does not depend on them.
 */
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { messageOf } from '../errors.ts';
import { renderJunit } from './junit.ts';
import { renderLifecycleSvg } from './lifecycle-svg.ts';
import type { Report } from './report.ts';
import { renderSummary } from './summary-md.ts';

const OUTPUTS: { file: string; render: (report: Report) => string }[] = [
  { file: 'junit.xml', render: renderJunit },
  { file: 'summary.md', render: renderSummary },
  { file: 'lifecycle.svg', render: renderLifecycleSvg },
];

/** Writes the derived reports next to report.json; returns the files written. */
export async function writeDerivedReports(report: Report, reportDir: string, env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  await mkdir(reportDir, { recursive: true });
  const written: string[] = [];
  for (const output of OUTPUTS) {
    const file = path.join(reportDir, output.file);
    try {
      const text = output.render(report);
      await writeFile(file, text);
      written.push(file);
    } catch (error) {
      process.stderr.write(`pause-conformance: could not write ${file}: ${messageOf(error)}\n`);
    }
  }
  const stepSummary = env['GITHUB_STEP_SUMMARY'];
  if (stepSummary) {
    try {
      await appendFile(stepSummary, `${renderSummary(report)}\n`);
    } catch (error) {
      process.stderr.write(`pause-conformance: could not append to $GITHUB_STEP_SUMMARY (${stepSummary}): ${messageOf(error)}\n`);
    }
  }
  return written;
}
