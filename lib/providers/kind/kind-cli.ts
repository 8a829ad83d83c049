/**
 * The kind CLI, driven through execa with argument arrays. Command lines are built by small pure
 * functions (tested against kind's documented flags); a failure becomes one line that says what
 * failed, why (the engine's own words, from kind's "Command Output:"), and what to do.
 */
import { execa } from 'execa';
import { EnvironmentError, type UserFacingError } from '../../errors.ts';
import type { KindEngine } from './engine.ts';
import { parseKindClusters, parseKindFailure, parseKindVersion } from './kind-parsers.ts';

export const KIND_INSTALL_HINT =
  'Install kind (https://kind.sigs.k8s.io/docs/user/quick-start/#installation), e.g. `go install sigs.k8s.io/kind@latest`, and put it on PATH';

export interface CreateOptions {
  name: string;
  image?: string;
  config?: string;
  /** How long kind waits for the control plane to be Ready (its --wait), e.g. "5m". */
  wait: string;
  /** Where kind writes the cluster's kubeconfig entry: never the user's own kubeconfig. */
  kubeconfig: string;
}

export function createClusterArgs(options: CreateOptions): string[] {
  const args = ['create', 'cluster', '--name', options.name];
  if (options.image) args.push('--image', options.image);
  if (options.config) args.push('--config', options.config);
  args.push('--wait', options.wait, '--kubeconfig', options.kubeconfig);
  return args;
}

export function deleteClusterArgs(name: string, kubeconfig: string): string[] {
  return ['delete', 'cluster', '--name', name, '--kubeconfig', kubeconfig];
}

export function getKubeconfigArgs(name: string): string[] {
  return ['get', 'kubeconfig', '--name', name];
}

export const GET_CLUSTERS_ARGS = ['get', 'clusters'];

/** kind's own limits on a cluster name (pkg/internal/apis/config validation, create's max length). */
export function clusterNameProblem(name: string): string | undefined {
  if (!/^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(name)) return 'kind cluster names are lower-case letters, digits, "." and "-", starting and ending with a letter or digit';
  if (name.length > 50) return 'kind cluster names are at most 50 characters (node container names add "-control-plane")';
  return undefined;
}

/** One line for a failed kind command, from what kind printed. */
export function kindFailureError(command: string, stderr: string, engine: KindEngine): UserFacingError {
  const failure = parseKindFailure(stderr);
  switch (failure.kind) {
    case 'engine-missing':
      return new EnvironmentError(
        `${command} failed`,
        `kind uses ${engine.name} (${engine.reason}) and "${failure.subject}" is not on PATH`,
        engine.name === 'docker'
          ? 'Install Docker (https://docs.docker.com/engine/install/), or set KIND_EXPERIMENTAL_PROVIDER=podman or nerdctl to use another engine.'
          : `Install ${engine.name}, or unset KIND_EXPERIMENTAL_PROVIDER to use Docker.`,
      );
    case 'daemon-down':
      return new EnvironmentError(
        `${command} failed`,
        failure.subject === 'podman' ? 'podman cannot reach its service' : `the Docker daemon is not running (nothing answers at ${failure.subject})`,
        failure.subject === 'podman' ? 'Start it (podman machine start, or systemctl start podman.socket) and retry.' : 'Start it (sudo systemctl start docker) and retry.',
      );
    case 'node-command-missing':
      return new EnvironmentError(
        `${command} failed`,
        `kind's node has no "${failure.subject}" (${failure.engineSaid ?? failure.error}): the node image is not a kind node image`,
        'Pass a kind node image with --node-image (kindest/node:<version>, as the kind release notes list them).',
      );
    case 'image-pull':
      return new EnvironmentError(
        `${command} failed`,
        `the node image ${failure.subject} could not be pulled${failure.engineSaid ? ` (${failure.engineSaid})` : ''}`,
        'Check the network and the image name (--node-image, e.g. kindest/node:v1.33.1), or pull it first with the engine.',
      );
    default:
      return new EnvironmentError(`${command} failed`, `${failure.error}${failure.engineSaid ? ` (${failure.engineSaid})` : ''}`, 'Run the same command by hand to see kind\'s full output.');
  }
}

export interface KindCliOptions {
  binary: string;
  engine: KindEngine;
  /** Called with each line kind prints while it works (create, delete), so a long step is not silent. */
  progress?: (line: string) => void;
}

export class KindCli {
  readonly binary: string;
  readonly engine: KindEngine;
  private readonly progress: ((line: string) => void) | undefined;

  constructor(options: KindCliOptions) {
    this.binary = options.binary;
    this.engine = options.engine;
    this.progress = options.progress;
  }

  /** The command as a user would type it. */
  describe(args: string[]): string {
    return [this.binary, ...args].join(' ');
  }

  private async run(args: string[], timeoutMs: number, streamProgress = false): Promise<{ stdout: string; stderr: string; exitCode: number }> {
    const subprocess = execa(this.binary, args, {
      reject: false,
      timeout: timeoutMs,
      stdin: 'ignore',
      // The user's environment as it is: kind then picks the engine this.engine predicts (engine.ts).
    });
    if (streamProgress && this.progress) {
      let pending = '';
      subprocess.stderr?.on('data', (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) if (line.trim()) this.progress?.(line.trimEnd());
      });
    }
    const result = await subprocess;
    const code = (result as { code?: string }).code;
    if (code === 'ENOENT') {
      throw new EnvironmentError('kind not found', `"${this.binary}" is not on PATH`, `${KIND_INSTALL_HINT}.`);
    }
    if (result.timedOut) {
      throw new EnvironmentError(`${this.describe(args)} did not finish`, `still running after ${Math.round(timeoutMs / 1000)} s`, 'Run it by hand to see where it hangs.');
    }
    return { stdout: String(result.stdout), stderr: String(result.stderr), exitCode: result.exitCode ?? 1 };
  }

  private async checked(args: string[], timeoutMs: number, streamProgress = false): Promise<{ stdout: string; stderr: string }> {
    const result = await this.run(args, timeoutMs, streamProgress);
    if (result.exitCode !== 0) throw kindFailureError(this.describe(args), result.stderr, this.engine);
    return result;
  }

  async version(): Promise<string> {
    const { stdout } = await this.checked(['version'], 30_000);
    return parseKindVersion(stdout)?.version ?? stdout.trim();
  }

  async clusters(): Promise<string[]> {
    return parseKindClusters((await this.checked(GET_CLUSTERS_ARGS, 60_000)).stdout);
  }

  async create(options: CreateOptions, timeoutMs: number): Promise<void> {
    await this.checked(createClusterArgs(options), timeoutMs, true);
  }

  /** `kind delete cluster` exits 0 even for a cluster that does not exist: callers verify with clusters(). */
  async delete(name: string, kubeconfig: string): Promise<void> {
    await this.checked(deleteClusterArgs(name, kubeconfig), 10 * 60_000, true);
  }

  /** The cluster's kubeconfig, as text: loaded in memory, never written to a file or printed. */
  async kubeconfig(name: string): Promise<string> {
    return (await this.checked(getKubeconfigArgs(name), 60_000)).stdout;
  }
}
