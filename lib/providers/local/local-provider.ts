/**
 * Provider `local`: the embedded node. A private containerd with its own root, state, socket and
 * CNI network under a run directory; never a system containerd, its socket or its images.
 */
import os from 'node:os';
import { LOCAL_RUNTIME_NEEDS_ROOT, requireRoot } from '../common/require-root.ts';
import { CriPodDriver } from '../../pods/cri-driver.ts';
import { CriInspector } from '../../node/cri-inspector.ts';
import { ShellNodeView } from '../../node/shell-node-view.ts';
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
import { text } from '../../options.ts';
import type { Target } from '../../target.ts';
import { imageIdOf } from '../common/runtime-info.ts';
import { LocalShell } from '../../node/shells/local-shell.ts';

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

export const localProvider = defineProvider({
  name: 'local',
  summary: 'embedded node: a private containerd + CNI bridge made from Debian packages (default)',
  options: {
    subnet: text('CIDR', "the node's pod subnet; refused if it overlaps a route of this machine", DEFAULT_SUBNET),
    sandboxImageTar: text('FILE', 'use this saved image (docker save / ctr export) as the pause image instead of the built-in one'),
  },
  async start(context): Promise<StartedProvider> {
    requireRoot('the local provider', LOCAL_RUNTIME_NEEDS_ROOT);
    await context.step('system packages present', () => ensurePackages(LOCAL_NODE_REQUIREMENTS, context.say));
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
      ...(context.options.sandboxImageTar ? { sandboxImageTar: context.options.sandboxImageTar } : {}),
      undo: context.undo,
      step: context.step,
    });
    const version = await node.client.version();
    const pods = new CriPodDriver(node.client, {
      runId: context.runId,
      namespace: `pause-conformance-${context.runId}`,
      logRoot: path.join(layout.dir, 'pod-logs'),
      logRootIsLocal: true,
      cgroupParent: layout.cgroupParent,
      imageFor: imageMapper(context.common.appImage ?? node.appImage),
      undo: context.undo,
    });
    await context.step('fixture images present on the node', () =>
      pods.requireImages(fixtures, `The embedded node has ${APP_IMAGE} (what ${FIXTURE_APP_IMAGE} in a fixture runs as) and ${PAUSE_IMAGE}; name one of those, or pass --app-image with an image the node has.`),
    );
    const target: Target = {
      info: {
        provider: 'local',
        nodeName: os.hostname(),
        runtimeName: version.runtimeName,
        runtimeVersion: version.runtimeVersion,
        runtimeApiVersion: version.runtimeApiVersion,
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
      },
      node: new ShellNodeView(new CriInspector(node.client), new LocalShell(), { ipamDirs: [path.join(layout.cniIpamDir, layout.networkName)] }),
    };
    startedUp = true;
    return { targets: [target], leaks: () => node.leaks() };
  },
});
