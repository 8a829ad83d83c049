/**
 * Provider `microk8s`: the microk8s snap on this machine. Its node is this host, so the node view
 * is a host shell (/proc, nsenter, the netns mounts); its runtime is the snap's containerd, seen
 * through `microk8s ctr --namespace k8s.io` (no crictl ships with the snap) and the CRI plugin's
 * status files under the snap's containerd root. The kubeconfig comes from `microk8s config`, into
 * memory only. Restarting the runtime is restarting the snap service that runs containerd.
 */
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { EnvironmentError } from '../../errors.ts';
import { kubeConfigFromText } from '../common/kubeconfig-text.ts';
import { onPath } from '../common/on-path.ts';
import { requireRoot } from '../common/require-root.ts';
import { thisMachine } from '../common/this-machine.ts';
import { KubeApi } from '../../kube/api.ts';
import { isThisMachine, listNodes } from '../../kube/nodes.ts';
import { CtrInspector } from '../../node/ctr-inspector.ts';
import type { NodeShell } from '../../node/node-shell.ts';
import type { RuntimeInspector } from '../../node/runtime-inspector.ts';
import { Microk8sShell, microk8sCtr } from '../../node/shells/microk8s-shell.ts';
import type { TargetControls } from '../../target.ts';
import { startClusterTargets } from '../cluster/cluster-targets.ts';
import { containerdRootFromArgs, parseMicrok8sStatus, parseMicrok8sVersion, SNAP_DATA } from './microk8s-parsers.ts';
import { imageIdFromCtrImagesLs, sandboxImageFromContainerdToml } from '../../node/sandbox-image.ts';
import { defineProvider, type StartedProvider } from '../provider.ts';
import { microk8sDeclaration } from './microk8s-declaration.ts';
import { restartRuntimeAndWait } from '../common/restart-runtime.ts';
import type { ClusterAccess } from '../cluster/cluster-access.ts';

/** How long `microk8s status --wait-ready` may wait for the cluster (its --timeout, seconds). */
export const READY_TIMEOUT_SECONDS = 180;
/** The snap service that runs containerd (`snap services microk8s`). */
export const CONTAINERD_SERVICE = 'microk8s.daemon-containerd';
export const INSTALL_HINT = 'Install it: sudo snap install microk8s --classic (see https://microk8s.io/docs/getting-started)';

export function statusArgs(timeoutSeconds = READY_TIMEOUT_SECONDS): string[] {
  return ['status', '--wait-ready', '--timeout', String(timeoutSeconds)];
}

/** The microk8s command: on PATH, or where snapd puts it (sudo's PATH may lack /snap/bin). */
export function microk8sBinary(): string {
  if (onPath('microk8s')) return 'microk8s';
  return existsSync('/snap/bin/microk8s') ? '/snap/bin/microk8s' : 'microk8s';
}

async function microk8s(binary: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string; exitCode: number }> {
  const result = await execa(binary, args, { reject: false, timeout: timeoutMs, stdin: 'ignore' });
  if ((result as { code?: string }).code === 'ENOENT') throw new EnvironmentError('microk8s not found', `"${binary}" is not on PATH and /snap/bin/microk8s does not exist`, `${INSTALL_HINT}.`);
  if (result.timedOut) throw new EnvironmentError(`${binary} ${args.join(' ')} did not finish`, `still running after ${Math.round(timeoutMs / 1000)} s`, 'Run it by hand to see where it hangs (microk8s inspect helps).');
  return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? 1 };
}

/** One line for a `microk8s status` that is not "running" with exit 0. */
export function statusError(output: string, exitCode: number, timeoutSeconds = READY_TIMEOUT_SECONDS): EnvironmentError | undefined {
  const parsed = parseMicrok8sStatus(output, exitCode);
  // The snap's lines end in a period; the message adds its own.
  const status = { ...parsed, line: parsed.line.replace(/\.+$/, '') };
  if (status.unexpectedExit !== undefined) {
    return new EnvironmentError('microk8s status contradicts itself', `it printed "${status.line}" but exited ${status.unexpectedExit}`, 'Run `microk8s status --wait-ready` by hand and look at `sudo microk8s inspect`.');
  }
  switch (status.kind) {
    case 'running':
      return undefined;
    case 'low-memory':
      return new EnvironmentError('microk8s refuses to start its control plane on this node', status.line, 'Give the machine more memory, or start it anyway: sudo microk8s start --disable-low-memory-guard, then retry.');
    case 'stopped':
      return new EnvironmentError('microk8s is stopped', status.line, 'Start it: sudo microk8s start, then retry.');
    case 'not-ready':
      return new EnvironmentError('microk8s is not ready', `microk8s status --wait-ready gave up after ${timeoutSeconds} s: ${status.line}`, 'Look at `sudo microk8s inspect`, then retry.');
    case 'no-permission':
      return new EnvironmentError('microk8s refuses this user', status.line, 'Run as root (sudo), or add the user to the microk8s group: sudo usermod -a -G microk8s $USER, then log in again.');
    case 'cluster-member':
      return new EnvironmentError('this machine is a microk8s worker of another cluster', status.line, 'Run the harness on a control-plane node of that cluster.');
    default:
      return new EnvironmentError('microk8s status printed something unexpected', status.line, 'Run `microk8s status --wait-ready` by hand.');
  }
}

