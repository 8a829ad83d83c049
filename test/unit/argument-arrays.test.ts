/**
 * Every external command is run with an argument array: no `shell: true`, no execa command
 * strings or template literals, no child_process exec. A shell string built from input (a path,
 * an image name, a subnet) is how a harness that runs as root turns a typo into a hazard.
 */
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const ROOTS = ['bin', 'lib', 'suites', 'scripts', 'ci', 'bench', 'test'];
const THIS_FILE = fileURLToPath(import.meta.url);

const FORBIDDEN: { name: string; pattern: RegExp }[] = [
  { name: 'shell: true', pattern: /\bshell\s*:\s*(true|['"`])/ },
  { name: 'execaCommand (a command string)', pattern: /\bexecaCommand(Sync)?\b/ },
  { name: 'execa template literal', pattern: /(\bexeca|\bexecaSync|\bexecaNode|(?<=^|[\s(=,;!])\$)(\([^)]*\))?`/ },
  { name: 'child_process exec/execSync (a shell string)', pattern: /\b(exec|execSync)\b[^;]*from\s+['"](node:)?child_process['"]|child_process['"]\)\.(exec|execSync)\b/ },
];

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && entry.name !== 'node_modules') files.push(...(await sourceFiles(full)));
    else if (/\.(ts|js|mjs)$/.test(entry.name)) files.push(full);
  }
  return files;
}

function violations(text: string): string[] {
  return FORBIDDEN.filter(({ pattern }) => pattern.test(text)).map(({ name }) => name);
}

describe('external commands use argument arrays', function () {
  it('the scan recognises each forbidden form (so it can fail)', function () {
    const q = '`';
    expect(violations(`execa('sh', ['-c', x], { shell: true })`)).to.deep.equal(['shell: true']);
    expect(violations(`await execaCommand('ip link del ' + name)`)).to.deep.equal(['execaCommand (a command string)']);
    expect(violations(`await $${q}ip link del ${'${name}'}${q}`)).to.deep.equal(['execa template literal']);
    expect(violations(`await execa({ all: true })${q}crictl ps${q}`)).to.deep.equal(['execa template literal']);
    expect(violations(`import { execSync } from 'node:child_process';`)).to.deep.equal(['child_process exec/execSync (a shell string)']);
    expect(violations(`await execa('ip', ['link', 'del', name], { reject: false })`)).to.deep.equal([]);
  });

  it('no source file runs a command through a shell string', async function () {
    const found: string[] = [];
    let scanned = 0;
    for (const root of ROOTS) {
      for (const file of await sourceFiles(path.join(REPO, root))) {
        if (file === THIS_FILE) continue;
        scanned++;
        const lines = (await readFile(file, 'utf8')).split('\n');
        lines.forEach((line, index) => {
          for (const name of violations(line)) found.push(`${path.relative(REPO, file)}:${index + 1}: ${name}: ${line.trim()}`);
        });
      }
    }
    expect(scanned, 'files scanned').to.be.greaterThan(50);
    expect(found).to.deep.equal([]);
  });
});
