/**
 * A team's own checks (`run --suites DIR`) that cannot run, each through the real CLI: one line
 * naming the file and the problem, exit 2, no stack trace, nothing started (no run directory,
 * no bridge, no report directory). The type check uses a real tsc, the repository's own
 * TypeScript linked into a scratch project as a team's install would have it.
 */
import { expect } from 'chai';
import { mkdir, stat, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { REPO, runCli } from './helpers/cli.ts';
import { changesSince, machineState } from './helpers/machine.ts';
import { tempDir } from './helpers/temp-dirs.ts';

interface Case {
  name: string;
  /** Spec files of the --suites folder (none: the folder is not made). */
  files?: Record<string, string>;
  /** Whether the folder sits in a project that has typescript installed. */
  typescript?: boolean;
  extraArgs?: string[];
  message: (dir: string) => RegExp;
  /** A line stdout must show (the type check's). */
  said?: (dir: string) => RegExp;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const SPEC_PASSING = 'describe("a team check", function () {\n  it("passes", function () {});\n});\n';

const CASES: Case[] = [
  { name: 'a folder that does not exist', message: (dir) => new RegExp(`^--suites ${escape(dir)} cannot be read: ENOENT\\. Pass the directory that holds your \\*\\.spec\\.ts / \\*\\.spec\\.js files\\.$`) },
  { name: 'a folder without spec files', files: { 'notes.md': '# not a spec\n', 'helper.ts': 'export const x = 1;\n' }, message: (dir) => new RegExp(`^--suites ${escape(dir)} holds no spec file: spec files are named \\*\\.spec\\.ts or \\*\\.spec\\.js\\.`) },
  {
    name: 'a .ts spec with a syntax error',
    files: { 'a.spec.ts': 'describe("x", function () {\n  it("y", function () { const a = ; });\n});\n' },
    message: (dir) => new RegExp(`^--suites: ${escape(dir)}/a\\.spec\\.ts:2 cannot be loaded: Expression expected\\. Fix the spec file, then run it again\\.$`),
  },
  {
    name: 'a .js spec with a syntax error (V8 keeps its line off the error: node --check finds it)',
    files: { 'b.spec.js': 'describe("x", function () {\n  it("y", function () {\n    const a = ;\n  });\n});\n' },
    message: (dir) => new RegExp(`^--suites: ${escape(dir)}/b\\.spec\\.js:3 cannot be loaded: Unexpected token ';'\\.`),
  },
  { name: 'TypeScript that Node cannot strip (an enum)', files: { 'c.spec.ts': 'enum Mode { A }\nexport const mode = Mode.A;\n' }, message: (dir) => new RegExp(`^--suites: ${escape(dir)}/c\\.spec\\.ts:1 cannot be loaded: TypeScript enum is not supported in strip-only mode\\.`) },
  {
    name: 'an import of something the package does not export',
    files: { 'd.spec.js': "import { nothingOfThatName } from 'pause-conformance/package.json' with { type: 'json' };\nexport default nothingOfThatName;\n" },
    message: (dir) => new RegExp(`^--suites: ${escape(dir)}/d\\.spec\\.js(:\\d+)? cannot be loaded: .*does not provide an export named 'nothingOfThatName'`),
  },
  {
    name: 'a spec that throws while its checks are declared, in a helper of its own',
    files: { 'e.spec.ts': "import { broken } from './helper.ts';\ndescribe('x', function () {\n  broken();\n});\n", 'helper.ts': "export function broken(): void {\n  throw new Error('the helper broke');\n}\n" },
    message: (dir) => new RegExp(`^--suites: ${escape(dir)}/e\\.spec\\.ts:3 cannot be loaded: the helper broke\\.`),
  },
  {
    name: 'a type error, in a project that has typescript (its tsc, strict defaults without a tsconfig.json)',
    typescript: true,
    files: { 'f.spec.ts': 'describe("x", function () {\n  it("y", function () {\n    const count: number = "three";\n    void count;\n  });\n});\n' },
    message: (dir) => new RegExp(`^--suites: ${escape(dir)}/f\\.spec\\.ts:3 has a type error: TS2322: Type 'string' is not assignable to type 'number'\\. Fix it \\(your tsc reports it too\\), then run it again\\.$`),
  },
  {
    name: 'without typescript in the project: the type check is skipped, said in one line, and the run goes on (here to --grep, which matches nothing)',
    files: { 'g.spec.ts': SPEC_PASSING },
    extraArgs: ['--grep', 'no check has this title'],
    said: (dir) => new RegExp(`^type check skipped: typescript is not installed in ${escape(path.dirname(dir))}$`, 'm'),
    message: () => /^--grep no check has this title matches no check: /,
  },
  { name: '--no-builtin without --suites', extraArgs: ['--no-builtin'], message: () => /^--no-builtin needs --suites DIR: it leaves the built-in suites out, so only the checks in DIR run\. Add --suites DIR, or drop --no-builtin\.$/ },
];

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

async function exists(file: string): Promise<boolean> {
  return stat(file).then(() => true, () => false);
}

/** A scratch project (package.json) holding the --suites folder `checks/`, with the repository's typescript linked in when asked. */
async function project(testCase: Case): Promise<string> {
  const root = tempDir('team-suites');
  await writeFile(path.join(root, 'package.json'), JSON.stringify({ name: 'team-checks', private: true, type: 'module' }));
  if (testCase.typescript) {
    await mkdir(path.join(root, 'node_modules', '@types'), { recursive: true });
    for (const name of ['typescript', '@typescript', '@types/mocha', '@types/node']) await symlink(path.join(REPO, 'node_modules', name), path.join(root, 'node_modules', name));
  }
  const dir = path.join(root, 'checks');
  if (testCase.files) {
    await mkdir(dir);
    for (const [name, text] of Object.entries(testCase.files)) await writeFile(path.join(dir, name), text);
  }
  return dir;
}

describe('run --suites with specs that cannot run: one line naming the file, exit 2, nothing started', function () {
  this.timeout(90_000);

  for (const testCase of CASES) {
    it(testCase.name, async function () {
      const dir = await project(testCase);
      const reportDir = path.join(path.dirname(dir), 'reports');
      const before = await machineState();
      const suites = testCase.name.startsWith('--no-builtin') ? [] : ['--suites', dir];
      const result = await runCli(['run', ...suites, '--report-dir', reportDir, ...(testCase.extraArgs ?? [])]);
      const stderrLines = result.stderr.split('\n').filter((line) => line.trim() !== '');
      const context = `stderr: ${result.stderr.trim() || '(empty)'}; stdout: ${result.stdout.trim().split('\n').slice(-3).join(' | ')}`;
      expect(result.exitCode, `exit code; ${context}`).to.equal(2);
      expect(stderrLines, `stderr lines; ${context}`).to.have.length(1);
      expect(stderrLines[0]!.replace(/^pause-conformance: /, '')).to.match(testCase.message(dir));
      if (testCase.said) expect(result.stdout).to.match(testCase.said(dir));
      expect(result.stdout, 'nothing started').to.not.match(/^pause-conformance run [0-9a-f]{8}:/m);
      expect(result.stderr + result.stdout, 'no stack trace').to.not.match(STACK);
      expect(await exists(reportDir), 'no report directory').to.equal(false);
      expect(await changesSince(before), 'left on the machine').to.deep.equal([]);
    });
  }
});
