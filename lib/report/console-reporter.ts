/**
 * The console a person reads in a CI log: each check with the one line of evidence that says
 * why it passed (evidence['summary']), a failure with its error and the whole evidence as compact
 * JSON (so the log alone explains it, without report.json), and a table per suite at the end.
 * Skip reasons are printed by the collector (lib/report/collector.ts), right after the skip line.
 */
import Mocha from 'mocha';
import { evidenceOf } from './evidence.ts';
import { topSuiteTitle } from './collector.ts';

const { EVENT_SUITE_BEGIN, EVENT_SUITE_END, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING, EVENT_RUN_END } = Mocha.Runner.constants;
const Base = Mocha.reporters.Base;

/** Past this, failure evidence is cut: the console is for reading; report.json keeps all of it. */
const EVIDENCE_CHARS = 2000;

interface SuiteTally {
  title: string;
  passed: number;
  failed: number;
  skipped: number;
  /** Wall time of the top-level suite, hooks included: a before() that makes the pod is where time goes. */
  durationMs: number;
}

/** Evidence without its summary (already printed), as one line of JSON, cut to a readable size. */
export function compactEvidence(evidence: Record<string, unknown> | undefined): string {
  const rest = { ...evidence };
  delete rest['summary'];
  const json = JSON.stringify(rest);
  return json.length > EVIDENCE_CHARS ? `${json.slice(0, EVIDENCE_CHARS)}… (${json.length} chars; all of it in report.json)` : json;
}

/** A fixed-width table: first column left-aligned, the others right-aligned. */
export function formatTable(header: string[], rows: string[][]): string[] {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}

export class ConsoleReporter extends Base {
  private readonly write: (line: string) => void;

  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    // With --parallel several nodes' runs print at once; the prefix says whose line it is.
    const prefix = typeof options?.reporterOptions?.['prefix'] === 'string' ? (options.reporterOptions['prefix'] as string) : '';
    this.write = (line) => process.stdout.write(prefix ? `${line.split('\n').map((part) => (part ? prefix + part : part)).join('\n')}\n` : `${line}\n`);
    const tallies = new Map<string, SuiteTally>();
    const tally = (runnable: Mocha.Runnable): SuiteTally => {
      const title = topSuiteTitle(runnable);
      let found = tallies.get(title);
      if (!found) {
        found = { title, passed: 0, failed: 0, skipped: 0, durationMs: 0 };
        tallies.set(title, found);
      }
      return found;
    };
    const indent = (suite: Mocha.Suite | undefined): string => {
      let depth = 0;
      for (let s = suite; s && !s.root; s = s.parent) depth++;
      return '  '.repeat(depth + 1);
    };
    const time = (runnable: Mocha.Runnable): string => (runnable.duration === undefined ? '' : Base.color('light', ` (${runnable.duration} ms)`));

    const suiteStarted = new Map<Mocha.Suite, number>();
    runner.on(EVENT_SUITE_BEGIN, (suite: Mocha.Suite) => {
      if (suite.root) return;
      this.write(`\n${indent(suite.parent)}${suite.title}`);
      if (suite.parent?.root) suiteStarted.set(suite, Date.now());
    });
    runner.on(EVENT_SUITE_END, (suite: Mocha.Suite) => {
      const started = suiteStarted.get(suite);
      if (started === undefined) return;
      const t = tallies.get(suite.title);
      if (t) t.durationMs += Date.now() - started;
    });
    runner.on(EVENT_TEST_PASS, (test: Mocha.Test) => {
      const t = tally(test);
      t.passed++;
      const pad = indent(test.parent);
      this.write(`${pad}${Base.color('checkmark', Base.symbols.ok)} ${test.title}${time(test)}`);
      const summary = evidenceOf(test)?.['summary'];
      this.write(`${pad}    ${typeof summary === 'string' ? summary : Base.color('fail', 'no evidence summary recorded (a defect: every check records one)')}`);
    });
    runner.on(EVENT_TEST_FAIL, (runnable: Mocha.Runnable, error: Error) => {
      const t = tally(runnable);
      t.failed++;
      const pad = indent(runnable.parent);
      // A failed hook is a runnable too: its title ("before all" hook ...) says what could not be set up.
      this.write(Base.color('fail', `${pad}${Base.symbols.err} ${runnable.title}`) + time(runnable));
      const message = (error?.message ?? String(error)).split('\n');
      for (const line of message) this.write(Base.color('error message', `${pad}    ${line}`));
      const evidence = evidenceOf(runnable);
      const summary = evidence?.['summary'];
      if (typeof summary === 'string') this.write(`${pad}    ${summary}`);
      if (evidence && Object.keys(evidence).some((key) => key !== 'summary')) this.write(Base.color('light', `${pad}    evidence: ${compactEvidence(evidence)}`));
    });
    runner.on(EVENT_TEST_PENDING, (test: Mocha.Test) => {
      tally(test).skipped++;
      this.write(Base.color('pending', `${indent(test.parent)}- ${test.title}`));
    });
    runner.once(EVENT_RUN_END, () => {
      const rows = [...tallies.values()].map((t) => [t.title, String(t.passed), String(t.failed), String(t.skipped), `${(t.durationMs / 1000).toFixed(1)} s`]);
      const total = [...tallies.values()].reduce((sum, t) => ({ passed: sum.passed + t.passed, failed: sum.failed + t.failed, skipped: sum.skipped + t.skipped }), { passed: 0, failed: 0, skipped: 0 });
      rows.push(['total', String(total.passed), String(total.failed), String(total.skipped), `${((this.stats.duration ?? 0) / 1000).toFixed(1)} s`]);
      this.write('');
      const lines = formatTable(['suite', 'passed', 'failed', 'skipped', 'time'], rows);
      lines.forEach((line, i) => {
        const failedRow = i > 0 && rows[i - 1]![2] !== '0';
        this.write(`  ${i === 0 ? Base.color('light', line) : failedRow ? Base.color('fail', line) : line}`);
      });
    });
  }
}
