/**
 * Provider `local`: the embedded node. A private containerd with its own root, state, socket and
 * CNI network under a run directory; never a system containerd, its socket or its images.
 */
import os from 'node:os';
import { LOCAL_RUNTIME_NEEDS_ROOT, requireRoot } from '../common/require-root.ts';
import { CriPodDriver } from '../../pods/cri-driver.ts';
import { embeddedNodeView } from './embedded-node-view.ts';
import { startLocalNodeEvents } from '../../node/local-node-events.ts';
import { startEmbeddedNode } from '../../runtime/embedded-node.ts';
import { claimStaleRun, findStaleRuns, removeStaleTempDirs } from '../../runtime/run-dir.ts';
import { runLayout, RUNS_BASE } from '../../runtime/run-layout.ts';
import { describeResidue, findResidue, removeResidue } from '../../runtime/run-residue.ts';
import { FIXTURE_APP_IMAGE, imageMapper, loadFixtureDir } from '../../pods/fixtures.ts';
import { APP_IMAGE, PAUSE_IMAGE } from '../../runtime/local-images.ts';
import { DEFAULT_SUBNET, validateSubnet } from '../../runtime/subnet.ts';
import { ensurePackages, LOCAL_NODE_REQUIREMENTS } from '../../runtime/system-deps.ts';
import path from 'node:path';
import { defineProvider, type StartedProvider } from '../provider.ts';
import { choice, text } from '../../options.ts';
import type { RuntimeShim, Target, TargetInfo } from '../../target.ts';
import { UsageError } from '../../errors.ts';
import { containerdBinaries, DEFAULT_RUNTIME_CACHE, type CacheOptions } from '../../runtime/runtime-cache.ts';
import { DEFAULT_DEBIAN_MIRROR } from '../../runtime/debian-archive.ts';
import type { CriClient } from '../../cri/client.ts';
import type { ContainerdToRun, RuntimeInUse } from '../../runtime/embedded-node.ts';
import {
  CONTAINERD_CHOICES,
  CONTAINERD_RELEASES,
  DEFAULT_CONTAINERD,
  OCI_RUNTIME_BINARIES,
  OCI_RUNTIME_CHOICES,
  type ContainerdChoice,
  type OciRuntimeChoice,
} from '../../runtime/runtime-versions.ts';
import { imageIdOf } from '../common/runtime-info.ts';

/**
 * Cleans the leftovers of earlier runs that were killed, and says what it removed. Only what
 * carries a dead run's marks is touched (its directory, socket, bridge, network and cgroup
 * names, see run-residue.ts); a run directory whose owner lives is another run's, never ours.
 */
export async function cleanStaleRuns(say: (line: string) => void, base = RUNS_BASE): Promise<void> {
  for (const dir of await removeStaleTempDirs(base)) say(`removed half-made run directory of a killed run: ${dir}`);
  for (const stale of await findStaleRuns(base)) {
    // Another run starting now may be removing it already.
    if (!(await claimStaleRun(stale))) continue;
    const removed = await removeResidue(stale);
    say(`removed leftovers of killed run ${stale.runId}: ${removed.length > 0 ? removed.join(', ') : 'empty run directory'}`);
    const left = describeResidue(await findResidue(stale));
    if (left.length > 0) say(`  could not remove all of killed run ${stale.runId}; still there: ${left.join(', ')}`);
  }
}

/** What `pause-conformance upgrade --to X` asks of this provider: another containerd, or another OCI runtime on the same one. */
export type LocalUpgradeTarget = { containerd: ContainerdChoice } | { oci: OciRuntimeChoice };

export function localUpgradeTarget(to: string): LocalUpgradeTarget {
  if ((CONTAINERD_CHOICES as readonly string[]).includes(to)) return { containerd: to as ContainerdChoice };
  if ((OCI_RUNTIME_CHOICES as readonly string[]).includes(to)) return { oci: to as OciRuntimeChoice };
  throw new UsageError(`--to ${to} is not known`, `the local provider upgrades to ${[...CONTAINERD_CHOICES, ...OCI_RUNTIME_CHOICES].join(', ')}`, 'Pass e.g. --to containerd@2.1, or --to crun.');
}

