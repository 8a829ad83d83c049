/**
 * The real kind binary for the tests: Debian sid packages kind (0.33.0 as of 2026-12), and its
 * binary runs on bookworm (it needs only libc6 >= 2.34). It is fetched once per machine with a
 * private apt (apt-sid.sh: own sources and lists, the system's apt untouched), unpacked with
 * dpkg-deb -x into a cache, never installed.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { parseKindVersion } from '../../../../lib/providers/kind/kind-parsers.ts';

const CACHE = '/var/cache/pause-conformance/kind';
const APT_SID = fileURLToPath(new URL('./apt-sid.sh', import.meta.url));
export const KIND_BINARY = path.join(CACHE, 'root', 'usr', 'bin', 'kind');

async function run(file: string, args: string[], env: Record<string, string> = {}, cwd?: string): Promise<string> {
  const result = await execa(file, args, { env, reject: false, stdin: 'ignore', timeout: 10 * 60_000, all: true, ...(cwd ? { cwd } : {}) });
  if (result.exitCode !== 0) throw new Error(`${[file, ...args].join(' ')} failed (exit ${result.exitCode ?? 'none'}): ${String(result.all).trim().split('\n').slice(-3).join(' | ')}`);
  return String(result.stdout);
}

/** The kind binary and its version; fetched (sid lists + one .deb, ~10-20 s) when the cache lacks it. */
export async function ensureKind(): Promise<{ binary: string; version: string; fetchedMs?: number }> {
  const t0 = Date.now();
  let fetched = false;
  if (!(await stat(KIND_BINARY).then((s) => s.isFile(), () => false))) {
    const aptDir = path.join(CACHE, 'apt');
    const archives = path.join(aptDir, 'archives');
    await run(APT_SID, ['apt-get', '-qq', 'update'], { APTDIR: aptDir });
    await mkdir(archives, { recursive: true });
    // apt-get download writes into the current directory.
    await run(APT_SID, ['apt-get', '-qq', 'download', 'kind'], { APTDIR: aptDir }, archives);
    const deb = (await readdir(archives)).filter((name) => /^kind_.*\.deb$/.test(name)).sort().at(-1);
    if (!deb) throw new Error(`apt-get download kind left no kind_*.deb in ${archives}`);
    await run('dpkg-deb', ['-x', path.join(archives, deb), path.join(CACHE, 'root')]);
    fetched = true;
  }
  const version = parseKindVersion(await run(KIND_BINARY, ['version']))?.version ?? 'unknown';
  return { binary: KIND_BINARY, version, ...(fetched ? { fetchedMs: Date.now() - t0 } : {}) };
}
