/**
 * RuntimeInspector over crictl run through a NodeShell: a real node's runtime seen the way an
 * operator sees it (kubeconfig with --node-shell local or a probe pod, kind, k3s). Every call is
 * one crictl command with -o json, parsed by inspect-parsers.ts / crictl-parsers.ts. A NotFound
 * from the runtime means "gone"; an unreachable runtime is a one-line error naming the command.
 */
import { EnvironmentError } from '../errors.ts';
import { parseCrictlFailure, parseCrictlInfo, parseCrictlPods, parseCrictlPs, parseCrictlVersion, type ContainerSummary, type CrictlInfo } from './crictl-parsers.ts';
import { commonSandboxImage, configDumpSandboxImage, parseImageList, pinnedSandboxImage, resolveSandboxImage, type ListedImage, type SandboxImageSource } from './sandbox-image.ts';
import { parseContainerInspect, parseSandboxInspect } from './inspect-parsers.ts';
import type { NodeShell, ShellResult } from './node-shell.ts';
import { parseImageInspect } from './image-inspect.ts';
import type { ContainerFacts, ImageFacts, SandboxFacts } from './node-view.ts';
import type { PodSandboxLister, RuntimeFacts, RuntimeFactsSource, SandboxSummary } from './runtime-facts.ts';
import type { RuntimeInspector } from './runtime-inspector.ts';

/** How many running sandboxes are inspected for the image they were made from. */
const RUNNING_SANDBOXES_READ = 5;

export interface CrictlOptions {
  /** The crictl binary on the node (default: crictl from PATH). */
  crictl?: string;
  /** --runtime-endpoint (and --image-endpoint); default: crictl's own config (/etc/crictl.yaml). */
  endpoint?: string;
  /** crictl's connection timeout (its --timeout); default 10s. */
  connectTimeout?: string;
}

/** Raised when crictl fails for a reason other than NotFound; its message is one pasteable line. */
export class CrictlError extends Error {
  readonly kind: string;
  /** What went wrong, without the command. */
  readonly detail: string;
  constructor(command: string, kind: string, detail: string) {
    super(`crictl failed: ${command}: ${detail}`);
    this.name = 'CrictlError';
    this.kind = kind;
    this.detail = detail;
  }
}

export class CrictlInspector implements RuntimeInspector, PodSandboxLister, RuntimeFactsSource {
  private readonly shell: NodeShell;
  private readonly base: string[];

  constructor(shell: NodeShell, options: CrictlOptions = {}) {
    this.shell = shell;
    this.base = [options.crictl ?? 'crictl'];
    if (options.endpoint) this.base.push('--runtime-endpoint', options.endpoint, '--image-endpoint', options.endpoint);
    this.base.push('--timeout', options.connectTimeout ?? '10s');
  }

  /** The argv a command runs as, e.g. for error messages and docs. */
  argv(args: string[]): string[] {
    return [...this.base, ...args];
  }

  private describe(args: string[]): string {
    return `${this.shell.describe ? this.shell.describe + ' ' : ''}${this.argv(args).join(' ')}`;
  }

  /**
   * Runs crictl; 'not-found' when the runtime says NotFound (or the message matches `absent`),
   * throws CrictlError on any other failure.
   */
  private async run(args: string[], absent?: RegExp): Promise<{ stdout: string } | 'not-found'> {
    let result: ShellResult;
    try {
      result = await this.shell.run(this.argv(args), { timeoutMs: 30_000 });
    } catch (error) {
      throw new CrictlError(this.describe(args), 'other', error instanceof Error ? error.message : String(error));
    }
    if (result.exitCode === 0) return { stdout: result.stdout };
    // A shell reports a missing binary as 127 with nothing on stderr (LocalShell, sh, nsenter).
    if (result.exitCode === 127 && !result.stderr.includes('level=')) {
      throw new CrictlError(this.describe(args), 'missing', `exit 127: ${this.base[0]} not found on the node${result.stderr.trim() ? ` (${result.stderr.trim().split('\n').at(-1)})` : ''}`);
    }
    const failure = parseCrictlFailure(result.stderr);
    if (failure.kind === 'not-found' || absent?.test(failure.message)) return 'not-found';
    throw new CrictlError(this.describe(args), failure.kind, `exit ${result.exitCode}: ${failure.message}`);
  }

  private async stdout(args: string[]): Promise<string> {
    const result = await this.run(args);
    if (result === 'not-found') throw new CrictlError(this.describe(args), 'not-found', 'NotFound');
    return result.stdout;
  }

  async sandbox(sandboxId: string): Promise<SandboxFacts> {
    const result = await this.run(['inspectp', '-o', 'json', sandboxId]);
    if (result === 'not-found') return { id: sandboxId, state: 'gone', attempt: 0, labels: {} };
    return parseSandboxInspect(JSON.parse(result.stdout));
  }

  async containers(sandboxId: string): Promise<ContainerFacts[]> {
    const listed = await this.listContainers(['--pod', sandboxId]);
    const facts = await Promise.all(listed.map((container) => this.container(container.id)));
    return facts.filter((fact) => fact.state !== 'gone');
  }

