/**
 * report.json: the source of every other output. Versioned schema; target info with runtime
 * name/version, sandbox image and kernel; each check with status, evidence and timings; and the
 * run's teardown: undo failures and leaks found afterwards.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TargetInfo } from '../target.ts';
import type { Evidence } from './evidence.ts';

export const REPORT_SCHEMA_VERSION = 1;

export type CheckStatus = 'passed' | 'failed' | 'skipped';

export interface CheckResult {
  suite: string;
  title: string;
  fullTitle: string;
  status: CheckStatus;
  durationMs: number;
  /** Start of the check, ISO time. */
  startedAt: string;
  error?: string;
  skipReason?: string;
  evidence: Evidence;
}

export interface TargetReport {
  info: TargetInfo;
  checks: CheckResult[];
  /** In an upgrade report: the suites before, the upgrade's own checks, the suites after. */
  phase?: 'before' | 'upgrade' | 'after';
}

export interface Report {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: { name: 'pause-conformance'; version: string; node: string };
  runId: string;
  provider: string;
  startedAt: string;
  finishedAt: string;
  /** Each bring-up step with its duration. */
  steps: { title: string; durationMs: number; ok: boolean }[];
  targets: TargetReport[];
  summary: { passed: number; failed: number; skipped: number };
  teardown: { undoFailures: { label: string; error: string }[]; leaks: string[] };
  /** Set when the run ended early: interrupted, or an environment error before the checks. */
  aborted?: string;
}

/** What `aborted` says when a signal stopped the run. */
export function interruptedBy(signal: string): string {
  return `interrupted by ${signal}`;
}

/**
 * What the closing lines (the console's last line, summary.md's headline) put before the counts:
 * "interrupted by SIGINT: " when a signal stopped the run, so a cut-short run never reads like a
 * green one; '' otherwise.
 */
export function interruptionPrefix(report: Pick<Report, 'aborted'>): string {
  return report.aborted?.startsWith(interruptedBy('')) ? `${report.aborted}: ` : '';
}

export function summarize(targets: TargetReport[]): Report['summary'] {
  const summary = { passed: 0, failed: 0, skipped: 0 };
  for (const target of targets) for (const check of target.checks) summary[check.status]++;
  return summary;
}

export async function writeReport(report: Report, reportDir: string): Promise<string> {
  await mkdir(reportDir, { recursive: true });
  const file = path.join(reportDir, 'report.json');
  await writeFile(file, JSON.stringify(report, null, 2) + '\n');
  return file;
}
