/** Imports an OCI archive into the embedded containerd's k8s.io namespace, where the CRI looks. */
import { execa } from 'execa';

const IMPORT_TIMEOUT_MS = 120_000;

/** `ctr` is the running containerd's own (an older ctr may not speak to a newer containerd's API). */
export async function importImage(socket: string, archive: string, ctr = 'ctr'): Promise<void> {
  // Bounded: a containerd that stopped answering must not hang the run.
  const result = await execa(ctr, ['--address', socket, '--namespace', 'k8s.io', 'images', 'import', archive], { reject: false, all: true, timeout: IMPORT_TIMEOUT_MS });
  if (result.timedOut) throw new Error(`ctr images import ${archive} did not finish within ${IMPORT_TIMEOUT_MS / 1000} s: ${result.all.trim().split('\n').slice(-2).join(' | ') || 'no output'}`);
  if (result.exitCode !== 0) {
    throw new Error(`ctr images import ${archive} failed (exit ${result.exitCode}): ${result.all.trim().split('\n').slice(-2).join(' | ')}`);
  }
}

/** The image names an archive holds (from its index.json annotations), for --sandbox-image-tar. */
export function referencesInIndex(indexJson: string): string[] {
  const index = JSON.parse(indexJson) as { manifests?: { annotations?: Record<string, string> }[] };
  const names: string[] = [];
  for (const manifest of index.manifests ?? []) {
    const name = manifest.annotations?.['io.containerd.image.name'] ?? manifest.annotations?.['org.opencontainers.image.ref.name'];
    if (name) names.push(name);
  }
  return names;
}

/** Image names in a docker-save manifest.json (RepoTags). */
export function referencesInDockerManifest(manifestJson: string): string[] {
  const manifest = JSON.parse(manifestJson) as { RepoTags?: string[] | null }[];
  return manifest.flatMap((entry) => entry.RepoTags ?? []);
}

/**
 * Reads the image names an archive (OCI layout or `docker save`) carries, without unpacking it,
 * so the sandbox image can be named in containerd's config before containerd starts.
 */
export async function readArchiveReferences(archive: string): Promise<string[]> {
  const { list } = await import('tar');
  const texts = new Map<string, string>();
  await list({
    file: archive,
    filter: (entryPath) => entryPath === 'index.json' || entryPath === 'manifest.json' || entryPath === './index.json' || entryPath === './manifest.json',
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => texts.set(entry.path.replace(/^\.\//, ''), Buffer.concat(chunks).toString('utf8')));
    },
  });
  const fromDocker = texts.has('manifest.json') ? referencesInDockerManifest(texts.get('manifest.json')!) : [];
  if (fromDocker.length > 0) return fromDocker;
  return texts.has('index.json') ? referencesInIndex(texts.get('index.json')!) : [];
}
