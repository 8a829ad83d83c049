/**
 * A test-only provider (never a user's): the suites on a node that is a container of the private
 * engine, seen the way the kind and k3s providers see their nodes. The node runs containerd with
 * no kubelet, so the pods are made at the CRI level by the harness's CRI driver through the node's
 * containerd socket (bind-mounted out of the node), exactly as on the embedded node; everything the
 * checks observe goes through the real node-shell code: `docker exec` (kind's shell) or the
 * testcontainers exec API (k3s's shell), and the ctr inspector (as on microk8s: Debian ships no
 * crictl). So pids are the node's pid namespace's, netns paths, the IPAM store and the veths are
 * the node's own, read inside it.
 */
import { CriClient } from '../../../../lib/cri/client.ts';
import { CtrInspector } from '../../../../lib/node/ctr-inspector.ts';
import { runChecked, type NodeShell, type ShellResult } from '../../../../lib/node/node-shell.ts';
import { ShellNodeView } from '../../../../lib/node/shell-node-view.ts';
import { startExecNodeEvents } from '../../../../lib/node/exec-node-events.ts';
import { noChangeSources, type NodeEvents } from '../../../../lib/node/node-events.ts';
import { CriPodDriver } from '../../../../lib/pods/cri-driver.ts';
import { imageMapper, loadFixtureDir } from '../../../../lib/pods/fixtures.ts';
import { linksVisible } from '../../../../lib/providers/cluster/node-access.ts';
import { imageIdOf } from '../../../../lib/providers/common/runtime-info.ts';
import { restartRuntimeAndWait } from '../../../../lib/providers/common/restart-runtime.ts';
import { defineProvider, type StartedProvider } from '../../../../lib/providers/provider.ts';
import { APP_IMAGE } from '../../../../lib/runtime/local-images.ts';
import type { Target } from '../../../../lib/target.ts';
import { nodeRunDir, startNodeContainer, type NodeShellKind } from './node-containers.ts';
import { stat } from 'node:fs/promises';
import { execa } from 'execa';
import { TEST_LABEL } from './engine-layout.ts';
import { sandboxImageFromContainerdToml } from '../../../../lib/node/sandbox-image.ts';

/** Where the node image keeps what the ctr inspector and the node view read (fixtures/node-image/rootfs). */
export const NODE_CRI_ROOT = '/var/lib/containerd/io.containerd.grpc.v1.cri';
export const NODE_CNI_CONF_DIR = '/etc/cni/net.d';
export const NODE_CONTAINERD_CONFIG = '/etc/containerd/config.toml';

/** A NodeShell that counts and times the commands of another. */
class CountingShell implements NodeShell {
  count = 0;
  totalMs = 0;
  readonly describe: string;
  private readonly inner: NodeShell;
  constructor(inner: NodeShell) {
    this.inner = inner;
    this.describe = inner.describe;
  }
  async run(argv: string[], options?: { timeoutMs?: number }): Promise<ShellResult> {
    const t0 = performance.now();
    try {
      return await this.inner.run(argv, options);
    } finally {
      this.count += 1;
      this.totalMs += performance.now() - t0;
    }
  }
}