  async container(containerId: string): Promise<ContainerFacts> {
    const result = await this.run(['inspect', '-o', 'json', containerId]);
    if (result === 'not-found') return { id: containerId, sandboxId: '', name: '', attempt: 0, state: 'gone' };
    return parseContainerInspect(JSON.parse(result.stdout));
  }

  /** `crictl inspecti -o json REF`: the image with its config; undefined when the runtime does not have it. */
  async image(reference: string): Promise<ImageFacts | undefined> {
    // crictl says `no such image "REF" present` when ImageStatus answers with no image.
    const result = await this.run(['inspecti', '-o', 'json', reference], /no such image/);
    if (result === 'not-found') return undefined;
    return parseImageInspect(JSON.parse(result.stdout));
  }

  /** `crictl ps -a` with filters (every state, every attempt the runtime still keeps). */
  async listContainers(filters: string[]): Promise<ContainerSummary[]> {
    return parseCrictlPs(await this.stdout(['ps', '-a', ...filters, '-o', 'json']));
  }

  async listPodSandboxes(labels: Record<string, string>): Promise<SandboxSummary[]> {
    const filters = Object.entries(labels).flatMap(([key, value]) => ['--label', `${key}=${value}`]);
    return parseCrictlPods(await this.stdout(['pods', ...filters, '-o', 'json']));
  }

  async runtimeFacts(): Promise<RuntimeFacts> {
    const version = parseCrictlVersion(await this.stdout(['version']));
    const info = parseCrictlInfo(await this.stdout(['info', '-o', 'json']));
    // The image list answers two sources (the pinned image, and the id of a named image): read once.
    let listed: Promise<ListedImage[]> | undefined;
    const images = (): Promise<ListedImage[]> => (listed ??= this.stdout(['images', '-o', 'json']).then((out) => parseImageList(JSON.parse(out))));
    return {
      runtimeName: version.runtimeName,
      runtimeVersion: version.runtimeVersion,
      runtimeApiVersion: version.runtimeApiVersion,
      ipamDirs: info.ipamDirs,
      ...(info.ipamNotChecked ? { ipamNotChecked: info.ipamNotChecked } : {}),
      ...(await resolveSandboxImage(this.sandboxImageSources(info, images), async (image) => {
        const listedId = (await images()).find((entry) => entry.repoTags.includes(image))?.id;
        if (listedId) return { id: listedId, source: this.argv(['images', '-o', 'json']).join(' ') };
        const inspected = (await this.image(image))?.id;
        return inspected ? { id: inspected, source: this.argv(['inspecti', '-o', 'json', image]).join(' ') } : undefined;
      })),
    };
  }

  /** Where this runtime may tell its sandbox image, in the order of sandbox-image.ts. */
  private sandboxImageSources(info: CrictlInfo, images: () => Promise<ListedImage[]>): SandboxImageSource[] {
    return [
      { describe: 'crictl info: config.sandboxImage', read: async () => (info.sandboxImage ? { image: info.sandboxImage } : { why: 'not reported (containerd 2.x no longer exports it)' }) },
      { describe: `the runtime's one pinned image (${this.argv(['images', '-o', 'json']).join(' ')})`, read: async () => pinnedSandboxImage(await images()) },
      {
        describe: 'containerd config dump on the node',
        read: async () => {
          const dump = await this.shell.run(['containerd', 'config', 'dump'], { timeoutMs: 30_000 });
          // No containerd binary on the node (another runtime, or k3s's bundled one): the source does not exist there.
          if (dump.exitCode === 127) return undefined;
          if (dump.exitCode !== 0) return { why: `exit ${dump.exitCode}: ${dump.stderr.trim().split('\n').at(-1) ?? ''}` };
          return configDumpSandboxImage(dump.stdout, info.containerdEndpoint);
        },
      },
      {
        describe: 'the image of the running sandboxes (crictl inspectp)',
        read: async () => {
          // A few suffice: they name the image they were made from; a node may run hundreds.
          const running = (await this.listPodSandboxes({})).filter((sandbox) => sandbox.state === 'ready').slice(0, RUNNING_SANDBOXES_READ);
          const common = commonSandboxImage(await Promise.all(running.map(async (sandbox) => (await this.sandbox(sandbox.id)).image ?? '')));
          return common ? { image: common.image } : { why: running.length === 0 ? 'no sandbox is running' : 'the running sandboxes name no image' };
        },
      },
    ];
  }

  /** Fails with one line when crictl cannot reach the runtime (checked once per node at start). */
  async checkReachable(): Promise<void> {
    try {
      await this.stdout(['version']);
    } catch (error) {
      if (error instanceof CrictlError) {
        throw new EnvironmentError(
          `crictl cannot reach the node's runtime (${this.describe(['version'])})`,
          error.detail,
          error.kind === 'missing'
            ? 'Install crictl (kubernetes-sigs/cri-tools) on the node and put it on PATH.'
            : 'Check the runtime is running and pass --cri-endpoint with its socket (e.g. unix:///run/containerd/containerd.sock).',
        );
      }
      throw error;
    }
  }
}
