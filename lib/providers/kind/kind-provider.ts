/**
 * Provider `kind`: a kind cluster, created for the run (and deleted after it unless --keep) or an
 * existing one (--reuse, never deleted). Nodes are containers of the engine kind uses (docker,
 * podman or nerdctl, picked as kind picks it: engine.ts); the node view is `<engine> exec` into
 * them, where crictl and ctr live. The kubeconfig is read from `kind get kubeconfig` into memory:
 * kind's own writes go to a private temporary file, never to the user's ~/.kube/config.
 */
import { stat, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError, UsageError } from '../../errors.ts';
import { kubeConfigFromText } from '../common/kubeconfig-text.ts';
import { ContainerExecShell, NODE_EXEC_SESSIONS } from '../../node/shells/container-exec-shell.ts';
import { startExecNodeEvents } from '../../node/exec-node-events.ts';
import { socketPath } from '../../cri/client.ts';
import type { NodeShell } from '../../node/node-shell.ts';
import type { TargetControls } from '../../target.ts';
import { startClusterTargets } from '../cluster/cluster-targets.ts';
import { kindEngine } from './engine.ts';
import { clusterNameProblem, KindCli } from './kind-cli.ts';
import { listNodeContainers, type KindNodeContainer } from './node-containers.ts';
import { defineProvider, type StartedProvider } from '../provider.ts';
import { kindDeclaration } from './kind-declaration.ts';
import { restartRuntimeAndWait } from '../common/restart-runtime.ts';
import type { ClusterAccess } from '../cluster/cluster-access.ts';

/** How long `kind create cluster` waits for the control plane (its --wait), and our own bound on the command. */
const KIND_WAIT = '5m';
const CREATE_TIMEOUT_MS = 15 * 60_000;

export function kindClusterName(options: { clusterName?: string }, runId: string): string {
  const name = options.clusterName ?? `pause-conformance-${runId}`;
  const problem = clusterNameProblem(name);
  if (problem) throw new UsageError(`--cluster-name ${name} is not a valid kind cluster name`, problem, 'Pass e.g. --cluster-name pause-conformance.');
  return name;
}

async function checkConfigFile(file: string | undefined): Promise<void> {
  if (!file) return;
  const found = await stat(file).catch(() => undefined);
  if (!found?.isFile()) throw new UsageError(`--kind-config ${file} is not a file`, 'it is the kind cluster config to create the cluster with', 'Pass e.g. --kind-config fixtures/kind/multi-node.yaml.');
}

