/**
 * containerd binaries for the embedded node: Debian stable's installed package (1.6), or a newer
 * suite's .deb fetched ONCE into the cache (default /var/cache/pause-conformance/runtimes) and
 * unpacked there, never installed over the system's.
 *
 * - Fetch: a private apt (debian-archive.ts) downloads the suite's signed index and the .deb;
 *   apt checks the .deb against the index's SHA256. That entry (version, size, SHA256) is recorded
 *   beside the .deb, because the suite moves and the next index may not name this file any more.
 * - Every use: the .deb is hashed again and compared with the record. `apt-get download` does not
 *   recheck a file already present, so a flipped byte would otherwise go unnoticed.
 * - Unpack: `dpkg-deb -x` into a temporary folder, renamed into place once complete: a corrupt
 *   archive fails halfway and has by then written part of its files.
 * All work happens in a temporary folder first: a fetch that fails (no network, a suite that no
 * longer carries this minor) leaves the cache as it was.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { EnvironmentError } from '../errors.ts';
import { candidate, debFileName, download, updateLists, type PackagesEntry } from './debian-archive.ts';
import type { ArchiveSource, ContainerdBinaries, ContainerdRelease } from './runtime-versions.ts';

export const DEFAULT_RUNTIME_CACHE = '/var/cache/pause-conformance';
const COMMAND_TIMEOUT_MS = 120_000;

/** What is recorded beside a fetched .deb (runtimes/<choice>.json). */
export interface CachedDeb {
  choice: string;
  suite: string;
  mirror: string;
  /** The Packages entry apt verified the download against. */
  entry: PackagesEntry;
  /** File name of the .deb under runtimes/. */
  deb: string;
  /** Folder under runtimes/ it is unpacked into. */
  unpacked: string;
  fetchedAt: string;
  fetchMs: number;
}

export interface CacheOptions {
  cacheDir: string;
  mirror: string;
  say: (line: string) => void;
}

export async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const exists = (file: string): Promise<boolean> => stat(file).then(() => true, () => false);

function binariesIn(root: string, origin: string): ContainerdBinaries {
  const bin = path.join(root, 'usr', 'bin');
  return { containerd: path.join(bin, 'containerd'), ctr: path.join(bin, 'ctr'), shim: path.join(bin, 'containerd-shim-runc-v2'), origin };
}

/** Installed package version, for the origin line: "containerd 1.6.20~ds1-1+deb12u3 (Debian package, installed)". */
async function installedVersion(debianPackage: string): Promise<string> {
  const result = await execa('dpkg-query', ['-W', '-f=${Version}', debianPackage], { reject: false, timeout: COMMAND_TIMEOUT_MS });
  return result.exitCode === 0 ? result.stdout.trim() : 'version unknown';
}

/** `dpkg-deb -x` into a temporary folder, renamed to `target` once it is complete. */
async function unpack(deb: string, target: string): Promise<void> {
  const temp = `${target}.unpacking-${process.pid}`;
  await rm(temp, { recursive: true, force: true });
  const result = await execa('dpkg-deb', ['-x', deb, temp], { reject: false, all: true, timeout: COMMAND_TIMEOUT_MS });
  if (result.exitCode !== 0) {
    await rm(temp, { recursive: true, force: true });
    throw new Error(`dpkg-deb -x ${deb} failed (exit ${result.exitCode}): ${result.all.trim().split('\n').at(-1) ?? ''}`);
  }
  await rm(target, { recursive: true, force: true });
  await rename(temp, target);
}

