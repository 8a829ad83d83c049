/**
 * Builds another pause image as an OCI archive, to show the upgrade check on the embedded node:
 * a run with the default sandbox image, a run with this one (`--sandbox-image-tar FILE`), then
 * `pause-conformance diff` reports what changed.
 * - default: the same catatonit as the default image under another reference and path, so the
 *   image id and the pause command line change while the pause behaviour does not;
 * - --no-reap: a "pause" that only sleeps (busybox sleep as PID 1) and never reaps orphans, a
 *   deliberately broken sandbox image whose run the diff must flag as a regression.
 *
 *   node scripts/make-alt-pause-image.ts OUT.tar [--no-reap] [--reference REF]
 */
import { access, copyFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildOciImage, type ImageSpec, type RootfsEntry } from '../lib/runtime/oci-image.ts';
import { BUSYBOX_PATH, CATATONIT_PATH } from '../lib/runtime/local-images.ts';
import { errnoCode } from '../lib/linux/errno.ts';

const USAGE = 'usage: node scripts/make-alt-pause-image.ts OUT.tar [--no-reap] [--reference REF]';

function spec(noReap: boolean, reference: string | undefined): { spec: ImageSpec; source: string } {
  const dirs: RootfsEntry[] = ['proc', 'sys', 'dev', 'etc', 'tmp', 'var', 'run'].map((dir) => ({ kind: 'dir', path: dir }));
  if (noReap) {
    return {
      source: BUSYBOX_PATH,
      spec: {
        reference: reference ?? 'localhost/pause-conformance/pause:no-reap',
        entries: [...dirs, { kind: 'file', path: 'bin/busybox', source: BUSYBOX_PATH }, { kind: 'symlink', path: 'bin/sleep', target: 'busybox' }],
        // PID 1 of the pod that waits for nothing: an orphan that exits stays a zombie.
        entrypoint: ['/bin/sleep', '2147483647'],
      },
    };
  }
  return {
    source: CATATONIT_PATH,
    spec: {
      reference: reference ?? 'localhost/pause-conformance/pause:alt',
      entries: [...dirs, { kind: 'file', path: 'sbin/catatonit-pause', source: CATATONIT_PATH }],
      entrypoint: ['/sbin/catatonit-pause', '-P'],
    },
  };
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { 'no-reap': { type: 'boolean' }, reference: { type: 'string' } }, allowPositionals: true, strict: true });
  } catch (error) {
    process.stderr.write(`make-alt-pause-image: ${error instanceof Error ? error.message : String(error)}. ${USAGE}\n`);
    return 2;
  }
  const [out] = parsed.positionals;
  if (!out || parsed.positionals.length > 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const { spec: image, source } = spec(Boolean(parsed.values['no-reap']), parsed.values.reference);
  if (!(await access(source).then(() => true, () => false))) {
    process.stderr.write(`make-alt-pause-image: ${source} not found: the image is built from it. Install it (apt-get install catatonit busybox-static).\n`);
    return 2;
  }
  const work = await mkdtemp(path.join(os.tmpdir(), 'pc-alt-pause-'));
  try {
    const built = await buildOciImage(image, work);
    try {
      await copyFile(built.archive, out);
    } catch (error) {
      process.stderr.write(`make-alt-pause-image: cannot write ${out}: ${errnoCode(error) ?? String(error)}. Pass a path in a directory that exists.\n`);
      return 2;
    }
    process.stdout.write(`${out}: ${image.reference}, image id ${built.configDigest}, entrypoint ${image.entrypoint.join(' ')}\n`);
    return 0;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

process.exitCode = await main(process.argv.slice(2));
