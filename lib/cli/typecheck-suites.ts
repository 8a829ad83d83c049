/**
 * Type errors in a team's spec files (--suites): Node strips types without checking them, so a
 * spec with a type error would load and fail, or worse pass, at run time. When the team's project
 * has TypeScript installed, its own tsc checks the specs before anything is started, with the
 * project's nearest tsconfig.json (or, without one, strict defaults for Node's ESM); only errors
 * inside the spec files count (their tsconfig may cover more than the specs). Without TypeScript
 * there is nothing to check with: one line says so, and what Node itself refuses is still caught
 * when the specs load. TypeScript is not a dependency of this package: a 30 MB native compiler
 * a run without specs of its own never needs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { execa } from 'execa';
import { UsageError } from '../errors.ts';

const TSC_TIMEOUT_MS = 180_000;

/** The tsc script of the typescript package that `fromDir` would import, or undefined when it has none. */
export function typescriptCompiler(fromDir: string): string | undefined {
  let manifestFile: string;
  try {
    manifestFile = createRequire(path.join(path.resolve(fromDir), 'resolve-from-here.js')).resolve('typescript/package.json');
  } catch {
    return undefined;
  }
  const tsc = (JSON.parse(readFileSync(manifestFile, 'utf8')) as { bin?: Record<string, string> }).bin?.['tsc'];
  return tsc ? path.join(path.dirname(manifestFile), tsc) : undefined;
}

/** The folder of the project around `dir`: the nearest one holding a package.json (or `dir`). */
export function projectDir(dir: string): string {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, 'package.json'))) return at;
    if (path.dirname(at) === at) return path.resolve(dir);
  }
}

/** The tsconfig.json nearest to `dir`, not looking past the project's own folder. */
function nearestTsconfig(dir: string, project: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    if (existsSync(path.join(at, 'tsconfig.json'))) return path.join(at, 'tsconfig.json');
    if (at === project || path.dirname(at) === at) return undefined;
  }
}

/** Without a tsconfig: what a Node 24 ESM project of specs would use (Node strips, tsc checks). */
const DEFAULT_FLAGS = ['--strict', '--target', 'es2024', '--module', 'nodenext', '--allowImportingTsExtensions', '--skipLibCheck', '--types', 'node,mocha'];

export interface TypeCheck {
  /** One line for the console: what was checked, or why nothing was. */
  said: string;
}

/**
 * Checks the .ts spec files of `files` with the team's tsc; throws one line (file:line, the
 * error) for the first type error in them. A spec the tsconfig does not cover is named in the
 * returned line, not checked: the team's editor does not check it either.
 */
export async function typecheckSuites(dir: string, files: string[]): Promise<TypeCheck> {
  const specs = files.filter((file) => file.endsWith('.ts'));
  const project = projectDir(dir);
  if (specs.length === 0) return { said: 'type check: no .ts spec file' };
  const tsc = typescriptCompiler(dir);
  if (!tsc) return { said: `type check skipped: typescript is not installed in ${project}` };
  const tsconfig = nearestTsconfig(dir, project);
  const cwd = tsconfig ? path.dirname(tsconfig) : project;
  const args = tsconfig ? ['--noEmit', '--pretty', 'false', '--listFiles', '-p', tsconfig] : ['--noEmit', '--pretty', 'false', '--listFiles', ...DEFAULT_FLAGS, ...specs];
  const startedAt = Date.now();
  const result = await execa(process.execPath, [tsc, ...args], { reject: false, cwd, timeout: TSC_TIMEOUT_MS });
  if (result.timedOut) throw new UsageError(`--suites: the type check of ${dir} did not finish`, `tsc ran for ${TSC_TIMEOUT_MS / 1000} s`, 'Run `npx tsc --noEmit` in your project to see why.');
  const listed = new Set<string>();
  for (const line of result.stdout.split('\n')) {
    const error = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
    if (!error) {
      if (path.isAbsolute(line.trim())) listed.add(line.trim());
      continue;
    }
    const [, file, row, , code, message] = error as unknown as [string, string, string, string, string, string];
    const where = path.resolve(cwd, file);
    if (!specs.includes(where)) continue;
    throw new UsageError(`--suites: ${where}:${row} has a type error`, `${code}: ${message.replace(/\.$/, '')}`, 'Fix it (your tsc reports it too), then run it again.');
  }
  const uncovered = specs.filter((spec) => !listed.has(spec));
  const took = `${((Date.now() - startedAt) / 1000).toFixed(1)} s`;
  const how = tsconfig ? `with ${tsconfig}` : 'with strict defaults (no tsconfig.json)';
  const checked = specs.length - uncovered.length;
  return {
    said:
      `type check of ${checked} spec file(s) ${how}: no error (${took})` +
      (uncovered.length > 0 ? `; not in its program, so not checked: ${uncovered.map((file) => path.relative(cwd, file)).join(', ')}` : ''),
  };
}
