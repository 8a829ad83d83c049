/**
 * A NodeShell through a short-lived privileged "probe" pod on the node: hostPID and hostNetwork,
 * and every command runs as `nsenter -t <pid> -m -u -n -i <argv>` inside it, that is in the
 * node's own mount, UTS, network and IPC namespaces, with the node's binaries (crictl, ip, cat,
 * readlink). <pid> is PID 1, or where PID 1's namespaces are refused, a kubelet or runtime process
 * (namespace-target.ts chooses it once, at start, from the probe's own /proc). It reaches nodes the
 * harness has no other way into, through the API server alone (`kubectl exec`). The pod itself is
 * made by the kubeconfig provider (lib/providers/kubeconfig/probe-pods.ts), which owns its
 * namespace and its deletion.
 */
import type { KubeApi } from '../../kube/api.ts';
import type { NodeShell, ShellResult } from '../node-shell.ts';
import { KubeExecError, kubeExec } from '../../kube/exec.ts';
import { parseNamespaceLinks } from '../../linux/ns-links.ts';
import { chooseNamespaceTarget, ENTERED_NAMESPACES, nodeProcessCandidates, parseProcessListing, type CandidateCheck, type NamespaceTarget } from './namespace-target.ts';

/** What every command is wrapped in: the namespaces of `pid`, entered from the probe's host PID view. */
export function nsenterPrefix(pid: number): string[] {
  return ['nsenter', '-t', String(pid), '-m', '-u', '-n', '-i'];
}

/** The prefix into PID 1's namespaces, where they may be entered. */
export const NSENTER_PREFIX = nsenterPrefix(1);

export const PROBE_CONTAINER = 'probe';

/**
 * Lists every process the probe sees as "<pid> <argv, NULs turned into \x01>". A constant script
 * (nothing from input in it): the probe image's busybox has sh, tr and printf.
 */
export const LIST_PROCESSES = `for d in /proc/[0-9]*; do c=$(tr '\\000' '\\001' < "$d/cmdline" 2>/dev/null) && [ -n "$c" ] && printf '%s %s\\n' "\${d#/proc/}" "$c"; done; true`;

/** How many node processes are tried before the node is called inconclusive. */
const CANDIDATES_TRIED = 8;

export class ProbePodShell implements NodeShell {
  readonly describe: string;
  readonly facts: Record<string, string>;
  /** The process whose namespaces every command enters (1, or the fallback chosen at start). */
  readonly namespacePid: number;
  private readonly api: KubeApi;
  private readonly namespace: string;
  private readonly pod: string;
  private readonly prefix: string[];

  constructor(api: KubeApi, namespace: string, pod: string, target: { pid: number; process: string; why: string } = { pid: 1, process: 'init', why: "PID 1's namespaces are readable" }) {
    this.api = api;
    this.namespace = namespace;
    this.pod = pod;
    this.namespacePid = target.pid;
    this.prefix = nsenterPrefix(target.pid);
    this.describe = `kubectl exec -n ${namespace} ${pod} -- ${this.prefix.join(' ')}`;
    this.facts = { nodeNamespacesOf: `pid ${target.pid} ${target.process}`, ...(target.pid === 1 ? {} : { pid1Refused: target.why }) };
  }

  /** Runs argv in the probe container itself, outside the node's namespaces (to look around before choosing). */
  static async runInProbe(api: KubeApi, namespace: string, pod: string, argv: string[], timeoutMs = 30_000): Promise<ShellResult> {
    try {
      return await kubeExec(api.kubeConfig, { namespace, pod, container: PROBE_CONTAINER }, argv, timeoutMs);
    } catch (error) {
      if (error instanceof KubeExecError && /did not finish within/.test(error.message)) return { stdout: '', stderr: error.message, exitCode: 124 };
      throw error;
    }
  }

  /** Whose namespaces the probe can enter: PID 1, a kubelet or runtime process, or none (with why). */
  static async chooseTarget(api: KubeApi, namespace: string, pod: string): Promise<NamespaceTarget> {
    const run = (argv: string[]): Promise<ShellResult> => ProbePodShell.runInProbe(api, namespace, pod, argv);
    const linksOf = async (pid: number | 'self'): Promise<CandidateCheck> => {
      const result = await run(['readlink', ...ENTERED_NAMESPACES.map((kind) => `/proc/${pid}/ns/${kind}`)]);
      const check: CandidateCheck = { links: parseNamespaceLinks(result.stdout) };
      if (result.exitCode !== 0) check.linksError = result.stderr.trim().split('\n').at(-1) || `readlink exited ${result.exitCode}`;
      return check;
    };
    const pid1 = await linksOf(1);
    if (!pid1.linksError && ENTERED_NAMESPACES.every((kind) => pid1.links?.[kind])) return chooseNamespaceTarget(pid1, [], '');
    const probeNet = (await linksOf('self')).links?.net ?? '';
    const listing = await run(['sh', '-c', LIST_PROCESSES]);
    const candidates = nodeProcessCandidates(parseProcessListing(listing.stdout)).slice(0, CANDIDATES_TRIED);
    const checked = [];
    for (const candidate of candidates) {
      const check = await linksOf(candidate.pid);
      if (!check.linksError && check.links?.net === probeNet) {
        const entered = await run([...nsenterPrefix(candidate.pid), 'true']);
        check.enter = { ok: entered.exitCode === 0, said: entered.stderr.trim().split('\n').at(-1) ?? '' };
      }
      checked.push({ ...candidate, check });
      if (check.enter?.ok) break;
    }
    return chooseNamespaceTarget(pid1, checked, probeNet);
  }

  async run(argv: string[], options: { timeoutMs?: number } = {}): Promise<ShellResult> {
    if (argv.length === 0) throw new Error('empty command');
    return ProbePodShell.runInProbe(this.api, this.namespace, this.pod, [...this.prefix, ...argv], options.timeoutMs ?? 30_000);
  }
}
