/**
 * A team's own checks (`run --suites DIR`): the *.spec.ts / *.spec.js files in DIR, run after the
 * built-in suites (or alone, --no-builtin) by the same runner, so they get the same console, JUnit,
 * summary and picture. Everything a team can get wrong about them is found before anything is
 * made, each one line and exit 2: a folder that cannot be read, one without spec files, a type
 * error (typecheck-suites.ts) and a spec that cannot be loaded (suite-runner.ts).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.ts';
import { errnoCode } from '../linux/errno.ts';
import { resolvePackageToThisCopy } from './same-package.ts';
import { SPEC_FILE, suiteFiles } from './suite-files.ts';
import { typecheckSuites } from './typecheck-suites.ts';

/** A team's spec files in DIR, in name order: any *.spec.ts / *.spec.js, no place number needed. */
export function teamSuiteFiles(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    throw new UsageError(`--suites ${dir} cannot be read`, errnoCode(error) ?? 'read error', 'Pass the directory that holds your *.spec.ts / *.spec.js files.');
  }
  const found = names.filter((name) => SPEC_FILE.test(name)).sort().map((name) => path.resolve(dir, name));
  if (found.length === 0) throw new UsageError(`--suites ${dir} holds no spec file`, 'spec files are named *.spec.ts or *.spec.js', 'Pass the directory that holds them.');
  return found;
}

export interface SuiteChoice {
  /** --suites DIR */
  suites?: string;
  /** --no-builtin */
  noBuiltin?: boolean;
}

/** The spec files a run loads, in order: the built-in suites, then the team's (checked). */
export async function suitesOfRun(choice: SuiteChoice, say: (line: string) => void): Promise<string[]> {
  if (!choice.suites) {
    if (choice.noBuiltin) throw new UsageError('--no-builtin needs --suites DIR', 'it leaves the built-in suites out, so only the checks in DIR run', 'Add --suites DIR, or drop --no-builtin.');
    return suiteFiles();
  }
  const team = teamSuiteFiles(choice.suites);
  say((await typecheckSuites(choice.suites, team)).said);
  resolvePackageToThisCopy();
  return [...(choice.noBuiltin ? [] : suiteFiles()), ...team];
}
