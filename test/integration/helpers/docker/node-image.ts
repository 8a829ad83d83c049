/**
 * The test node image in the private engine: fixtures/node-image/build.sh (mmdebstrap + docker
 * import, no registry), with the project's own pause and app OCI archives baked in. The recipe's
 * tag is a cache key, so a warm machine only looks the image up (~0.2 s); a cold one builds it
 * (~45 s). The OCI archives are rebuilt each time (deterministic digests, well under a second).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { buildOciImage } from '../../../../lib/runtime/oci-image.ts';
import { appImageSpec, pauseImageSpec } from '../../../../lib/runtime/local-images.ts';
import { ENGINE_HOST } from './engine-layout.ts';

export const BUILD_SCRIPT = fileURLToPath(new URL('../../../../fixtures/node-image/build.sh', import.meta.url));
/** Where the OCI archives the image bakes in are made (kept: the key hashes them). */
const IMAGES_DIR = '/var/cache/pause-conformance/node-image/images';
const BUILD_TIMEOUT_MS = 10 * 60_000;

export interface NodeImage {
  reference: string;
  cached: boolean;
  ms: number;
}

/** The image's reference from build.sh's last line: "image: <ref> (cached|built in N s)". */
export function parseBuildResult(stdout: string): { reference: string; cached: boolean } | undefined {
  const match = /^image: (\S+) \((cached|built in \d+ s)\)$/m.exec(stdout.trim().split('\n').at(-1) ?? '');
  return match ? { reference: match[1]!, cached: match[2] === 'cached' } : undefined;
}

export async function ensureNodeImage(): Promise<NodeImage> {
  const t0 = Date.now();
  await buildOciImage(pauseImageSpec(), path.join(IMAGES_DIR, 'pause'));
  await buildOciImage(appImageSpec(), path.join(IMAGES_DIR, 'app'));
  const result = await execa('bash', [BUILD_SCRIPT, IMAGES_DIR], {
    env: { DOCKER_HOST: ENGINE_HOST },
    reject: false,
    stdin: 'ignore',
    timeout: BUILD_TIMEOUT_MS,
    all: true,
  });
  const built = parseBuildResult(String(result.stdout));
  if (result.exitCode !== 0 || !built) {
    const why = result.timedOut ? `did not finish within ${BUILD_TIMEOUT_MS / 1000} s` : `exit ${result.exitCode ?? 'none'}`;
    throw new Error(`${BUILD_SCRIPT} ${IMAGES_DIR} failed (${why}): ${String(result.all).trim().split('\n').slice(-5).join(' | ')}`);
  }
  return { ...built, ms: Date.now() - t0 };
}