/** The sandbox image from the snap's rendered containerd config (or its template). */
async function configuredSandboxImage(shell: NodeShell): Promise<{ image: string; source: string } | undefined> {
  for (const file of [`${SNAP_DATA}/args/containerd.toml`, `${SNAP_DATA}/args/containerd-template.toml`]) {
    const read = await shell.run(['cat', file]);
    const image = read.exitCode === 0 ? sandboxImageFromContainerdToml(read.stdout) : undefined;
    if (image) return { image, source: file };
  }
  return undefined;
}

export const microk8sProvider = defineProvider({
  ...microk8sDeclaration,
  async start(context): Promise<StartedProvider> {
    const { step } = context;
    requireRoot('the microk8s provider', "it reads the pods' /proc/<pid>/ns links, enters their network namespaces and reads the snap's containerd state", 'Run it with sudo.');
    const binary = microk8sBinary();
    const versionLine = await step('microk8s found', async () => {
      const result = await microk8s(binary, ['version'], 30_000);
      return parseMicrok8sVersion(result.stdout) ?? (result.stdout.trim().split('\n')[0] || 'unknown');
    });
    await step(`microk8s ready (microk8s ${statusArgs().join(' ')})`, async () => {
      const result = await microk8s(binary, statusArgs(), (READY_TIMEOUT_SECONDS + 60) * 1000);
      const error = statusError(`${result.stdout}\n${result.stderr}`, result.exitCode);
      if (error) throw error;
    });
    const kubeConfig = await step('kubeconfig read (microk8s config)', async () => {
      const result = await microk8s(binary, ['config'], 30_000);
      if (result.exitCode !== 0) throw new EnvironmentError('microk8s config failed', result.stderr.trim().split('\n').at(-1) || `exit ${result.exitCode}`, 'Run `sudo microk8s config` by hand.');
      return kubeConfigFromText(result.stdout, 'the kubeconfig printed by microk8s config', 'Run `sudo microk8s config` by hand.');
    });

    const shell = new Microk8sShell();
    const ctr = microk8sCtr(binary);
    const argsFile = await shell.run(['cat', `${SNAP_DATA}/args/containerd`]);
    const criRootDir = `${containerdRootFromArgs(argsFile.exitCode === 0 ? argsFile.stdout : '')}/io.containerd.grpc.v1.cri`;
    const inspector = new CtrInspector(shell, { ctr, criRootDir, configuredSandboxImage: () => configuredSandboxImage(shell) });
    await step('snap containerd answers (microk8s ctr version)', () => inspector.checkReachable());

    // The node view is this host: only the node that is this machine can be checked from here.
    const machine = thisMachine();
    const localNodes = await step('the node that is this machine found', async () => {
      const found = (await listNodes(new KubeApi(kubeConfig))).filter((node) => isThisMachine(node, machine));
      if (found.length === 0) throw new EnvironmentError(`no node of the microk8s cluster is this machine (${machine.hostname})`, 'the microk8s provider reads pods from the node it runs on', 'Run the harness on a node of the cluster.');
      return found.map((node) => node.name);
    });
    const local = (nodeName: string): void => {
      if (!localNodes.includes(nodeName)) {
        throw new EnvironmentError(`node ${nodeName} is not this machine (${machine.hostname})`, 'the microk8s provider sees only the node it runs on', `Run the harness on ${nodeName} to check it.`);
      }
    };
    const access: ClusterAccess = {
      providerName: 'microk8s',
      kubeConfig,
      nodeShell: async (nodeName: string): Promise<NodeShell> => {
        local(nodeName);
        return shell;
      },
      inspector: async (): Promise<RuntimeInspector> => inspector,
      sandboxImageId: async (nodeShell: NodeShell, image: string) => {
        // ctr has no ImageStatus: the CRI's id reference (sha256:<config digest>) shares the image's manifest digest.
        const argv = [...ctr, 'images', 'ls'];
        const listed = await nodeShell.run(argv, { timeoutMs: 30_000 });
        const id = listed.exitCode === 0 ? imageIdFromCtrImagesLs(listed.stdout, image) : undefined;
        return id ? { id, source: argv.join(' ') } : undefined;
      },
      controls: (nodeName: string, nodeShell: NodeShell): TargetControls => ({
        restartRuntime: () => restartRuntimeAndWait({ node: nodeName, shell: nodeShell, restart: ['snap', 'restart', CONTAINERD_SERVICE], probe: [...ctr, 'version'], timeoutMs: 120_000 }),
      }),
      details: { microk8s: versionLine, runtimeAccess: ctr.join(' '), criRootDir, containerdService: CONTAINERD_SERVICE },
      ...(localNodes[0] ? { defaultNode: localNodes[0] } : {}),
    };
    return startClusterTargets(context, access);
  },
});
