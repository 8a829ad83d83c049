/**
 * RuntimeInspector over containerd's ctr, run through a NodeShell, for nodes that ship ctr but no
 * crictl (microk8s: `microk8s ctr` already points at the snap's containerd). Sandboxes and
 * containers are found by the CRI plugin's container labels, their facts read from
 * `ctr containers info` and `ctr tasks ls` (parsers in ctr-parsers.ts), exit codes from the CRI
 * status file when the node's containerd root is known. Every call is an argv through the shell.
 */
import { EnvironmentError } from '../errors.ts';
import {
  containerFactsFromCtr,
  cniNetworkFromConfigFile,
  ctrLabelFilter,
  firstCniConfigFile,
  imageConfigCommand,
  isCtrNotFound,
  nextImageBlob,
  parseCtrImagesLs,
  parseCriContainerStatus,
  parseCtrContainerInfo,
  parseCtrContainersLs,
  parseCtrServerVersion,
  parseCtrTasksLs,
  sandboxFactsFromCtr,
  sandboxSummaryFromCtr,
  type CriContainerStatus,
  type CtrContainerInfo,
  type CtrTaskRow,
} from './ctr-parsers.ts';
import { ipv4OfDevice } from '../linux/ip-addr.ts';
import { LABEL_CRI_KIND, LABEL_POD_UID } from '../labels.ts';
import type { NodeShell } from './node-shell.ts';
import { NodeCommandError, runChecked } from './node-shell.ts';
import { hostLocalIpamDirs } from './cni-info.ts';
import type { ContainerFacts, ImageFacts, SandboxFacts } from './node-view.ts';
import type { PodSandboxLister, RuntimeFacts, RuntimeFactsSource, SandboxSummary } from './runtime-facts.ts';
import type { RuntimeInspector } from './runtime-inspector.ts';

export interface CtrInspectorOptions {
  /** The argv that runs ctr against the node's containerd in the k8s.io namespace. */
  ctr: string[];
  /**
   * The CRI plugin's root on the node (<containerd --root>/io.containerd.grpc.v1.cri), where each
   * container's status file holds its exit code. Without it, exited containers read as 'unknown'.
   */
  criRootDir?: string;
  /** The sandbox image from the runtime's configuration, with where it was read (for the report). */
  configuredSandboxImage?: () => Promise<{ image: string; source: string } | undefined>;
  /**
   * The node's CNI configuration directory, as the CRI plugin is configured with it (cni conf_dir;
   * containerd's default is /etc/cni/net.d). ctr cannot show the CRI plugin's CNI config, so the
   * host-local IPAM directories are read from the file the plugin loads from there. Without it,
   * runtimeFacts reports none (the IP-release checks then say they cannot look).
   */
  cniConfDir?: string;
}

const APP_CONTAINER = { [LABEL_CRI_KIND]: 'container' };
const SANDBOX = { [LABEL_CRI_KIND]: 'sandbox' };