/** What the change sources run in the node (exec-node-events.ts's script, ctr events, ip monitor, their sed), as `ps -eo pid,args` lines. */
export async function sourcesRunningIn(shell: NodeShell): Promise<string[]> {
  return (await runChecked(shell, ['ps', '-eo', 'pid,args'])).split('\n').filter((line) => /pause-conformance-events|ctr --address \S+ events|ip -o monitor link|sed -u s\/\^\/[TL] \//.test(line));
}

/**
 * As the kind provider: one exec into the node streams ctr events and ip monitor. The
 * testcontainers shell (the k3s provider's exec API) keeps polling, and says so.
 */
async function nodeChangeSources(shellKind: NodeShellKind, name: string, shell: NodeShell): Promise<NodeEvents> {
  if (shellKind === 'docker-exec') return startExecNodeEvents({ engine: 'docker', container: name });
  return noChangeSources(`the node is reached through testcontainers' exec API (${shell.describe}), over which the harness streams no change sources: watches poll through it`);
}

export function nodeContainerProvider(shellKind: NodeShellKind, image: string) {
  return defineProvider({
    name: `node-container (${shellKind})`,
    summary: `test only: a node container of the private engine, through ${shellKind}`,
    options: {},
    async start(context): Promise<StartedProvider> {
      const { step, undo, runId } = context;
      const name = `pc-node-${runId}`;
      const started = await step(`node container ${name} started (${shellKind}, ${image})`, () =>
        startNodeContainer(shellKind, name, image, (label, stop) => undo.push(label, stop)),
      );
      // Every node command is counted and timed: where a node-container run spends its time.
      const shell = new CountingShell(started.shell);
      const node = { ...started, shell };
      const client = new CriClient(`unix://${node.socket}`);
      undo.push('close the CRI connection to the node', async () => client.close());
      const version = await step('the node answers CRI through its socket', () => client.version());
      const inspector = new CtrInspector(node.shell, {
        ctr: ['ctr', '--namespace', 'k8s.io'],
        criRootDir: NODE_CRI_ROOT,
        cniConfDir: NODE_CNI_CONF_DIR,
        // As on microk8s: ctr cannot show the CRI config, the node's containerd config names the image.
        configuredSandboxImage: async () => {
          const image = sandboxImageFromContainerdToml(await runChecked(node.shell, ['cat', NODE_CONTAINERD_CONFIG]));
          return image ? { image, source: `sandbox_image in the node's ${NODE_CONTAINERD_CONFIG}` } : undefined;
        },
      });
      await step(`ctr reaches the node's containerd (${node.shell.describe})`, () => inspector.checkReachable());
      const facts = await step('runtime facts read through ctr', () => inspector.runtimeFacts());
      const pods = new CriPodDriver(client, {
        runId,
        namespace: `pause-conformance-${runId}`,
        // In the node: the node's containerd makes (and, with the node, removes) the log directories.
        logRoot: '/var/log/pods',
        logRootIsLocal: false,
        cgroupParent: `/pause-conformance/${runId}`,
        imageFor: imageMapper(context.common.appImage ?? APP_IMAGE),
        undo,
      });
      const events = await step('change sources in the node', () => nodeChangeSources(shellKind, name, node.shell));
      undo.push(`stop the change sources in ${name}, and find none of them left running there`, async () => {
        await events.close();
        if (shellKind !== 'docker-exec') return;
        const left = await sourcesRunningIn(node.shell);
        if (left.length > 0) throw new Error(`still running in ${name} after the change sources were stopped: ${left.join('; ')}`);
      });
      const fixtures = await loadFixtureDir(context.common.fixtures);
      await step('fixture images present on the node', () => pods.requireImages(fixtures, 'The node image imports the project\'s pause and app images at start.'));
      const sandboxImage = facts.sandboxImage ?? 'unknown';
      const target: Target = {
        info: {
          provider: 'node-container',
          nodeName: name,
          runtimeName: version.runtimeName,
          runtimeVersion: version.runtimeVersion,
          runtimeApiVersion: version.runtimeApiVersion,
          sandboxImage,
          ...(await imageIdOf(client, sandboxImage)),
          kernel: (await runChecked(node.shell, ['uname', '-r'])).trim(),
          details: {
            nodeShell: node.shell.describe,
            nodeImage: image,
            socket: node.socket,
            ipamDirs: facts.ipamDirs.join(', ') || 'none',
            ...(facts.sandboxImageSource ? { sandboxImageSource: facts.sandboxImageSource } : {}),
          },
        },
        capabilities: { kubelet: false, containerAttempts: true, ipamVisible: facts.ipamDirs.length > 0, linksVisible: await linksVisible(node.shell) },
        pods,
        node: new ShellNodeView(inspector, node.shell, { ipamDirs: facts.ipamDirs, events }),
        controls: {
          restartRuntime: async () => {
            const restarted = await restartRuntimeAndWait({ node: name, shell: node.shell, restart: ['restart-containerd'], probe: ['ctr', 'version'] });
            client.reconnect();
            return restarted;
          },
        },
      };
      return {
        targets: [target],
        // After teardown: the node container (with everything in it) and its run dir must be gone.
        leaks: async () => {
          context.say(`  node shell (${shell.describe}): ${shell.count} commands, ${Math.round(shell.totalMs)} ms in all, ${Math.round(shell.totalMs / Math.max(1, shell.count))} ms each on average`);
          const left: string[] = [];
          const listed = await execa('docker', ['ps', '--all', '--quiet', '--filter', `name=^${name}$`, '--filter', `label=${TEST_LABEL}`], { reject: false });
          if (listed.exitCode !== 0) left.push(`docker ps failed: ${String(listed.stderr).trim()}`);
          else if (String(listed.stdout).trim()) left.push(`node container ${name} (${String(listed.stdout).trim()})`);
          if (await stat(nodeRunDir(name)).then(() => true, () => false)) left.push(`node run dir ${nodeRunDir(name)}`);
          const networks = await execa('docker', ['network', 'ls', '--quiet', '--filter', `name=^${name}-net$`], { reject: false });
          if (String(networks.stdout).trim()) left.push(`docker network ${name}-net`);
          return left;
        },
      };
    },
  });
}
