/**
 * Provider `local`: the embedded node. A private containerd with its own root, state, socket and
 * CNI network under a run directory; never a system containerd, its socket or its images.
 */
import os from 'node:os';
import { EnvironmentError } from '../errors.ts';
import { CriPodDriver } from '../pods/cri-driver.ts';
import { CriInspector } from '../node/cri-inspector.ts';
import { LocalShell } from '../node/node-shell.ts';
import { ShellNodeView } from '../node/shell-node-view.ts';
import { startEmbeddedNode } from '../runtime/embedded-node.ts';
import { findStaleRuns } from '../runtime/run-dir.ts';
import { runLayout } from '../runtime/run-layout.ts';
import { removeResidue } from '../runtime/run-residue.ts';
import { DEFAULT_SUBNET, validateSubnet } from '../runtime/subnet.ts';
import { ensurePackages, LOCAL_NODE_REQUIREMENTS } from '../runtime/system-deps.ts';
import path from 'node:path';
import type { Provider, ProviderContext, StartedProvider } from './provider.ts';
import type { Target } from '../target.ts';
import { imageIdOf } from './runtime-info.ts';

export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new EnvironmentError(`${what} needs root`, 'it runs containerd, mounts overlays and creates network namespaces', 'Run it as root, e.g. `sudo npm run conformance`.');
  }
}

/** Cleans the leftovers of earlier runs that were killed, and says what it removed. */
export async function cleanStaleRuns(say: (line: string) => void): Promise<void> {
  for (const stale of await findStaleRuns()) {
    const removed = await removeResidue(stale);
    say(`removed leftovers of killed run ${stale.runId}: ${removed.length > 0 ? removed.join(', ') : 'empty run directory'}`);
  }
}

export const localProvider: Provider = {
  name: 'local',
  summary: 'embedded node: a private containerd + CNI bridge made from Debian packages (default)',
  async start(context: ProviderContext): Promise<StartedProvider> {
    requireRoot('the local provider');
    await context.step('system packages present', () => ensurePackages(LOCAL_NODE_REQUIREMENTS, context.say));
    const subnet = await validateSubnet(context.options.subnet ?? DEFAULT_SUBNET);
    await context.step('leftovers of killed runs checked', () => cleanStaleRuns(context.say));
    const layout = runLayout(context.runId);
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
      imageFor: () => context.options.appImage ?? node.appImage,
      undo: context.undo,
    });
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
      controls: { restartRuntime: () => node.restartContainerd() },
      node: new ShellNodeView(new CriInspector(node.client), new LocalShell(), { ipamDirs: [path.join(layout.cniIpamDir, layout.networkName)] }),
    };
    return { targets: [target], leaks: () => node.leaks() };
  },
};
