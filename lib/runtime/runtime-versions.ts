/**
 * The container runtimes the embedded node can run, by the names the command line takes
 * (--runtime containerd@2.1, --oci-runtime crun). Each containerd names where its binaries come
 * from: Debian stable's package as installed by apt (1.6), or a .deb of a newer Debian suite
 * fetched once into a cache of the harness's own and never installed (1.7 from trixie, 2.1 from
 * sid); and the config version it reads natively (containerd 2.x reads version 3 and would
 * migrate a version 2 file at every start, leaving NRI on).
 */

export const CONTAINERD_CHOICES = ['containerd@1.6', 'containerd@1.7', 'containerd@2.1'] as const;
export type ContainerdChoice = (typeof CONTAINERD_CHOICES)[number];

/**
 * containerd 1.7 by default: of the three, the one release that passes every check here (measured
 * 2026-12-03, Debian trixie's 1.7.24), so a default run that fails means the machine or the pause
 * image, not a known runtime defect. 1.6.20 answers NOT_FOUND to StopPodSandbox of an unknown id
 * (suite 120, containerd#10520) and stays the "before" of the upgrade check; 2.1.9 leaves the
 * shim of a sandbox whose pause was killed (containerd#10421) and stays selectable with that
 * defect shown. README.md ("Which containerd") says so; test/integration/runtimes.test.ts asserts
 * each verdict.
 */
export const DEFAULT_CONTAINERD: ContainerdChoice = 'containerd@1.7';

export const OCI_RUNTIME_CHOICES = ['runc', 'crun'] as const;
export type OciRuntimeChoice = (typeof OCI_RUNTIME_CHOICES)[number];

/** Binaries of Debian stable's packages, installed by apt like the rest of the node. */
export const OCI_RUNTIME_BINARIES: Record<OciRuntimeChoice, string> = { runc: '/usr/sbin/runc', crun: '/usr/bin/crun' };

/** containerd as Debian stable installs it. */
export interface SystemPackageSource {
  kind: 'system';
  debianPackage: string;
  binDir: string;
}

/** containerd from a Debian suite's archive, fetched as a .deb into the cache (runtime-cache.ts). */
export interface ArchiveSource {
  kind: 'archive';
  /** The Debian suite whose Packages index names it: trixie, sid. */
  suite: string;
  debianPackage: string;
  /** The upstream minor the suite's candidate must be (the suite moves: sid may carry 2.2 one day). */
  versionPrefix: string;
}

export interface ContainerdRelease {
  choice: ContainerdChoice;
  /** The upstream minor: 1.6, 1.7, 2.1 (RELEASES.md's unit for upgrade paths and end of life). */
  minor: string;
  source: SystemPackageSource | ArchiveSource;
  /** The config version this containerd reads without migrating it. */
  configVersion: 2 | 3;
}

export const CONTAINERD_RELEASES: Record<ContainerdChoice, ContainerdRelease> = {
  'containerd@1.6': { choice: 'containerd@1.6', minor: '1.6', source: { kind: 'system', debianPackage: 'containerd', binDir: '/usr/bin' }, configVersion: 2 },
  'containerd@1.7': { choice: 'containerd@1.7', minor: '1.7', source: { kind: 'archive', suite: 'trixie', debianPackage: 'containerd', versionPrefix: '1.7.' }, configVersion: 2 },
  'containerd@2.1': { choice: 'containerd@2.1', minor: '2.1', source: { kind: 'archive', suite: 'sid', debianPackage: 'containerd', versionPrefix: '2.1.' }, configVersion: 3 },
};

/** Where a containerd's three binaries are once it is on this machine. */
export interface ContainerdBinaries {
  containerd: string;
  ctr: string;
  shim: string;
  /** How they came: "Debian package containerd 1.6.20~ds1-1+deb12u1 (installed)" or the cached .deb with its sha256. */
  origin: string;
}