/** Runs `containerd --version` of an unpacked tree: a newer suite's binaries may need a newer libc. */
async function checkRuns(binaries: ContainerdBinaries, what: string): Promise<string> {
  const result = await execa(binaries.containerd, ['--version'], { reject: false, all: true, timeout: 30_000 });
  if (result.exitCode !== 0) {
    throw new EnvironmentError(`${what} does not run on this machine`, `${binaries.containerd} --version: ${result.all.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`}`, 'Use --runtime containerd@1.6 (Debian stable\'s package) on this machine.');
  }
  return result.stdout.trim();
}

async function readRecord(file: string): Promise<CachedDeb | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as CachedDeb;
  } catch {
    return undefined;
  }
}

/** Fetches the suite's candidate into `runtimes`, all work in a temporary folder removed on every path. */
async function fetchInto(release: ContainerdRelease, source: ArchiveSource, runtimes: string, options: CacheOptions): Promise<CachedDeb> {
  const what = `${release.choice} (Debian ${source.suite}'s ${source.debianPackage} package)`;
  const t0 = Date.now();
  const work = path.join(runtimes, `.fetch-${source.suite}-${process.pid}`);
  const privateApt = { dir: path.join(work, 'apt'), suite: source.suite, mirror: options.mirror };
  const todo = `Run where ${options.mirror} is reachable (or pass --debian-mirror URL), or use --runtime containerd@1.6, which this machine's packages provide.`;
  try {
    options.say(`  fetching ${what} from ${options.mirror} into ${runtimes} (once; later runs use the cache)`);
    const updated = await updateLists(privateApt);
    if (!updated.ok) throw new EnvironmentError(`${release.choice} cannot be fetched`, `Debian's archive ${options.mirror} did not answer (apt-get update: ${updated.said})`, todo);
    const found = await candidate(privateApt, source.debianPackage);
    if (!found.entry) throw new EnvironmentError(`${release.choice} cannot be fetched`, `Debian ${source.suite} has no ${source.debianPackage} package (apt-cache show: ${found.said})`, todo);
    const entry = found.entry;
    if (!entry.version.startsWith(source.versionPrefix)) {
      throw new EnvironmentError(`${release.choice} cannot be fetched`, `Debian ${source.suite} now carries ${source.debianPackage} ${entry.version}, not ${source.versionPrefix}x`, `Choose the --runtime that version is, or another --debian-mirror (a snapshot of the archive).`);
    }
    const debs = path.join(work, 'debs');
    await mkdir(debs, { recursive: true });
    const downloaded = await download(privateApt, entry, debs);
    if (!downloaded.ok) throw new EnvironmentError(`${release.choice} cannot be fetched`, `apt-get download ${entry.package}=${entry.version}: ${downloaded.said}`, todo);
    const deb = debFileName(entry);
    // apt checked it against the signed index; this records the same hash for every later use.
    const sha256 = await sha256Of(path.join(debs, deb));
    if (sha256 !== entry.sha256) throw new EnvironmentError(`${release.choice}: the downloaded ${deb} is not the one Debian's index names`, `sha256 ${sha256}, index ${entry.sha256}`, todo);
    const unpacked = `containerd-${entry.version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`;
    await unpack(path.join(debs, deb), path.join(work, 'unpacked'));
    await checkRuns(binariesIn(path.join(work, 'unpacked'), what), what);
    await rename(path.join(debs, deb), path.join(runtimes, deb));
    await rm(path.join(runtimes, unpacked), { recursive: true, force: true });
    await rename(path.join(work, 'unpacked'), path.join(runtimes, unpacked));
    const record: CachedDeb = { choice: release.choice, suite: source.suite, mirror: options.mirror, entry, deb, unpacked, fetchedAt: new Date().toISOString(), fetchMs: Date.now() - t0 };
    const recordFile = path.join(runtimes, `${release.choice}.json`);
    await writeFile(`${recordFile}.${process.pid}`, JSON.stringify(record, null, 2) + '\n');
    await rename(`${recordFile}.${process.pid}`, recordFile);
    options.say(`  fetched ${entry.package} ${entry.version} (${entry.size} bytes, sha256 ${entry.sha256}) in ${Date.now() - t0} ms`);
    return record;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The folders a fetch would make, so a failed first fetch can leave the machine as it was. */
async function missingParents(dirs: string[]): Promise<string[]> {
  const missing: string[] = [];
  for (const dir of dirs) if (!(await exists(dir))) missing.push(dir);
  return missing;
}

/**
 * The binaries of `release`, fetched and unpacked on first use, verified on every use. A corrupt
 * cached .deb, an archive that does not answer, or binaries that do not run here are one line
 * each (EnvironmentError, exit 2).
 */
export async function containerdBinaries(release: ContainerdRelease, options: CacheOptions): Promise<ContainerdBinaries> {
  const source = release.source;
  if (source.kind === 'system') {
    const bin = source.binDir;
    return { containerd: path.join(bin, 'containerd'), ctr: path.join(bin, 'ctr'), shim: path.join(bin, 'containerd-shim-runc-v2'), origin: `Debian package ${source.debianPackage} ${await installedVersion(source.debianPackage)} (installed by apt)` };
  }
  const runtimes = path.join(options.cacheDir, 'runtimes');
  const recordFile = path.join(runtimes, `${release.choice}.json`);
  let record = await readRecord(recordFile);
  if (!record || !(await exists(path.join(runtimes, record.deb)))) {
    // Children after parents: removed in reverse if the fetch fails.
    const made = await missingParents([options.cacheDir, runtimes]);
    await mkdir(runtimes, { recursive: true, mode: 0o755 });
    try {
      record = await fetchInto(release, source, runtimes, options);
    } catch (error) {
      for (const dir of [...made].reverse()) await rmdir(dir).catch(() => undefined);
      throw error;
    }
  }
  const debPath = path.join(runtimes, record.deb);
  const sha256 = await sha256Of(debPath);
  if (sha256 !== record.entry.sha256) {
    throw new EnvironmentError(
      `the cached ${debPath} is corrupt`,
      `its sha256 is ${sha256}, Debian's index said ${record.entry.sha256} when it was fetched (${record.fetchedAt})`,
      `Remove it and its record (rm ${debPath} ${recordFile}) and run again to fetch it anew.`,
    );
  }
  const what = `${release.choice} (${record.entry.package} ${record.entry.version} from Debian ${record.suite})`;
  const root = path.join(runtimes, record.unpacked);
  const origin = `Debian ${record.suite} package ${record.entry.package} ${record.entry.version}, .deb sha256 ${record.entry.sha256} (verified), unpacked in ${root}`;
  if (!(await exists(path.join(root, 'usr', 'bin', 'containerd')))) {
    try {
      await unpack(debPath, root);
    } catch (error) {
      throw new EnvironmentError(`the cached ${debPath} cannot be unpacked`, error instanceof Error ? error.message : String(error), `Remove it and its record (rm ${debPath} ${recordFile}) and run again to fetch it anew.`);
    }
  }
  const binaries = binariesIn(root, origin);
  await checkRuns(binaries, what);
  return binaries;
}
