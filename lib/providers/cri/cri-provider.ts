/**
 * Provider `cri`: an existing runtime on this machine, reached at --cri-endpoint. This is the
 * runtime-upgrade check on a real node. It uses whatever sandbox image the runtime is configured
 * with, creates only pods labelled with this run's id in a CRI namespace of their own, and
 * removes only those. It never imports, pulls or removes an image.
 */
import { readdir, stat } from 'node:fs/promises';
import { cgroupDirsNamed, missingDirs, removeIfEmpty } from '../../cleanup/created-dirs.ts';
import os from 'node:os';
import { CriClient, socketPath } from '../../cri/client.ts';
import { EnvironmentError, UsageError } from '../../errors.ts';
import { containerdTaskDirFromStatusInfo, ipamStoresFromStatusInfo } from '../../node/cni-info.ts';
import { criRootDirFromStatusInfo } from '../../node/cri-status-file.ts';
import { CriInspector } from '../../node/cri-inspector.ts';
import { shimsThrough } from '../../node/runtime-shims.ts';
import { leakedShims } from '../../report/shim-leaks.ts';
import { ShellNodeView } from '../../node/shell-node-view.ts';
import { startLocalNodeEvents } from '../../node/local-node-events.ts';
import { CriPodDriver } from '../../pods/cri-driver.ts';
import type { Target } from '../../target.ts';
import { requireRoot } from '../common/require-root.ts';
import { defineProvider, type StartedProvider } from '../provider.ts';
import { text } from '../../options.ts';
import { criSandboxImage } from '../common/runtime-info.ts';
import { FIXTURE_APP_IMAGE, imageMapper, loadFixtureDir } from '../../pods/fixtures.ts';
import { errnoCode } from '../../linux/errno.ts';
import { LABEL_POD_UID, LABEL_RUN } from '../../labels.ts';
import { kubeletsUsing } from './kubelet-detection.ts';
import { LocalShell } from '../../node/shells/local-shell.ts';

/** It makes nothing of its own outside the runtime: what needs root is reading what the runtime made. */
export const CRI_PROVIDER_NEEDS_ROOT = "it opens the runtime's CRI socket (root's) and reads the pods' /proc/<pid>/ns links, network namespaces and IPAM store";

export const DEFAULT_CRI_APP_IMAGE = 'docker.io/library/busybox:1.36';

/** Where kubelet keeps pod logs on a node, and so where the runtime is told to write them. */
const POD_LOG_ROOT = '/var/log/pods';

/** Connects to the endpoint or throws one line saying why not. */
export async function connectCri(endpoint: string): Promise<CriClient> {
  const socket = socketPath(endpoint);
  if (!socket) throw new UsageError(`--cri-endpoint ${endpoint} is not supported`, 'only unix sockets are', 'Pass e.g. --cri-endpoint unix:///run/containerd/containerd.sock.');
  let isSocket: boolean;
  try {
    isSocket = (await stat(socket)).isSocket();
  } catch (error) {
    throw new EnvironmentError(`--cri-endpoint ${endpoint} does not exist`, errnoCode(error) ?? 'stat failed', 'Check the runtime is running and the path is its CRI socket.');
  }
  if (!isSocket) throw new UsageError(`--cri-endpoint ${endpoint} is not a socket`, 'the path exists but is a file or directory', "Pass the runtime's CRI socket, e.g. unix:///run/containerd/containerd.sock.");
  const client = new CriClient(endpoint, { callTimeoutMs: 30_000 });
  try {
    await client.version(3000);
  } catch (error) {
    client.close();
    throw new EnvironmentError(`--cri-endpoint ${endpoint} does not answer CRI runtime.v1`, error instanceof Error ? error.message : String(error), 'Check the runtime is running, that it serves CRI v1, and that you may open the socket.');
  }
  return client;
}

