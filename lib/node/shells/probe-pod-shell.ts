/**
 * A NodeShell through a short-lived privileged "probe" pod on the node: hostPID, so PID 1 is
 * the node's init, and every command runs as `nsenter -t 1 -m -u -n -i <argv>` inside it, that
 * is in the node's own mount, UTS, network and IPC namespaces, with the node's binaries (crictl,
 * ip, cat, readlink). It reaches nodes the harness has no other way into, through the API server
 * alone (`kubectl exec`). The pod itself is made by the kubeconfig provider
 * (lib/providers/kubeconfig/probe-pods.ts), which owns its namespace and its deletion.
 */
import type { KubeApi } from '../../kube/api.ts';
import type { NodeShell, ShellResult } from '../node-shell.ts';
import { KubeExecError, kubeExec } from '../../kube/exec.ts';

/** What every command is wrapped in: the node's namespaces, entered from the probe's host PID view. */
export const NSENTER_PREFIX = ['nsenter', '-t', '1', '-m', '-u', '-n', '-i'];

export const PROBE_CONTAINER = 'probe';

export class ProbePodShell implements NodeShell {
  readonly describe: string;
  private readonly api: KubeApi;
  private readonly namespace: string;
  private readonly pod: string;

  constructor(api: KubeApi, namespace: string, pod: string) {
    this.api = api;
    this.namespace = namespace;
    this.pod = pod;
    this.describe = `kubectl exec -n ${namespace} ${pod} -- ${NSENTER_PREFIX.join(' ')}`;
  }

  async run(argv: string[], options: { timeoutMs?: number } = {}): Promise<ShellResult> {
    if (argv.length === 0) throw new Error('empty command');
    const timeoutMs = options.timeoutMs ?? 30_000;
    try {
      return await kubeExec(this.api.kubeConfig, { namespace: this.namespace, pod: this.pod, container: PROBE_CONTAINER }, [...NSENTER_PREFIX, ...argv], timeoutMs);
    } catch (error) {
      if (error instanceof KubeExecError && /did not finish within/.test(error.message)) return { stdout: '', stderr: error.message, exitCode: 124 };
      throw error;
    }
  }
}
