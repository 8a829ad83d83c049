/**
 * What the kind CLI prints, read back. kind writes progress and errors to stderr ("ERROR: ..."
 * then "Command Output: ..." with the engine's own message) and data to stdout. Based on kind
 * v0.33.0 outputs recorded with and without a Docker engine (fixtures/recorded/kind-*.txt, copied
 * into fixtures/recorded/).
 */

/** `kind version`: "kind v0.33.0 go1.27.2 linux/amd64". */
export function parseKindVersion(stdout: string): { version: string; go?: string; platform?: string } | undefined {
  const match = /^kind\s+(v\S+)(?:\s+(go\S+))?(?:\s+(\S+\/\S+))?/m.exec(stdout.trim());
  if (!match) return undefined;
  const parsed: { version: string; go?: string; platform?: string } = { version: match[1]! };
  if (match[2]) parsed.go = match[2];
  if (match[3]) parsed.platform = match[3];
  return parsed;
}

/**
 * `kind get clusters` (exit 0): one name per line on stdout. With none, stdout is empty and
 * stderr says "No kind clusters found." (not an error).
 */
export function parseKindClusters(stdout: string): string[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

export type KindFailureKind = 'engine-missing' | 'daemon-down' | 'image-pull' | 'node-command-missing' | 'other';

export interface KindFailure {
  kind: KindFailureKind;
  /** The first "ERROR: ..." line, without the prefix. */
  error: string;
  /** The first line of kind's "Command Output:" (what the engine said), if any. */
  engineSaid?: string;
  /**
   * For engine-missing: the binary; for daemon-down: the daemon address; for image-pull: the image;
   * for node-command-missing: the command kind ran in its node (kubeadm, in an image that is no kind node image).
   */
  subject?: string;
}

/** Reads kind's stderr after a failed command. */
export function parseKindFailure(stderr: string): KindFailure {
  const lines = stderr.split('\n');
  const errorLine = lines.find((line) => line.startsWith('ERROR: '));
  const error = errorLine ? errorLine.slice('ERROR: '.length).trim() : (lines.map((line) => line.trim()).filter(Boolean).at(-1) ?? 'kind printed no error message');
  const outputLine = lines.find((line) => line.startsWith('Command Output:'));
  const engineSaid = outputLine?.slice('Command Output:'.length).trim() || undefined;
  const failure = (kind: KindFailureKind, subject?: string): KindFailure => {
    const result: KindFailure = { kind, error };
    if (engineSaid) result.engineSaid = engineSaid;
    if (subject) result.subject = subject;
    return result;
  };
  // The same Go error for two things: the engine CLI missing here, or a command missing in kind's
  // node, which the engine reports as "OCI runtime exec failed" (the node image is no kind image).
  const inNode = /OCI runtime exec failed: .*exec: "([^"]+)": executable file not found/.exec(stderr);
  if (inNode) return failure('node-command-missing', inNode[1]);
  const missing = /exec: "([^"]+)": executable file not found/.exec(stderr);
  if (missing) return failure('engine-missing', missing[1]);
  const docker = /Cannot connect to the Docker daemon at (\S+?)\.? Is the docker daemon running\?/.exec(stderr);
  if (docker) return failure('daemon-down', docker[1]);
  if (/Cannot connect to Podman|unable to connect to Podman/.test(stderr)) return failure('daemon-down', 'podman');
  const pull = /failed to pull image "([^"]+)"/.exec(stderr);
  if (pull) return failure('image-pull', pull[1]);
  return failure('other');
}
