/**
 * A NodeShell through a short-lived privileged "probe" pod on the node: hostPID and hostNetwork,
 * and every command runs as `nsenter -t <pid> -m -u -n -i <argv>` inside it, that is in the
 * node's own mount, UTS, network and IPC namespaces, with the node's binaries (crictl, ip, cat,
 * readlink). <pid> is PID 1, or where PID 1's namespaces are refused, a kubelet or runtime process
 * (namespace-target.ts chooses it once, at start, from the probe's own /proc). It reaches nodes the
 * harness has no other way into, through the API server alone (`kubectl exec`). The pod itself is
 * made by the kubeconfig provider (lib/providers/kubeconfig/probe-pods.ts), which owns its
 * namespace and its deletion.
 *
 * With `sessions`, up to that many long-lived `nsenter ... sh -s` execs with stdin kept open
 * (openKubeExec in lib/kube/exec.ts; exec-session.ts frames each command's answer) run the
 * commands instead of one Kubernetes exec (a websocket through the API server to the kubelet) per
 * command; a command past its deadline there is killed on the node by the marker in its
 * environment. Where no session can start (exec with stdin refused, say by an admission policy),
 * one exec per command, and the facts say why. The owner calls close() when the run ends.
 */
import type { KubeApi } from '../../kube/api.ts';
import type { NodeShell, ShellResult } from '../node-shell.ts';
import { KubeExecError, kubeExec, openKubeExec } from '../../kube/exec.ts';
import { parseNamespaceLinks } from '../../linux/ns-links.ts';
import { killMarkedArgv, newExecMarker } from './container-exec.ts';
import { ExecSession, type SessionTransport } from './exec-session.ts';
import { chooseNamespaceTarget, ENTERED_NAMESPACES, nodeProcessCandidates, parseProcessListing, type CandidateCheck, type NamespaceTarget } from './namespace-target.ts';
import { SessionPool } from './session-pool.ts';

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

/** How long the API server may take to open a session's exec. */
const SESSION_EXEC_TIMEOUT_MS = 15_000;
/** How long the kill of a timed-out command may take. */
const KILL_TIMEOUT_MS = 10_000;

/** The exec that runs a session: the session marker in its environment (busybox env), then the node's sh in the node's namespaces. */
export function probeSessionCommand(prefix: string[], sessionMarker: string): string[] {
  return ['env', sessionMarker, ...prefix, 'sh', '-s'];
}

export interface ProbePodShellOptions {
  /** Up to this many long-lived exec sessions; 0 (default): one exec per command. */
  sessions?: number;
}

export class ProbePodShell implements NodeShell {
  readonly describe: string;
  /** The process whose namespaces every command enters (1, or the fallback chosen at start). */
  readonly namespacePid: number;
  private readonly api: KubeApi;
  private readonly namespace: string;
  private readonly pod: string;
  private readonly prefix: string[];
  private readonly targetFacts: Record<string, string>;
  private readonly sessions: SessionPool;

  constructor(
    api: KubeApi,
    namespace: string,
    pod: string,
    target: { pid: number; process: string; why: string } = { pid: 1, process: 'init', why: "PID 1's namespaces are readable" },
    options: ProbePodShellOptions = {},
  ) {
    this.api = api;
    this.namespace = namespace;
    this.pod = pod;
    this.namespacePid = target.pid;
    this.prefix = nsenterPrefix(target.pid);
    this.describe = `kubectl exec -n ${namespace} ${pod} -- ${this.prefix.join(' ')}`;
    this.targetFacts = { nodeNamespacesOf: `pid ${target.pid} ${target.process}`, ...(target.pid === 1 ? {} : { pid1Refused: target.why }) };
    this.sessions = new SessionPool({
      size: options.sessions ?? 0,
      where: 'the probe pod',
      // Output exactly as a one-off Kubernetes exec gives it (kubeExec keeps the final newline).
      start: async (sessionMarker) => ExecSession.over(await this.sessionTransport(sessionMarker), { finalNewline: 'keep' }),
      killMarked: (marker) => this.killMarked(marker),
    });
  }

  /** Whose namespaces the probe enters (and why not PID 1's), and how commands reach the node. */
  get facts(): Record<string, string> {
    return { ...this.targetFacts, nodeCommands: this.sessions.nodeCommands };
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
    const timeoutMs = options.timeoutMs ?? 30_000;
    return this.sessions.run(argv, timeoutMs, newExecMarker(), () => ProbePodShell.runInProbe(this.api, this.namespace, this.pod, [...this.prefix, ...argv], timeoutMs));
  }

  /** Ends every session (their shells remove their temp dirs on the node); later commands use one exec each. */
  close(): Promise<void> {
    return this.sessions.close();
  }

  private async sessionTransport(sessionMarker: string): Promise<SessionTransport> {
    const starting = openKubeExec(this.api.kubeConfig, { namespace: this.namespace, pod: this.pod, container: PROBE_CONTAINER }, probeSessionCommand(this.prefix, sessionMarker));
    let timer: NodeJS.Timeout | undefined;
    const transport = await Promise.race([starting, new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), SESSION_EXEC_TIMEOUT_MS)))]).finally(() => clearTimeout(timer));
    if (transport) return transport;
    // Should it open after all, it is no one's: cut it (its shell, with the session marker, is killed at close).
    void starting.then((late) => late.abort(), () => undefined);
    throw new Error(`the API server did not open the session's exec within ${SESSION_EXEC_TIMEOUT_MS} ms`);
  }

  /** Kills, on the node, what a timed-out command left running (through a one-off exec); says what it found. */
  private async killMarked(marker: string): Promise<string> {
    const killer = await ProbePodShell.runInProbe(this.api, this.namespace, this.pod, [...this.prefix, ...killMarkedArgv(marker)], KILL_TIMEOUT_MS).catch((error: unknown) => ({
      exitCode: -1,
      stdout: '',
      stderr: error instanceof Error ? error.message : String(error),
    }));
    if (killer.exitCode !== 0) return `could not kill it on the node (exit ${killer.exitCode}: ${killer.stderr.trim()})`;
    const pids = killer.stdout.trim().split('\n').filter(Boolean);
    return pids.length > 0 ? `killed on the node: pid ${pids.join(', ')}` : 'nothing of it was left running on the node';
  }
}
