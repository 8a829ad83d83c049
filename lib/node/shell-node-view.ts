/**
 * NodeView made of a RuntimeInspector (what the runtime says) and a NodeShell (what the kernel
 * says: /proc, links, files). The same class serves the embedded node and real nodes; only the
 * shell and the inspector differ.
 */
import { runChecked, type NodeShell } from './node-shell.ts';
import { LocalShell } from './shells/local-shell.ts';
import type { RuntimeInspector } from './runtime-inspector.ts';
import type { NodeEvents } from './node-events.ts';
import { parseNamespaceLinks } from '../linux/ns-links.ts';
import type { ContainerFacts, ContainerStateFact, HostLink, ImageFacts, NamespaceIds, NodeView, SandboxFacts, SandboxState } from './node-view.ts';
import { parseIpLinkJson } from '../linux/ip-link.ts';
import { hasExited, parseProcStat } from '../linux/proc-stat.ts';
import { isUnknown, presenceOfResult, presentOrThrow, shellSaid, type Presence } from './presence.ts';
import { parseShimsFromPs, PS_SHIMS_ARGV, type RuntimeShim } from './runtime-shims.ts';
import { posix } from 'node:path';
import { localLinkByIndex, localParentShim, localShims } from './local-proc.ts';
import { criContainerStatusPath, localContainerRunningPerStatusFile } from './cri-status-file.ts';

const NAMESPACE_KINDS = ['net', 'ipc', 'uts', 'pid', 'mnt'] as const;

export interface ShellNodeViewOptions {
  /** host-local IPAM directories (dataDir/<network>) where a pod IP appears as a file while allocated. */
  ipamDirs?: string[];
  /** The node's change sources (local-node-events.ts on this machine); without them, watches poll. */
  events?: NodeEvents;
  /** containerd's task directory of the CRI's namespace (<state>/io.containerd.runtime.v2.task/k8s.io), where known. */
  taskStateDir?: string;
  /** The CRI plugin's root directory (<root>/io.containerd.grpc.v1.cri), where known. */
  criRootDir?: string;
}

export class ShellNodeView implements NodeView {
  private readonly inspector: RuntimeInspector;
  private readonly shell: NodeShell;
  private readonly ipamDirs: string[];

  readonly events?: NodeEvents;
  readonly taskBundlePath?: (id: string) => string;
  readonly criStatusPath?: (containerId: string) => string;
  readonly runningPerCriStatusFile?: (containerId: string) => Promise<boolean | undefined>;

  /** Present only when the inspector can read image configs. */
  readonly image?: (reference: string) => Promise<ImageFacts | undefined>;

  constructor(inspector: RuntimeInspector, shell: NodeShell, options: ShellNodeViewOptions = {}) {
    this.inspector = inspector;
    this.shell = shell;
    this.ipamDirs = options.ipamDirs ?? [];
    if (options.events) this.events = options.events;
    const taskStateDir = options.taskStateDir;
    if (taskStateDir) this.taskBundlePath = (id) => posix.join(taskStateDir, id);
    const criRootDir = options.criRootDir;
    if (criRootDir) this.criStatusPath = (id) => criContainerStatusPath(criRootDir, id);
    // Read without a process where the node is this machine; through a shell it would cost what the CRI call saves.
    if (criRootDir && shell instanceof LocalShell) this.runningPerCriStatusFile = (id) => localContainerRunningPerStatusFile(criRootDir, id);
    if (inspector.image) this.image = (reference) => inspector.image!(reference);
  }

  sandbox(sandboxId: string): Promise<SandboxFacts> {
    return this.inspector.sandbox(sandboxId);
  }

  containers(sandboxId: string): Promise<ContainerFacts[]> {
    return this.inspector.containers(sandboxId);
  }

  container(containerId: string): Promise<ContainerFacts> {
    return this.inspector.container(containerId);
  }

  async sandboxState(sandboxId: string): Promise<SandboxState> {
    return this.inspector.sandboxState ? this.inspector.sandboxState(sandboxId) : (await this.inspector.sandbox(sandboxId)).state;
  }

  async containerStates(sandboxId: string): Promise<ContainerStateFact[]> {
    return this.inspector.containerStates ? this.inspector.containerStates(sandboxId) : this.inspector.containers(sandboxId);
  }

  async namespaces(pid: number): Promise<NamespaceIds> {
    const paths = NAMESPACE_KINDS.map((kind) => `/proc/${pid}/ns/${kind}`);
    return parseNamespaceLinks(await runChecked(this.shell, ['readlink', ...paths]));
  }

