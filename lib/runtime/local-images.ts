/**
 * The two images the embedded node needs, made from Debian's static binaries:
 * - pause: catatonit in pause mode (`/pause -P`), the same shape as the pause image recorded on a
 *   real node (localhost/pause:catatonit, docs/observations.md);
 * - app: busybox-static with the applets the suites run.
 */
import type { ImageSpec, RootfsEntry } from './oci-image.ts';

export const PAUSE_IMAGE = 'localhost/pause-conformance/pause:catatonit';
export const APP_IMAGE = 'localhost/pause-conformance/busybox:static';

export const CATATONIT_PATH = '/usr/bin/catatonit';
export const BUSYBOX_PATH = '/bin/busybox';

/** Applets the suites and fixtures call; each becomes /bin/<name> -> busybox. */
export const APP_APPLETS = [
  'sh', 'sleep', 'cat', 'echo', 'hostname', 'ip', 'nc', 'readlink', 'ls', 'ps', 'kill', 'true',
  'false', 'test', 'stat', 'mkdir', 'rm', 'grep', 'awk', 'sed', 'head', 'tail', 'wc', 'env', 'id',
  'timeout', 'touch', 'printf', 'seq', 'tr', 'cut', 'ifconfig', 'pidof', 'nsenter', 'wget', 'date',
];

const BASE_DIRS: RootfsEntry[] = ['proc', 'sys', 'dev', 'etc', 'tmp', 'var', 'run'].map((dir) => ({
  kind: 'dir',
  path: dir,
}));

export function pauseImageSpec(reference = PAUSE_IMAGE): ImageSpec {
  return {
    reference,
    entries: [...BASE_DIRS, { kind: 'file', path: 'pause', source: CATATONIT_PATH }],
    entrypoint: ['/pause', '-P'],
  };
}

export function appImageSpec(reference = APP_IMAGE): ImageSpec {
  return {
    reference,
    entries: [
      ...BASE_DIRS,
      { kind: 'file', path: 'bin/busybox', source: BUSYBOX_PATH },
      ...APP_APPLETS.map((applet): RootfsEntry => ({ kind: 'symlink', path: `bin/${applet}`, target: 'busybox' })),
    ],
    entrypoint: ['/bin/sh'],
  };
}
