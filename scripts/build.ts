/**
 * `npm run build` (prepack runs it): dist/ from scratch, as the package ships it. tsc compiles
 * api/, lib/ and suites/ into JavaScript with .d.ts beside them; every other file under those
 * folders (the CRI proto the client loads at run time) is copied to the same place in dist/, as
 * tsc copies none. Prints how long it took and what it made.
 */
import { cpSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { typescriptCompiler } from '../lib/cli/typecheck-suites.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SOURCES = ['api', 'lib', 'suites'];
const DIST = path.join(ROOT, 'dist');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
}

// Our own tsc (the typescript devDependency), whatever PATH holds.
const tsc = typescriptCompiler(ROOT);
if (!tsc) throw new Error('typescript is not installed: run npm ci first');
const startedAt = Date.now();
rmSync(DIST, { recursive: true, force: true });
await execa(process.execPath, [tsc, '-p', path.join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' });
const assets = SOURCES.flatMap((dir) => filesUnder(path.join(ROOT, dir))).filter((file) => !file.endsWith('.ts'));
for (const file of assets) cpSync(path.join(ROOT, file), path.join(DIST, file));
const built = filesUnder(DIST);
process.stdout.write(`build: dist/ in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: ${built.filter((f) => f.endsWith('.js')).length} .js, ${built.filter((f) => f.endsWith('.d.ts')).length} .d.ts, ${assets.length} copied (${assets.join(', ')})\n`);
