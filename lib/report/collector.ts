/**
 * Listens to a Mocha runner and turns its events into CheckResults with their evidence. Hook
 * failures become failed checks too: a before() that could not make the pod is a failure the
 * report must show, not a silence.
 */
import Mocha from 'mocha';
import { evidenceOf, skipReasonOf } from './evidence.ts';
import type { CheckResult, CheckStatus } from './report.ts';

const { EVENT_TEST_BEGIN, EVENT_TEST_PASS, EVENT_TEST_FAIL, EVENT_TEST_PENDING } = Mocha.Runner.constants;

/** Title of the top-level describe a check belongs to (its suite in the report). */
export function topSuiteTitle(runnable: Mocha.Runnable): string {
  let suite = runnable.parent;
  while (suite?.parent && !suite.parent.root) suite = suite.parent;
  return suite?.title ?? '';
}

export function collectChecks(runner: Mocha.Runner, say: (line: string) => void): CheckResult[] {
  const checks: CheckResult[] = [];
  const started = new WeakMap<Mocha.Runnable, number>();
  const add = (runnable: Mocha.Runnable, status: CheckStatus, error?: Error): void => {
    const startedAt = started.get(runnable) ?? Date.now();
    const check: CheckResult = {
      suite: topSuiteTitle(runnable),
      title: runnable.title,
      fullTitle: runnable.fullTitle(),
      status,
      durationMs: runnable.duration ?? Date.now() - startedAt,
      startedAt: new Date(startedAt).toISOString(),
      evidence: evidenceOf(runnable) ?? {},
    };
    if (error) check.error = error.message;
    const reason = skipReasonOf(runnable);
    if (status === 'skipped') {
      check.skipReason = reason ?? 'skipped without a reason (a defect: every skip must say why)';
      say(`      skipped because: ${check.skipReason}`);
    }
    checks.push(check);
  };
  runner.on(EVENT_TEST_BEGIN, (test: Mocha.Test) => started.set(test, Date.now()));
  runner.on(EVENT_TEST_PASS, (test: Mocha.Test) => add(test, 'passed'));
  runner.on(EVENT_TEST_FAIL, (runnable: Mocha.Runnable, error: Error) => add(runnable, 'failed', error));
  runner.on(EVENT_TEST_PENDING, (test: Mocha.Test) => add(test, 'skipped'));
  return checks;
}