  async processPresence(pid: number, startTicks?: string): Promise<Presence> {
    // cat of /proc/<pid>/stat: exit 1 with ENOENT (or ESRCH, the process went while read) is the
    // clear "no such process"; a zombie has exited too. LocalShell answers this without a process.
    const argv = ['cat', `/proc/${pid}/stat`];
    const result = await this.shell.run(argv);
    const presence = presenceOfResult(this.command(argv), result);
    if (presence !== 'present') return presence;
    try {
      const stat = parseProcStat(result.stdout);
      // Another process under a reused pid is not the one watched: that one is gone.
      return hasExited(stat) || (startTicks !== undefined && stat.startTicks !== startTicks) ? 'absent' : 'present';
    } catch (error) {
      return { unknown: `${this.command(argv)} printed no stat line: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  async processStart(pid: number): Promise<string | undefined> {
    const result = await this.shell.run(['cat', `/proc/${pid}/stat`]);
    if (result.exitCode !== 0) return undefined;
    try {
      return parseProcStat(result.stdout).startTicks || undefined;
    } catch {
      return undefined;
    }
  }

  async processAlive(pid: number): Promise<boolean> {
    return presentOrThrow(`process ${pid}`, await this.processPresence(pid));
  }

  async processCommand(pid: number): Promise<string | undefined> {
    const result = await this.shell.run(['cat', `/proc/${pid}/cmdline`]);
    if (result.exitCode !== 0) return undefined;
    return result.stdout.split('\0').filter(Boolean).join(' ');
  }

  async pathPresence(path: string): Promise<Presence> {
    // stat, not test -e: test says nothing of why it failed, so a timeout read as "gone".
    const argv = ['stat', '-L', '-c', '%i', path];
    return presenceOfResult(this.command(argv), await this.shell.run(argv));
  }

  async pathExists(path: string): Promise<boolean> {
    return presentOrThrow(path, await this.pathPresence(path));
  }

  async ipPresence(ip: string): Promise<Presence | undefined> {
    if (this.ipamDirs.length === 0) return undefined;
    const unknowns: string[] = [];
    const missingStores: string[] = [];
    for (const dir of this.ipamDirs) {
      const entry = await this.pathPresence(`${dir}/${ip}`);
      if (entry === 'present') return 'present';
      if (isUnknown(entry)) {
        unknowns.push(entry.unknown);
        continue;
      }
      // The IP's file is also missing from a directory that does not exist: the directory itself
      // must be there, or a wrong store path reads every IP as released.
      const store = await this.pathPresence(dir);
      if (store === 'absent') missingStores.push(dir);
      else if (isUnknown(store)) unknowns.push(store.unknown);
    }
    if (unknowns.length > 0) return { unknown: unknowns.join('; ') };
    if (missingStores.length === this.ipamDirs.length) return { unknown: `no IPAM store on the node: ${missingStores.join(', ')} does not exist (a wrong store path cannot tell a released IP)` };
    return 'absent';
  }

  ipStorePaths(ip: string): string[] {
    return this.ipamDirs.map((dir) => posix.join(dir, ip));
  }

  async ipAllocated(ip: string): Promise<boolean | undefined> {
    const presence = await this.ipPresence(ip);
    return presence === undefined ? undefined : presentOrThrow(`IP ${ip} in the IPAM store`, presence);
  }

  async shims(): Promise<RuntimeShim[] | { unknown: string }> {
    if (this.shell instanceof LocalShell) return localShims();
    const result = await this.shell.run(PS_SHIMS_ARGV);
    if (result.exitCode !== 0) return { unknown: shellSaid(this.command(PS_SHIMS_ARGV), result) };
    return parseShimsFromPs(result.stdout);
  }

  async parentShim(pid: number): Promise<RuntimeShim | undefined> {
    return this.shell instanceof LocalShell ? localParentShim(pid) : undefined;
  }

  /** How a person would run argv on this node, for what the evidence says the shell answered. */
  private command(argv: string[]): string {
    return `${this.shell.describe ? this.shell.describe + ' ' : ''}${argv.join(' ')}`;
  }

  async link(ifindex: number): Promise<HostLink | undefined> {
    // On this machine /sys answers without a process (local-proc.ts); listing every link spawns
    // `ip`, and a teardown watch asks once per look.
    if (this.shell instanceof LocalShell) return localLinkByIndex(ifindex);
    return parseIpLinkJson(await runChecked(this.shell, ['ip', '-j', 'link', 'show'])).find((link) => link.ifindex === ifindex);
  }

  async kill(pid: number, signal: 'KILL' | 'TERM'): Promise<void> {
    await runChecked(this.shell, ['kill', '-s', signal, String(pid)]);
  }

  async hostNamespaces(): Promise<NamespaceIds> {
    // PID 1's namespaces are the node's. Some machines refuse even root a look at PID 1's ns
    // links (a VM init here: EACCES, and readlink exits 1 silently); the node shell itself then
    // stands in: it runs in the namespaces the runtime gives a "host" pod (the embedded node's
    // containerd runs in ours).
    const init = await this.shell.run(['readlink', ...NAMESPACE_KINDS.map((kind) => `/proc/1/ns/${kind}`)]);
    if (init.exitCode === 0) return parseNamespaceLinks(init.stdout);
    return parseNamespaceLinks(await runChecked(this.shell, ['readlink', ...NAMESPACE_KINDS.map((kind) => `/proc/self/ns/${kind}`)]));
  }
}