/** The containerd release and its binaries here: installed (1.6) or from the verified cache (1.7, 2.1). */
async function containerdToRun(choice: ContainerdChoice, cache: CacheOptions): Promise<ContainerdToRun> {
  const release = CONTAINERD_RELEASES[choice];
  return { release, binaries: await containerdBinaries(release, cache) };
}

/** The runtime facts of the report's target: containerd's CRI version, the OCI runtime, the config version, where each came from. */
async function describeRuntime(info: TargetInfo, client: CriClient, runtime: RuntimeInUse): Promise<void> {
  const version = await client.version();
  info.runtimeName = version.runtimeName;
  info.runtimeVersion = version.runtimeVersion;
  info.runtimeApiVersion = version.runtimeApiVersion;
  info.ociRuntime = runtime.oci.version;
  info.runtimeConfigVersion = String(runtime.containerd.release.configVersion);
  info.details['containerd'] = `${runtime.containerd.release.choice}: ${runtime.containerd.binaries.origin}`;
  info.details['containerdConfig'] = `version ${runtime.containerd.release.configVersion}`;
  info.details['ociRuntime'] = `${runtime.oci.version}, BinaryName ${runtime.oci.binary}`;
  if (runtime.oci.adaptation) info.details['ociRuntimeAdaptation'] = runtime.oci.adaptation;
  else delete info.details['ociRuntimeAdaptation'];
}

function runtimeLabel(info: TargetInfo, runtime: RuntimeInUse): string {
  return `${runtime.containerd.release.choice} (${info.runtimeName} ${info.runtimeVersion}, config version ${runtime.containerd.release.configVersion}), ${runtime.oci.version.split(' (')[0]}`;
}

