/**
 * The probe pods of --node-shell probe: one privileged pod per checked node, with the host's PID
 * namespace, through which ProbePodShell (lib/node/shells/probe-pod-shell.ts) runs the node's own
 * commands. A probe is root on its node, so it is opt-in (--allow-privileged-probe), announced
 * with a warning, made in a namespace of its own with a random name, labelled with the run id,
 * and deleted with that namespace at the end of the run.
 */
import { randomBytes } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { UndoStack } from '../../cleanup/undo-stack.ts';
import { EnvironmentError } from '../../errors.ts';
import { KubeApi, requestTimeout } from '../../kube/api.ts';
import { describeApiError, isApiStatus } from '../../kube/api-errors.ts';
import { createNamespace, waitForDefaultServiceAccount } from '../../kube/namespace.ts';
import { startVerdict } from '../../kube/pod-status.ts';
import { waitForPod } from '../../kube/pods.ts';
import { LABEL_RUN } from '../../labels.ts';
import { PROBE_CONTAINER, ProbePodShell } from '../../node/shells/probe-pod-shell.ts';
import { NODE_EXEC_SESSIONS } from '../../node/shells/container-exec-shell.ts';
import { NodeInconclusiveError } from '../../node/node-shell.ts';

/** The probe pod: privileged, host PID and network, pinned to the node, tolerating every taint. */
export function probePodBody(options: { name: string; namespace: string; nodeName: string; runId: string; image: string }): V1Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: options.name, namespace: options.namespace, labels: { [LABEL_RUN]: options.runId, 'app.kubernetes.io/name': 'pause-conformance-probe' } },
    spec: {
      nodeName: options.nodeName,
      hostPID: true,
      // Host network: the probe needs no pod IP, so it takes none from the node's IPAM and
      // does not depend on the CNI the checks are about.
      hostNetwork: true,
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 1,
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      tolerations: [{ operator: 'Exists' }],
      containers: [
        {
          name: PROBE_CONTAINER,
          image: options.image,
          imagePullPolicy: 'IfNotPresent',
          // A shell that ends on TERM, so the pod deletes at once.
          command: ['/bin/sh', '-c', "trap 'exit 0' TERM; while true; do sleep 3600 & wait $!; done"],
          securityContext: { privileged: true },
        },
      ],
    },
  };
}

export interface ProbePodsOptions {
  api: KubeApi;
  undo: UndoStack;
  runId: string;
  image: string;
  say: (line: string) => void;
}

/** One probe pod per node, all in one namespace made on first use. */
export class ProbePods {
  private readonly options: ProbePodsOptions;
  private namespace: string | undefined;
  private readonly shells = new Map<string, ProbePodShell>();

  constructor(options: ProbePodsOptions) {
    this.options = options;
  }

  private async ensureNamespace(): Promise<string> {
    if (this.namespace) return this.namespace;
    const name = `pause-conformance-probe-${randomBytes(4).toString('hex')}`;
    this.options.say(
      `  WARNING: --allow-privileged-probe: a privileged pod with the host's PID namespace runs on each checked node (namespace ${name}); it is root on that node until the run deletes it.`,
    );
    // Pod Security admission would refuse a privileged pod under a baseline/restricted default.
    await createNamespace(this.options.api, this.options.undo, name, this.options.runId, {
      'pod-security.kubernetes.io/enforce': 'privileged',
      'pod-security.kubernetes.io/warn': 'privileged',
      'pod-security.kubernetes.io/audit': 'privileged',
    });
    await waitForDefaultServiceAccount(this.options.api, name);
    this.namespace = name;
    return name;
  }

  async shellOn(nodeName: string): Promise<ProbePodShell> {
    const existing = this.shells.get(nodeName);
    if (existing) return existing;
    const namespace = await this.ensureNamespace();
    const name = `probe-${randomBytes(3).toString('hex')}`;
    const body = probePodBody({ name, namespace, nodeName, runId: this.options.runId, image: this.options.image });
    try {
      await this.options.api.core.createNamespacedPod({ namespace, body }, requestTimeout());
    } catch (error) {
      const todo = isApiStatus(error, 403)
        ? 'The kubeconfig user must be allowed to create privileged pods (and a policy engine may refuse them): use --node-shell local on the node instead.'
        : 'Check the cluster accepts privileged pods.';
      throw new EnvironmentError(`cannot create the probe pod on node ${nodeName}`, describeApiError(error), todo);
    }
    // The namespace's deletion (registered above) removes the pod too.
    try {
      await waitForPod(this.options.api, namespace, name, (pod) => startVerdict(pod, name), `probe pod ${namespace}/${name} running on node ${nodeName}`, 120_000);
    } catch (error) {
      throw new EnvironmentError(`the probe pod on node ${nodeName} did not start`, error instanceof Error ? error.message : String(error), `It needs the image ${this.options.image} (with nsenter) on the node; pass --app-image with one that is there.`);
    }
    const target = await ProbePodShell.chooseTarget(this.options.api, namespace, name);
    if ('inconclusive' in target) {
      throw new NodeInconclusiveError(nodeName, target.inconclusive, 'Run on the node itself with --node-shell local, or check what keeps a privileged hostPID pod from /proc/<pid>/ns there (kubernetes/kubectl#1230).');
    }
    if (target.pid !== 1) this.options.say(`  probe on ${nodeName} enters the namespaces of pid ${target.pid} ${target.process} (${target.why})`);
    // Long-lived exec sessions into the node, as into a kind node; openNode (cluster/node-access.ts)
    // closes them through the run's undo, before the probe's namespace is deleted.
    const shell = new ProbePodShell(this.options.api, namespace, name, target, { sessions: NODE_EXEC_SESSIONS });
    // Not yet the run's (openNode registers its close): closed here when it fails.
    const check = await shell.run(['true']).catch(async (error: unknown) => {
      await shell.close();
      throw error;
    });
    if (check.exitCode !== 0) {
      await shell.close();
      throw new EnvironmentError(`the probe pod on node ${nodeName} cannot enter the node's namespaces`, `${shell.describe} true exited ${check.exitCode}: ${check.stderr.trim().split('\n').at(-1) ?? ''}`, 'The probe image needs nsenter (busybox has it) and the pod must be privileged.');
    }
    this.shells.set(nodeName, shell);
    return shell;
  }
}