/** One line, exit 2, when a kubelet (kubelite, k3s) on this machine uses the endpoint. */
export async function refuseKubeletSocket(endpoint: string, proc = '/proc'): Promise<void> {
  const [kubelet, ...more] = await kubeletsUsing(endpoint, proc);
  if (!kubelet) return;
  throw new EnvironmentError(
    `--provider cri on ${endpoint}: a ${kubelet.what} uses this runtime (pid ${kubelet.pid}${more.length > 0 ? ` and ${more.length} more` : ''}, endpoint from ${kubelet.how})`,
    'a kubelet kills, within a second or two, running pods of its runtime that it does not know, so every CRI-level check would fail for that',
    'Use --provider kubeconfig --node-shell local on this node, or stop the kubelet first (e.g. a drained node in an upgrade window).',
  );
}

/**
 * Running sandboxes that look like a kubelet's (io.kubernetes.pod.uid, not this harness's run
 * label): a hint only, never a refusal, since a drained node with its kubelet stopped keeps its
 * DaemonSet and static pods, and there the cri provider is the right one.
 */
export async function foreignKubeletSandboxes(client: CriClient): Promise<string[]> {
  const running = await client.listPodSandbox({ state: 'SANDBOX_READY' });
  return running.filter((sandbox) => sandbox.labels[LABEL_POD_UID] && !sandbox.labels[LABEL_RUN]).map((sandbox) => `${sandbox.metadata.namespace}/${sandbox.metadata.name}`);
}