/** The node's architecture as OCI platforms name it: the node runs on this machine's kind of CPU. */
function goArchitecture(): string {
  return ({ x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x' } as Record<string, string>)[process.arch] ?? process.arch;
}

export class CtrInspector implements RuntimeInspector, PodSandboxLister, RuntimeFactsSource {
  private readonly shell: NodeShell;
  private readonly options: CtrInspectorOptions;

  constructor(shell: NodeShell, options: CtrInspectorOptions) {
    this.shell = shell;
    this.options = options;
  }

  /** The argv a ctr subcommand runs as. */
  argv(args: string[]): string[] {
    return [...this.options.ctr, ...args];
  }

  private async ctr(args: string[]): Promise<string> {
    const argv = this.argv(args);
    const result = await this.shell.run(argv, { timeoutMs: 30_000 });
    if (result.exitCode !== 0) throw new NodeCommandError(this.shell, argv, result);
    return result.stdout;
  }

  /** ctr containers info, or undefined when containerd no longer has that container. */
  private async info(id: string): Promise<CtrContainerInfo | undefined> {
    const argv = this.argv(['containers', 'info', id]);
    const result = await this.shell.run(argv, { timeoutMs: 30_000 });
    if (result.exitCode !== 0) {
      if (isCtrNotFound(result.stderr)) return undefined;
      throw new NodeCommandError(this.shell, argv, result);
    }
    return parseCtrContainerInfo(result.stdout);
  }

  private async tasks(): Promise<Map<string, CtrTaskRow>> {
    return parseCtrTasksLs(await this.ctr(['tasks', 'ls']));
  }

  private async ids(labels: Record<string, string>): Promise<string[]> {
    return parseCtrContainersLs(await this.ctr(['containers', 'ls', ctrLabelFilter(labels)])).map((row) => row.id);
  }

  async sandbox(sandboxId: string): Promise<SandboxFacts> {
    const info = await this.info(sandboxId);
    if (!info) return { id: sandboxId, state: 'gone', attempt: 0, labels: {} };
    const task = (await this.tasks()).get(sandboxId);
    const netnsOpen = info.netnsPath ? (await this.shell.run(['test', '-e', info.netnsPath])).exitCode === 0 : false;
    const facts = sandboxFactsFromCtr(info, task, netnsOpen);
    // A containerd that keeps no IP in its metadata: ask the kernel, inside the pod's netns.
    if (facts.ip === undefined && netnsOpen && info.netnsPath) {
      const shown = await this.shell.run(['nsenter', `--net=${info.netnsPath}`, 'ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
      facts.ip = shown.exitCode === 0 ? (ipv4OfDevice(shown.stdout, 'eth0') ?? '') : '';
    }
    return facts;
  }

  async containers(sandboxId: string): Promise<ContainerFacts[]> {
    const sandbox = await this.info(sandboxId);
    if (!sandbox) return [];
    // Containers carry their pod's uid label; the uid narrows the list to this pod's attempts.
    const uid = sandbox.labels[LABEL_POD_UID];
    const ids = await this.ids(uid ? { [LABEL_POD_UID]: uid, ...APP_CONTAINER } : APP_CONTAINER);
    const tasks = await this.tasks();
    const facts = await Promise.all(ids.map((id) => this.containerWith(id, tasks)));
    return facts.filter((fact) => fact.state !== 'gone' && fact.sandboxId === sandboxId);
  }

  async container(containerId: string): Promise<ContainerFacts> {
    return this.containerWith(containerId, await this.tasks());
  }

  private async containerWith(containerId: string, tasks: Map<string, CtrTaskRow>): Promise<ContainerFacts> {
    const info = await this.info(containerId);
    if (!info) return { id: containerId, sandboxId: '', name: '', attempt: 0, state: 'gone' };
    return containerFactsFromCtr(info, tasks.get(containerId), await this.status(containerId));
  }

  /**
   * An image the node's containerd has, with its config's entrypoint and cmd, read through ctr's
   * content store: `images ls` (target digest; the CRI plugin also lists the image under its id,
   * the config digest), then `content get` from the target to the config. undefined when the
   * runtime does not have it.
   */
  async image(reference: string): Promise<ImageFacts | undefined> {
    const rows = parseCtrImagesLs(await this.ctr(['images', 'ls']));
    const named = rows.find((row) => row.ref === reference);
    if (!named) return undefined;
    let next = nextImageBlob(await this.ctr(['content', 'get', named.digest]), goArchitecture());
    if (next.kind === 'manifest') next = nextImageBlob(await this.ctr(['content', 'get', next.digest]), goArchitecture());
    const { entrypoint, cmd } = imageConfigCommand(await this.ctr(['content', 'get', next.digest]));
    const names = rows.filter((row) => row.digest === named.digest && !row.ref.startsWith('sha256:')).map((row) => row.ref);
    return { id: next.digest, repoTags: names.filter((ref) => !ref.includes('@')), repoDigests: names.filter((ref) => ref.includes('@')), entrypoint, cmd };
  }

  /** The CRI status file of a container, when the plugin's root is known and the file readable. */
  private async status(containerId: string): Promise<CriContainerStatus | undefined> {
    if (!this.options.criRootDir) return undefined;
    const result = await this.shell.run(['cat', `${this.options.criRootDir}/containers/${containerId}/status`]);
    return result.exitCode === 0 ? parseCriContainerStatus(result.stdout) : undefined;
  }

  async listPodSandboxes(labels: Record<string, string>): Promise<SandboxSummary[]> {
    const ids = await this.ids({ ...labels, ...SANDBOX });
    const tasks = await this.tasks();
    const infos = await Promise.all(ids.map((id) => this.info(id)));
    return infos.filter((info): info is CtrContainerInfo => info !== undefined).map((info) => sandboxSummaryFromCtr(info, tasks.get(info.id)));
  }

  async runtimeFacts(): Promise<RuntimeFacts> {
    const version = parseCtrServerVersion(await this.ctr(['version']));
    const facts: RuntimeFacts = {
      runtimeName: 'containerd',
      runtimeVersion: version ?? 'unknown (ctr version printed no Server section)',
      // ctr does not speak CRI; a runtime that serves a kubelet of 1.26 or later serves CRI v1,
      // the only version those kubelets use.
      runtimeApiVersion: 'v1',
      ipamDirs: await this.ipamDirs(),
    };
    const configured = await this.options.configuredSandboxImage?.();
    if (configured) {
      facts.sandboxImage = configured.image;
      facts.sandboxImageSource = configured.source;
      return facts;
    }
    const rows = parseCtrContainersLs(await this.ctr(['containers', 'ls', ctrLabelFilter(SANDBOX)]));
    const images = [...new Set(rows.map((row) => row.image))];
    if (images.length > 0) {
      facts.sandboxImage = images.join(', ');
      facts.sandboxImageSource = `images of the node's sandboxes (${this.argv(['containers', 'ls', ctrLabelFilter(SANDBOX)]).join(' ')})`;
    }
    return facts;
  }

  /**
   * host-local IPAM directories of the network the CRI plugin uses: the first CNI config file in
   * cniConfDir by name (libcni's order; the plugin loads max_conf_num = 1 by default).
   */
  private async ipamDirs(): Promise<string[]> {
    const dir = this.options.cniConfDir;
    if (!dir) return [];
    const listed = await this.shell.run(['ls', '-1', dir]);
    if (listed.exitCode !== 0) return [];
    const file = firstCniConfigFile(listed.stdout.split('\n'));
    if (!file) return [];
    const network = cniNetworkFromConfigFile(await runChecked(this.shell, ['cat', `${dir}/${file}`]));
    return network ? hostLocalIpamDirs(network) : [];
  }

  /** Fails with one line when ctr cannot reach the node's containerd (checked once at start). */
  async checkReachable(): Promise<void> {
    try {
      await this.ctr(['version']);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      throw new EnvironmentError(`ctr cannot reach the node's containerd`, detail, 'Check that the runtime is running and that you run as root.');
    }
  }
}
