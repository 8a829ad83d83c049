/**
 * Reads a report.json written by `pause-conformance run` and checks the fields the diff relies
 * on, so a wrong or truncated file is one line (exit 2) instead of a crash halfway through a diff.
 */
import { readFile } from 'node:fs/promises';
import { UsageError } from '../errors.ts';
import { REPORT_SCHEMA_VERSION, type Report } from './report.ts';
import { errnoCode } from '../linux/errno.ts';

type Json = unknown;

class ReportProblem extends Error {}

function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function need(condition: boolean, message: string): void {
  if (!condition) throw new ReportProblem(message);
}

const STATUSES = new Set(['passed', 'failed', 'skipped']);

/** Checks a parsed document; returns it typed as a Report or throws ReportProblem. */
export function checkReport(document: Json): Report {
  need(isRecord(document), 'it is not a JSON object');
  const doc = document as Record<string, Json>;
  need(doc['schemaVersion'] === REPORT_SCHEMA_VERSION, `schemaVersion is ${JSON.stringify(doc['schemaVersion'])}, this version reads ${REPORT_SCHEMA_VERSION}`);
  need(typeof doc['runId'] === 'string', 'runId is missing');
  need(Array.isArray(doc['targets']), 'targets is not a list');
  need(isRecord(doc['teardown']) && Array.isArray((doc['teardown'] as Record<string, Json>)['leaks']), 'teardown.leaks is not a list');
  need(doc['steps'] === undefined || Array.isArray(doc['steps']), 'steps is not a list');
  for (const [t, target] of (doc['targets'] as Json[]).entries()) {
    need(isRecord(target) && isRecord(target['info']) && Array.isArray(target['checks']), `targets[${t}] has no info and checks`);
    const { info, checks } = target as { info: Record<string, Json>; checks: Json[] };
    need(typeof info['nodeName'] === 'string' && typeof info['sandboxImage'] === 'string', `targets[${t}].info has no nodeName and sandboxImage`);
    for (const [c, check] of checks.entries()) {
      const where = `targets[${t}].checks[${c}]`;
      need(isRecord(check), `${where} is not an object`);
      const item = check as Record<string, Json>;
      need(typeof item['fullTitle'] === 'string', `${where}.fullTitle is missing`);
      need(STATUSES.has(item['status'] as string), `${where}.status is not passed, failed or skipped`);
      need(typeof item['durationMs'] === 'number', `${where}.durationMs is not a number`);
      need(item['evidence'] === undefined || isRecord(item['evidence']), `${where}.evidence is not an object`);
    }
  }
  return document as Report;
}

/** Reads and checks `file`; any problem is a UsageError naming the file (one line, exit 2). */
export async function loadReport(file: string): Promise<Report> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error) ?? 'read error';
    throw new UsageError(`report ${file} cannot be read`, code, 'Pass the report.json a `pause-conformance run` wrote (reports/report.json by default).');
  }
  let document: Json;
  try {
    document = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`report ${file} is not JSON`, error instanceof Error ? error.message : String(error), 'Pass the report.json a `pause-conformance run` wrote.');
  }
  try {
    return checkReport(document);
  } catch (error) {
    if (error instanceof ReportProblem) throw new UsageError(`report ${file} is not a pause-conformance report`, error.message, 'Pass the report.json a `pause-conformance run` wrote.');
    throw error;
  }
}
