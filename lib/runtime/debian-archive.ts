/**
 * A private apt for one Debian suite (trixie, sid): its own sources file, lists, cache and an
 * empty dpkg status, so the system's sources, lists, archives and installed packages are never
 * read or written; only the archive keyring (read) and the system's apt.conf.d (proxy and mirror
 * settings live there) are shared. apt verifies the signed index and the .deb's SHA256 against
 * it at download. Facts behind each option: research containerd-2.1 FINDINGS.md §1.
 */
import { execa } from 'execa';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const DEFAULT_DEBIAN_MIRROR = 'http://deb.debian.org/debian';
const APT_TIMEOUT_MS = 10 * 60_000;

export interface PrivateApt {
  /** Where lists, archives and the sources file live. */
  dir: string;
  suite: string;
  mirror: string;
}

/** Makes the private apt's folders and sources file; returns the -o options every call passes. */
async function aptOptions(apt: PrivateApt): Promise<string[]> {
  await mkdir(path.join(apt.dir, 'lists', 'partial'), { recursive: true });
  await mkdir(path.join(apt.dir, 'archives', 'partial'), { recursive: true });
  await mkdir(path.join(apt.dir, 'preferences.d'), { recursive: true });
  const sources = path.join(apt.dir, `${apt.suite}.sources`);
  await writeFile(sources, `Types: deb\nURIs: ${apt.mirror}\nSuites: ${apt.suite}\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n`);
  // Candidates come from the suite alone, not from what this machine has installed.
  const status = path.join(apt.dir, 'status');
  await writeFile(status, '');
  const settings: Record<string, string> = {
    'Dir::Etc::SourceList': sources,
    'Dir::Etc::SourceParts': '/dev/null',
    'Dir::Etc::Preferences': '/dev/null',
    'Dir::Etc::PreferencesParts': path.join(apt.dir, 'preferences.d'),
    'Dir::State': apt.dir,
    'Dir::State::Lists': path.join(apt.dir, 'lists'),
    'Dir::State::status': status,
    'Dir::Cache': apt.dir,
    'Dir::Cache::archives': path.join(apt.dir, 'archives'),
    'Dir::Cache::pkgcache': '',
    'Dir::Cache::srcpkgcache': '',
    'APT::Architecture': 'amd64',
    'Acquire::Languages': 'none',
    // Fail at once when the archive does not answer: by default apt retries for ~7 s and then
    // exits 0 with a warning, leaving the next step to say "Unable to locate package".
    'Acquire::Retries': '0',
    // The folders are root's; apt's _apt sandbox user could not write them and would warn.
    'APT::Sandbox::User': 'root',
    'DPkg::Lock::Timeout': '600',
  };
  return Object.entries(settings).flatMap(([key, value]) => ['-o', `${key}=${value}`]);
}

export interface AptResult {
  ok: boolean;
  /** apt's last error line ("E: Failed to fetch ... Connection refused"), or its last line. */
  said: string;
  stdout: string;
}

async function apt(tool: 'apt-get' | 'apt-cache', privateApt: PrivateApt, args: string[], cwd?: string): Promise<AptResult> {
  const result = await execa(tool, [...(await aptOptions(privateApt)), ...args], { reject: false, all: true, timeout: APT_TIMEOUT_MS, env: { DEBIAN_FRONTEND: 'noninteractive' }, ...(cwd ? { cwd } : {}) });
  const lines = result.all.trim().split('\n').filter(Boolean);
  const said = result.timedOut ? `${tool} did not finish within ${APT_TIMEOUT_MS / 60_000} minutes` : (lines.filter((line) => line.startsWith('E: ')).at(0) ?? lines.at(-1) ?? `exit ${result.exitCode}`);
  return { ok: result.exitCode === 0 && !result.timedOut, said, stdout: result.stdout };
}

/** Downloads the suite's signed index; any file that fails is an error (--error-on=any), not a warning. */
export function updateLists(privateApt: PrivateApt): Promise<AptResult> {
  return apt('apt-get', privateApt, ['update', '--error-on=any', '-qq']);
}

/** A package's entry in the suite's Packages index: what apt checks the download against. */
export interface PackagesEntry {
  package: string;
  version: string;
  filename: string;
  size: number;
  sha256: string;
}

/** The first stanza of `apt-cache show --no-all-versions` output (the candidate). */
export function parsePackagesEntry(text: string): PackagesEntry | undefined {
  const stanza = text.split(/\n\s*\n/)[0] ?? '';
  const fields = new Map<string, string>();
  for (const line of stanza.split('\n')) {
    const match = /^([A-Za-z0-9-]+):\s*(.*)$/.exec(line);
    if (match) fields.set(match[1]!, match[2]!.trim());
  }
  const size = Number(fields.get('Size'));
  const entry = { package: fields.get('Package'), version: fields.get('Version'), filename: fields.get('Filename'), sha256: fields.get('SHA256') };
  if (!entry.package || !entry.version || !entry.filename || !entry.sha256 || !Number.isInteger(size)) return undefined;
  return { package: entry.package, version: entry.version, filename: entry.filename, sha256: entry.sha256, size };
}

export async function candidate(privateApt: PrivateApt, debianPackage: string): Promise<{ entry?: PackagesEntry; said: string }> {
  const shown = await apt('apt-cache', privateApt, ['show', '--no-all-versions', debianPackage]);
  const entry = shown.ok ? parsePackagesEntry(shown.stdout) : undefined;
  return { ...(entry ? { entry } : {}), said: shown.said };
}

/** `apt-get download PACKAGE=VERSION` into `dir`; apt refuses a file whose hash is not the index's. */
export function download(privateApt: PrivateApt, entry: PackagesEntry, dir: string): Promise<AptResult> {
  return apt('apt-get', privateApt, ['download', '-qq', `${entry.package}=${entry.version}`], dir);
}

/** The file name apt-get download gives a package (the epoch's colon and + are URL-escaped by apt only in URLs). */
export function debFileName(entry: PackagesEntry): string {
  return path.basename(entry.filename);
}
