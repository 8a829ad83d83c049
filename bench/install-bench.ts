/**
 * `npm run bench:install`: what installing the package costs a user. Packs this checkout (prepack
 * builds dist/; the build's and the pack's times are printed) or takes BENCH_TARBALL, prints the tarball's
 * size and file count, installs it into an empty project, then adds the k3s provider's optional
 * peers (testcontainers, @testcontainers/k3s, at the versions our peerDependencies name) on top.
 * For each install: wall time, CPU time (npm and everything it waited for: node-gyp builds
 * included), node_modules size, packages, files and native builds. Wall time swings with the
 * machine's load; CPU time is the steadier figure.
 *
 * Environment: BENCH_TARBALL (a .tgz to measure instead of packing this checkout),
 * BENCH_INSTALL_CACHE=cold (a fresh npm cache: every package downloaded; default: the user's
 * cache, --prefer-offline).
 */
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { procCpu } from './cpu.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface InstallFigures {
  wallS: number;
  cpuS: number;
  megabytes: number;
  packages: number;
  files: number;
  nativeBuilds: number;
}

/** Runs `work` and returns its wall and CPU seconds (our children's, which npm's descendants roll up into once reaped). */
async function timed(work: () => Promise<unknown>): Promise<{ wallS: number; cpuS: number }> {
  const before = procCpu('self').children;
  const startedAt = performance.now();
  await work();
  return { wallS: (performance.now() - startedAt) / 1000, cpuS: (procCpu('self').children - before) / 1000 };
}

async function tree(dir: string): Promise<{ bytes: number; files: number; nativeBuilds: number }> {
  let bytes = 0;
  let files = 0;
  let nativeBuilds = 0;
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    bytes += (await stat(file)).blocks * 512;
    files += 1;
    // A compiled addon (node-gyp's build/Release/x.node), not a prebuilt one shipped in a package.
    if (entry.name.endsWith('.node') && file.includes('/build/Release/') && !file.includes('obj.target')) nativeBuilds += 1;
  }
  return { bytes, files, nativeBuilds };
}

async function install(project: string, args: string[], npmArgs: string[]): Promise<InstallFigures> {
  const { wallS, cpuS } = await timed(() => execa('npm', ['i', '--no-audit', '--no-fund', ...npmArgs, ...args], { cwd: project }));
  const listed = await execa('npm', ['ls', '--all', '--parseable'], { cwd: project, reject: false });
  const { bytes, files, nativeBuilds } = await tree(path.join(project, 'node_modules'));
  return { wallS, cpuS, megabytes: bytes / 1e6, packages: listed.stdout.split('\n').filter(Boolean).length - 1, files, nativeBuilds };
}

function line(title: string, f: InstallFigures): string {
  return `${title}: wall ${f.wallS.toFixed(1)} s, cpu ${f.cpuS.toFixed(1)} s, node_modules ${f.megabytes.toFixed(0)} MB, ${f.packages} packages, ${f.files} files, ${f.nativeBuilds} native builds`;
}

const scratch = await mkdtemp(path.join(os.tmpdir(), 'pc-install-bench-'));
const removeScratch = (): Promise<void> => rm(scratch, { recursive: true, force: true });
process.once('SIGINT', () => void removeScratch().then(() => process.exit(130)));
try {
  let tarball = process.env['BENCH_TARBALL'];
  if (!tarball) {
    let packed: { filename: string; size: number; unpackedSize: number; entryCount: number }[] = [];
    // The build first, on its own (prepack would run it, and mix its lines into pack's JSON).
    const build = await timed(() => execa('npm', ['run', '--silent', 'build'], { cwd: ROOT }));
    const { wallS, cpuS } = await timed(async () => {
      packed = JSON.parse((await execa('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', scratch], { cwd: ROOT })).stdout) as typeof packed;
    });
    const [made] = packed;
    if (!made) throw new Error('npm pack made no tarball');
    tarball = path.join(scratch, made.filename);
    process.stdout.write(`build: wall ${build.wallS.toFixed(1)} s, cpu ${build.cpuS.toFixed(1)} s\n`);
    process.stdout.write(`pack: wall ${wallS.toFixed(1)} s, cpu ${cpuS.toFixed(1)} s; ${made.filename}: ${(made.size / 1e3).toFixed(0)} kB packed, ${(made.unpackedSize / 1e3).toFixed(0)} kB unpacked, ${made.entryCount} files\n`);
  }
  const cache = process.env['BENCH_INSTALL_CACHE'] === 'cold' ? ['--cache', path.join(scratch, 'npm-cache')] : ['--prefer-offline'];
  const project = path.join(scratch, 'project');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'install-bench', version: '1.0.0', private: true }, null, 2));
  process.stdout.write(`${line('install', await install(project, [tarball], cache))}\n`);
  const manifest = JSON.parse((await execa('tar', ['-xOzf', tarball, 'package/package.json'])).stdout) as { peerDependencies?: Record<string, string> };
  const peers = Object.entries(manifest.peerDependencies ?? {}).map(([name, range]) => `${name}@${range}`);
  if (peers.length > 0) process.stdout.write(`${line(`+ npm i -D ${peers.join(' ')}`, await install(project, ['-D', ...peers], cache))}\n`);
  process.stdout.write(`load average ${(await execa('cut', ['-d', ' ', '-f1-3', '/proc/loadavg'])).stdout}\n`);
} finally {
  await removeScratch();
}
