/**
 * The OCI runtime the embedded node's runc shim calls: runc or crun, both Debian stable's.
 *
 * crun 1.8.1 refuses cgroup "hybrid" mode, a cgroup v1 machine whose unified (v2) hierarchy has a
 * controller (here: hugetlb): "cgroups in hybrid mode not supported, drop all controllers from
 * cgroupv2". runc treats the same machine as cgroup v1. On such a machine crun runs through a
 * wrapper written into the run directory, which starts it in a private mount namespace where
 * /sys/fs/cgroup/unified is hidden, so crun sees the cgroup v1 machine runc sees. That is an
 * adaptation to this machine's cgroup layout, named in the report's details; nothing else about
 * crun is changed. In particular the runtime spec is never rewritten: crun 1.8.1 refuses the
 * ociVersion "1.2.1" containerd 2.1 writes ("unknown version specified"), a real incompatibility
 * the run reports through the checks that fail with crun's own message.
 */
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { OCI_RUNTIME_BINARIES, type OciRuntimeChoice } from './runtime-versions.ts';
import type { RunLayout } from './run-layout.ts';

export interface OciRuntime {
  choice: OciRuntimeChoice;
  /** What containerd's BinaryName names: the runtime itself, or the wrapper in the run directory. */
  binary: string;
  /** "crun 1.8.1" from the runtime's own --version, plus the Debian package version. */
  version: string;
  /** Set when the runtime runs through a wrapper: what it does and why. */
  adaptation?: string;
}

const UNIFIED = '/sys/fs/cgroup/unified';

/** True on a cgroup v1 machine whose unified hierarchy carries controllers (crun's "hybrid mode"). */
export async function cgroupHybridWithControllers(root = '/sys/fs/cgroup'): Promise<boolean> {
  const controllers = await readFile(path.join(root, 'unified', 'cgroup.controllers'), 'utf8').catch(() => '');
  const v2Root = await readFile(path.join(root, 'cgroup.controllers'), 'utf8').then(() => true, () => false);
  return !v2Root && controllers.trim() !== '';
}

/** The wrapper's text: crun in a private mount namespace with the unified hierarchy covered. */
export function crunWrapperScript(crun: string): string {
  return `#!/bin/sh
# Written by pause-conformance into this run's directory (docs/upgrade-check.md, "crun").
# crun 1.8.1 refuses cgroup hybrid mode when ${UNIFIED} has controllers; runc treats this
# machine as cgroup v1. Run crun in a private mount namespace where ${UNIFIED} is covered by an
# empty read-only tmpfs, so it sees the same cgroup v1 machine. The runtime spec is not touched.
exec unshare --mount --propagation private /bin/sh -c 'mount -t tmpfs -o size=4k,mode=555 none ${UNIFIED} && exec "$0" "$@"' ${crun} "$@"
`;
}

async function debianVersion(debianPackage: string): Promise<string> {
  const result = await execa('dpkg-query', ['-W', '-f=${Version}', debianPackage], { reject: false, timeout: 30_000 });
  return result.exitCode === 0 ? result.stdout.trim() : 'not installed';
}

/**
 * The runtime's first --version line. crun makes its state root (/run/crun by default) even for
 * --version, so it is pointed at the run's own.
 */
async function ownVersion(choice: OciRuntimeChoice, root: string): Promise<string> {
  const args = choice === 'crun' ? ['--root', root, '--version'] : ['--version'];
  const result = await execa(OCI_RUNTIME_BINARIES[choice], args, { reject: false, timeout: 30_000 });
  return result.exitCode === 0 ? (result.stdout.split('\n')[0] ?? '').replace(/ version /, ' ') : `${choice} (--version exit ${result.exitCode})`;
}

/** Prepares the OCI runtime for a run: its wrapper in the run directory where the machine needs one. */
export async function prepareOciRuntime(choice: OciRuntimeChoice, layout: RunLayout): Promise<OciRuntime> {
  await mkdir(layout.runcRoot, { recursive: true, mode: 0o700 });
  const version = `${await ownVersion(choice, layout.runcRoot)} (Debian package ${choice} ${await debianVersion(choice)})`;
  const binary = OCI_RUNTIME_BINARIES[choice];
  if (choice !== 'crun' || !(await cgroupHybridWithControllers())) return { choice, binary, version };
  const dir = path.join(layout.dir, 'bin');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const wrapper = path.join(dir, 'crun-hide-unified-cgroup');
  await writeFile(wrapper, crunWrapperScript(binary), { mode: 0o700 });
  await chmod(wrapper, 0o700);
  return {
    choice,
    binary: wrapper,
    version,
    adaptation: `crun runs through ${wrapper}: a private mount namespace hides ${UNIFIED} (cgroup hybrid mode with controllers, which crun 1.8.1 refuses), so crun sees the cgroup v1 machine runc sees`,
  };
}
