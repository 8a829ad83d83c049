/**
 * Builds a single-layer OCI image archive (oci-layout + index.json + blobs) from files on this
 * machine, for `ctr images import`. No registry is reachable here, so the pause and app images
 * are made from Debian's static binaries. The layer is an uncompressed tar made by node-tar with
 * fixed mtimes, so the same inputs give the same digest on every run.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readFile, rm, symlink, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import * as tar from 'tar';

export type RootfsEntry =
  | { kind: 'file'; path: string; source: string; mode?: number }
  | { kind: 'symlink'; path: string; target: string }
  | { kind: 'dir'; path: string };

export interface ImageSpec {
  /** Full reference, e.g. localhost/pause-conformance/pause:catatonit */
  reference: string;
  entries: RootfsEntry[];
  entrypoint: string[];
  cmd?: string[];
  env?: string[];
}

export interface BuiltImage {
  reference: string;
  archive: string;
  manifestDigest: string;
  configDigest: string;
}

const FIXED_MTIME = new Date('2000-01-01T00:00:00Z');

function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' };
  return map[process.arch] ?? process.arch;
}

function sha256(data: Buffer | string): string {
  return 'sha256:' + createHash('sha256').update(data).digest('hex');
}

async function writeBlob(blobsDir: string, data: Buffer | string): Promise<{ digest: string; size: number }> {
  const digest = sha256(data);
  await writeFile(path.join(blobsDir, digest.slice('sha256:'.length)), data);
  return { digest, size: Buffer.byteLength(data) };
}

async function stageRootfs(rootfs: string, entries: RootfsEntry[]): Promise<void> {
  await mkdir(rootfs, { recursive: true });
  for (const entry of entries) {
    const target = path.join(rootfs, entry.path);
    await mkdir(path.dirname(target), { recursive: true });
    if (entry.kind === 'dir') await mkdir(target, { recursive: true });
    else if (entry.kind === 'symlink') await symlink(entry.target, target);
    else {
      await copyFile(entry.source, target);
      await chmod(target, entry.mode ?? 0o755);
    }
  }
}

/** Builds `spec` under `workDir` and returns the archive path and digests. */
export async function buildOciImage(spec: ImageSpec, workDir: string): Promise<BuiltImage> {
  await rm(workDir, { recursive: true, force: true });
  const rootfs = path.join(workDir, 'rootfs');
  const layout = path.join(workDir, 'layout');
  const blobs = path.join(layout, 'blobs', 'sha256');
  await mkdir(blobs, { recursive: true });
  await stageRootfs(rootfs, spec.entries);

  const layerFile = path.join(workDir, 'layer.tar');
  await tar.create({ file: layerFile, cwd: rootfs, portable: true, mtime: FIXED_MTIME }, ['.']);
  const layer = await writeBlob(blobs, await readFile(layerFile));

  const config = JSON.stringify({
    created: FIXED_MTIME.toISOString(),
    architecture: goArch(),
    os: 'linux',
    config: {
      Entrypoint: spec.entrypoint,
      ...(spec.cmd ? { Cmd: spec.cmd } : {}),
      Env: spec.env ?? ['PATH=/bin:/usr/bin:/sbin:/usr/sbin'],
      WorkingDir: '/',
    },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
    history: [{ created: FIXED_MTIME.toISOString(), created_by: 'pause-conformance image builder' }],
  });
  const configBlob = await writeBlob(blobs, config);

  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...configBlob },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  });
  const manifestBlob = await writeBlob(blobs, manifest);

  const tag = spec.reference.slice(spec.reference.lastIndexOf(':') + 1);
  const index = {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        ...manifestBlob,
        platform: { architecture: goArch(), os: 'linux' },
        // ctr import names the image after this annotation.
        annotations: { 'io.containerd.image.name': spec.reference, 'org.opencontainers.image.ref.name': tag },
      },
    ],
  };
  await writeFile(path.join(layout, 'index.json'), JSON.stringify(index));
  await writeFile(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));

  const archive = path.join(workDir, 'image.tar');
  await tar.create({ file: archive, cwd: layout, portable: true, mtime: FIXED_MTIME }, ['oci-layout', 'index.json', 'blobs']);
  await rm(rootfs, { recursive: true, force: true });
  await rm(layout, { recursive: true, force: true });
  await rm(layerFile, { force: true });
  return { reference: spec.reference, archive, manifestDigest: manifestBlob.digest, configDigest: configBlob.digest };
}