export const kindProvider = defineProvider({
  ...kindDeclaration,
  async start(context): Promise<StartedProvider> {
    const { options, undo, step, say } = context;
    const name = kindClusterName(options, context.runId);
    await checkConfigFile(options.kindConfig);
    const engine = await kindEngine(process.env['KIND_EXPERIMENTAL_PROVIDER']);
    const kind = new KindCli({ binary: 'kind', engine, progress: (line) => say(`      kind: ${line}`) });

    const version = await step('kind found', () => kind.version());
    say(`  kind's engine: ${engine.name} (${engine.reason})`);
    const existing = await step(`${engine.name} answers (kind get clusters)`, () => kind.clusters());
    const exists = existing.includes(name);
    const deletesCluster = !options.reuse && !options.keep;

    if (options.reuse) {
      if (!exists) throw new EnvironmentError(`kind cluster "${name}" does not exist`, `--reuse runs on an existing cluster (there are: ${existing.join(', ') || 'none'})`, `Create it first (kind create cluster --name ${name}) or drop --reuse.`);
      say(`  using existing kind cluster ${name} (--reuse: it is left as it is after the run)`);
    } else {
      if (exists) throw new UsageError(`kind cluster "${name}" already exists`, 'the run creates its own cluster unless told to reuse one', `Pass --reuse to run on it, or another --cluster-name.`);
      // kind writes the new cluster's context into a kubeconfig file: a private one, removed after.
      const scratch = await mkdtemp(path.join(os.tmpdir(), 'pause-conformance-kind-'));
      undo.push(`remove ${scratch}`, () => rm(scratch, { recursive: true, force: true }));
      const scratchKubeconfig = path.join(scratch, 'kubeconfig');
      if (options.keep) {
        say(`  --keep: kind cluster ${name} stays after the run; delete it with: kind delete cluster --name ${name}`);
      } else {
        // Registered before create: a create that fails half-way still leaves containers to delete.
        undo.push(`delete kind cluster ${name}`, async () => {
          await kind.delete(name, scratchKubeconfig);
          // kind delete exits 0 for a cluster it did not find: only the listing proves it is gone.
          const left = await kind.clusters();
          if (left.includes(name)) throw new Error(`kind cluster ${name} is still listed by kind get clusters after kind delete cluster`);
        });
      }
      const config = options.kindConfig ? path.resolve(options.kindConfig) : undefined;
      await step(`kind cluster ${name} created${options.nodeImage ? ` (${options.nodeImage})` : ''}${config ? ` from ${path.basename(config)}` : ''}`, () =>
        kind.create({ name, ...(options.nodeImage ? { image: options.nodeImage } : {}), ...(config ? { config } : {}), wait: KIND_WAIT, kubeconfig: scratchKubeconfig }, CREATE_TIMEOUT_MS),
      );
    }

    const kubeConfig = kubeConfigFromText(
      await step('kubeconfig read (kind get kubeconfig)', () => kind.kubeconfig(name)),
      `the kubeconfig of kind cluster ${name}`,
      `Check \`kind get kubeconfig --name ${name}\` prints a kubeconfig.`,
    );
    const nodes = await step(`node containers of ${name} listed`, () => listNodeContainers(engine.binary, name));
    if (nodes.length === 0) throw new EnvironmentError(`kind cluster ${name} has no node containers`, `${engine.binary} lists none labelled io.x-k8s.kind.cluster=${name}`, 'Check that kind and the harness use the same engine (KIND_EXPERIMENTAL_PROVIDER).');

    const nodeNamed = (nodeName: string): KindNodeContainer => {
      const node = nodes.find((candidate) => candidate.name === nodeName);
      if (!node) throw new EnvironmentError(`node ${nodeName} is not a container of kind cluster ${name}`, `its node containers are ${nodes.map((n) => n.name).join(', ')}`, 'Check that --kubeconfig/--cluster-name point at the same cluster.');
      return node;
    };
    const access: ClusterAccess = {
      providerName: 'kind',
      kubeConfig,
      ...(options.criEndpoint ? { criEndpoint: options.criEndpoint } : {}),
      // Long-lived exec sessions, one command each at a time: an exec per look cost a real kind run 223 s against 86 s locally.
      nodeShell: async (nodeName: string): Promise<NodeShell> => new ContainerExecShell(engine.binary, nodeNamed(nodeName).name, { sessions: NODE_EXEC_SESSIONS }),
      // One more exec per node, for the run: ctr events and ip monitor in the node tell the teardown watches when to look.
      nodeEvents: (nodeName: string) => {
        const socket = options.criEndpoint ? socketPath(options.criEndpoint) : undefined;
        return startExecNodeEvents({ engine: engine.binary, container: nodeNamed(nodeName).name, ...(socket ? { containerdSocket: socket } : {}) });
      },
      controls: (nodeName: string, shell: NodeShell): TargetControls => ({
        restartRuntime: () => restartRuntimeAndWait({ node: nodeName, shell, restart: ['systemctl', 'restart', 'containerd'], probe: ['crictl', 'version'] }),
      }),
      details: {
        cluster: name,
        kindVersion: version,
        engine: `${engine.name} (${engine.reason})`,
        nodeContainers: nodes.map((node) => `${node.name} (${node.role})`).join(', '),
        clusterLifecycle: options.reuse ? 'reused (--reuse)' : options.keep ? 'created, kept (--keep)' : 'created and deleted by the run',
        ...(options.nodeImage ? { nodeImage: options.nodeImage } : {}),
        ...(options.kindConfig ? { kindConfig: options.kindConfig } : {}),
      },
    };
    const started = await startClusterTargets(context, access);
    return {
      ...started,
      leaks: async () => {
        // A cluster the run deleted takes everything of the run with it: what is left is the cluster itself.
        if (deletesCluster) return (await kind.clusters()).includes(name) ? [`kind cluster ${name} (still listed by kind get clusters)`] : [];
        return started.leaks();
      },
    };
  },
});