export const criProvider = defineProvider({
  name: 'cri',
  summary: "an existing runtime's CRI socket on this machine (--cri-endpoint): the runtime-upgrade check",
  options: {
    criEndpoint: text('ENDPOINT', 'the runtime socket, e.g. unix:///run/containerd/containerd.sock (required)'),
  },
  async start(context): Promise<StartedProvider> {
    const endpoint = context.options.criEndpoint;
    if (!endpoint) throw new UsageError('provider cri needs --cri-endpoint', 'it checks an existing runtime', 'Pass e.g. --cri-endpoint unix:///run/containerd/containerd.sock.');
    requireRoot('the cri provider', CRI_PROVIDER_NEEDS_ROOT);
    const fixtures = await loadFixtureDir(context.common.fixtures);
    const client = await context.step(`CRI endpoint ${endpoint} answers`, () => connectCri(endpoint));
    context.undo.push('close CRI connection', async () => client.close());
    // Before anything is made: a kubelet on this runtime would kill the run's pods under the checks.
    await context.step(`no kubelet uses ${endpoint}`, () => refuseKubeletSocket(endpoint));
    const foreign = await foreignKubeletSandboxes(client);
    if (foreign.length > 0) {
      context.say(
        `  WARNING: ${foreign.length} running sandbox(es) on ${endpoint} carry a kubelet's labels (${foreign.slice(0, 3).join(', ')}${foreign.length > 3 ? ', ...' : ''}) and no kubelet is seen here; if one runs (in another PID namespace), it will kill this run's pods: use --provider kubeconfig --node-shell local there.`,
      );
    }
    const version = await client.version();
    const status = await client.status(true);
    const image = await criSandboxImage(client, status.info);
    const appImage = context.common.appImage ?? DEFAULT_CRI_APP_IMAGE;
    const ipam = ipamStoresFromStatusInfo(status.info);
    const taskStateDir = containerdTaskDirFromStatusInfo(status.info);
    const criRootDir = criRootDirFromStatusInfo(status.info);
    // The driver removes each pod's log directory. The log root, and the cgroup containerd makes
    // for pods without a cgroup parent (/k8s.io: on a kubelet's node nothing else uses it), go
    // only if this run made them and nothing else is in them.
    const createdDirs = await missingDirs([POD_LOG_ROOT, ...(await cgroupDirsNamed('k8s.io'))]);
    context.undo.push('shared folders this run created (pod log root, default cgroup)', () => removeIfEmpty(createdDirs));
    const logRootExisted = !createdDirs.includes(POD_LOG_ROOT);
    const namespace = `pause-conformance-${context.runId}`;
    const pods = new CriPodDriver(client, {
      runId: context.runId,
      namespace,
      logRoot: POD_LOG_ROOT,
      logRootIsLocal: true,
      cgroupParent: '',
      imageFor: imageMapper(appImage),
      undo: context.undo,
    });
    // Before any pod: the harness never pulls or imports images into a runtime it does not own.
    await context.step('fixture images present on the runtime', () =>
      pods.requireImages(fixtures, `Pull it first (crictl --runtime-endpoint ${endpoint} pull <image>), or pass --app-image with an image that is present (it runs wherever a fixture names ${FIXTURE_APP_IMAGE}).`),
    );
    context.undo.push('remove every pod of this run (label sweep)', () => pods.deleteAll());
    // Read-only: a subscription to the runtime's task events (none on a runtime that is not containerd: then watches poll).
    const events = await context.step('change sources: task events of the runtime, inotify, ip monitor', () => startLocalNodeEvents({ ...(socketPath(endpoint) ? { containerdSocket: socketPath(endpoint)! } : {}), containerdNamespace: 'k8s.io', criEndpoint: endpoint }));
    context.undo.push('stop the change sources (event stream, inotify, ip monitor)', () => events.close());
    const target: Target = {
      info: {
        provider: 'cri',
        nodeName: os.hostname(),
        runtimeName: version.runtimeName,
        runtimeVersion: version.runtimeVersion,
        runtimeApiVersion: version.runtimeApiVersion,
        sandboxImage: image.sandboxImage ?? 'unknown (the runtime does not report it)',
        ...(image.sandboxImageId ? { sandboxImageId: image.sandboxImageId } : {}),
        ...(image.sandboxImageSource ? { sandboxImageSource: image.sandboxImageSource } : {}),
        ...(image.sandboxImageIdSource ? { sandboxImageIdSource: image.sandboxImageIdSource } : {}),
        kernel: os.release(),
        details: {
          endpoint,
          appImage,
          ...(ipam.notChecked ? { ipamNotChecked: ipam.notChecked } : {}),
          ...(image.sandboxImageSource ? { sandboxImageSource: image.sandboxImageSource } : {}),
          ...(image.sandboxImageUnknown ? { sandboxImageUnknown: image.sandboxImageUnknown } : {}),
        },
      },
      capabilities: { kubelet: false, containerAttempts: true, ipamVisible: ipam.dirs.length > 0, ...(ipam.notChecked ? { ipamNotChecked: ipam.notChecked } : {}), linksVisible: true },
      pods,
      // Restarting someone else's runtime service is not the harness's to do unasked.
      controls: {},
      node: new ShellNodeView(new CriInspector(client), new LocalShell(), { ipamDirs: ipam.dirs, events, ...(taskStateDir ? { taskStateDir } : {}), ...(criRootDir ? { criRootDir } : {}) }),
    };
    return {
      targets: [target],
      leaks: async () => {
        // The run's own connection is closed by now: ask on a fresh one.
        const checker = new CriClient(endpoint);
        try {
          const sandboxes = await checker.listPodSandbox({ labelSelector: { [LABEL_RUN]: context.runId } });
          const containers = await checker.listContainers({ labelSelector: { [LABEL_RUN]: context.runId } });
          const logDirs = await readdir(POD_LOG_ROOT).then((names) => names, () => undefined);
          // A runtime shim still serving one of the run's removed sandboxes (containerd#10421).
          const shims = await leakedShims(() => shimsThrough(new LocalShell()), new Set(pods.sandboxIds()), 'on this machine');
          return [
            ...shims,
            ...sandboxes.map((sandbox) => `sandbox ${sandbox.id} (${sandbox.metadata.name}) still on ${endpoint}`),
            ...containers.map((container) => `container ${container.id} (${container.metadata.name}) still on ${endpoint}`),
            ...(logDirs ?? []).filter((name) => name.startsWith(`${namespace}_`)).map((name) => `pod log directory ${POD_LOG_ROOT}/${name}`),
            ...(!logRootExisted && logDirs?.length === 0 ? [`folder ${POD_LOG_ROOT} (created by this run)`] : []),
          ];
        } finally {
          checker.close();
        }
      },
    };
  },
});