export const localProvider = defineProvider({
  name: 'local',
  summary: 'embedded node: a private containerd + CNI bridge made from Debian packages (default)',
  options: {
    subnet: text('CIDR', "the node's pod subnet; refused if it overlaps a route of this machine", DEFAULT_SUBNET),
    sandboxImageTar: text('FILE', 'use this saved image (docker save / ctr export) as the pause image instead of the built-in one'),
    runtime: choice(CONTAINERD_CHOICES, "the node's containerd: 1.6 is Debian stable's package; 1.7 (trixie) and 2.1 (sid) are fetched once into --runtime-cache", DEFAULT_CONTAINERD),
    ociRuntime: choice(OCI_RUNTIME_CHOICES, "the OCI runtime containerd's shim calls (Debian stable's runc or crun)", 'runc'),
    runtimeCache: text('DIR', 'where fetched containerd .debs are kept, verified and unpacked', DEFAULT_RUNTIME_CACHE),
    debianMirror: text('URL', 'the Debian archive containerd 1.7 and 2.1 are fetched from (a private apt; the system\'s sources are untouched)', DEFAULT_DEBIAN_MIRROR),
  },
  async start(context): Promise<StartedProvider> {
    requireRoot('the local provider', LOCAL_RUNTIME_NEEDS_ROOT);
    const options = context.options;
    const upgrade = context.upgradeTo === undefined ? undefined : localUpgradeTarget(context.upgradeTo);
    const ociRuntimes = new Set<OciRuntimeChoice>([options.ociRuntime, ...(upgrade && 'oci' in upgrade ? [upgrade.oci] : [])]);
    const requirements = [...LOCAL_NODE_REQUIREMENTS, ...[...ociRuntimes].map((oci) => ({ file: OCI_RUNTIME_BINARIES[oci], debianPackage: oci }))];
    await context.step('system packages present', () => ensurePackages(requirements, context.say));
    const cache: CacheOptions = { cacheDir: options.runtimeCache, mirror: options.debianMirror, say: context.say };
    // Before anything is made: an archive that does not answer or a corrupt cache is one line, exit 2.
    const containerd = await context.step(`${options.runtime} binaries`, () => containerdToRun(options.runtime, cache));
    context.say(`    ${containerd.binaries.origin}`);
    const upgradeContainerd = upgrade && 'containerd' in upgrade ? await context.step(`${upgrade.containerd} binaries (the upgrade's)`, () => containerdToRun(upgrade.containerd, cache)) : undefined;
    if (upgradeContainerd) context.say(`    ${upgradeContainerd.binaries.origin}`);
    const subnet = await validateSubnet(context.options.subnet);
    const fixtures = await loadFixtureDir(context.common.fixtures);
    await context.step('leftovers of killed runs checked', () => cleanStaleRuns(context.say));
    const layout = runLayout(context.runId);
    // The run's leak check comes from a started provider; a start that fails or is interrupted
    // gets it here instead. Registered first, so it runs after every other undo of the node.
    let startedUp = false;
    context.undo.push(`leak check of a run that did not start (${layout.dir})`, async () => {
      if (startedUp) return;
      const left = describeResidue(await findResidue(layout));
      if (left.length > 0) throw new Error(`${left.length} left: ${left.join('; ')}`);
      context.say('  ✓ leak check: nothing of this run is left');
    });
    const node = await startEmbeddedNode({
      layout,
      subnet: subnet.text,
      containerd,
      oci: options.ociRuntime,
      ...(context.options.sandboxImageTar ? { sandboxImageTar: context.options.sandboxImageTar } : {}),
      undo: context.undo,
      step: context.step,
    });
    const pods = new CriPodDriver(node.client, {
      runId: context.runId,
      namespace: `pause-conformance-${context.runId}`,
      logRoot: path.join(layout.dir, 'pod-logs'),
      logRootIsLocal: true,
      cgroupParent: layout.cgroupParent,
      imageFor: imageMapper(context.common.appImage ?? node.appImage),
      undo: context.undo,
    });
    const events = await context.step('change sources: containerd task events, inotify, ip monitor', () => startLocalNodeEvents({ containerdSocket: layout.socket, containerdNamespace: 'k8s.io', criEndpoint: layout.socket }));
    context.undo.push('stop the change sources (event stream, inotify, ip monitor)', () => events.close());
    await context.step('fixture images present on the node', () =>
      pods.requireImages(fixtures, `The embedded node has ${APP_IMAGE} (what ${FIXTURE_APP_IMAGE} in a fixture runs as) and ${PAUSE_IMAGE}; name one of those, or pass --app-image with an image the node has.`),
    );
    const target: Target = {
      info: {
        provider: 'local',
        nodeName: os.hostname(),
        runtimeName: '',
        runtimeVersion: '',
        runtimeApiVersion: '',
        sandboxImage: node.sandboxImage,
        ...(await imageIdOf(node.client, node.sandboxImage)),
        kernel: os.release(),
        details: { runDir: layout.dir, socket: layout.socket, subnet: subnet.text, bridge: layout.bridgeName, cniNetwork: layout.networkName, containerdPid: String(node.containerdPid()) },
      },
      capabilities: { kubelet: false, containerAttempts: true, ipamVisible: true, linksVisible: true },
      pods,
      controls: {
        restartRuntime: async () => {
          const restarted = await node.restartContainerd();
          // The report's target facts describe the node as the checks leave it.
          target.info.details['containerdPid'] = String(node.containerdPid());
          return restarted;
        },
        runtimeShims: async (): Promise<RuntimeShim[]> => (await node.shims()).map((shim) => ({ pid: shim.pid, sandboxId: shim.id, socket: shim.socket, binary: shim.exe })),
        ...(upgrade
          ? {
              upgradeRuntime: async () => {
                const from = runtimeLabel(target.info, node.runtime());
                const switched = await node.switchRuntime('containerd' in upgrade ? { containerd: upgradeContainerd! } : { oci: upgrade.oci });
                target.info.details['containerdPid'] = String(node.containerdPid());
                await describeRuntime(target.info, node.client, node.runtime());
                return { from, to: runtimeLabel(target.info, node.runtime()), ...switched };
              },
            }
          : {}),
      },
      node: embeddedNodeView(node.client, layout, events),
    };
    await describeRuntime(target.info, node.client, node.runtime());
    startedUp = true;
    return { targets: [target], leaks: () => node.leaks() };
  },
});
