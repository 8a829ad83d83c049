/**
 * Parsers for containerd's own CLI (ctr) as a window on the CRI plugin's pods, where no crictl
 * ships (microk8s). ctr knows containers and tasks, not sandboxes; the CRI plugin keeps what
 * crictl would show in three places ctr can read:
 * - container labels (io.cri-containerd.kind=sandbox|container, io.kubernetes.*),
 * - a base64 JSON "extension" on each container (io.cri-containerd.sandbox.metadata holds the
 *   sandbox config, NetNSPath and IP; io.cri-containerd.container.metadata holds SandboxID and the
 *   container config with its attempt),
 * - the OCI spec (linux.namespaces: the netns path), and `ctr tasks ls` (pid and status).
 * A container's exit code and start/finish times live only in the CRI status file
 * (<containerd root>/io.containerd.grpc.v1.cri/containers/<id>/status), parsed here too.
 * Fixtures: ctr 1.6.20 outputs recorded on a real node and from the embedded node (fixtures/recorded).
 */
import { netnsPathFromSpec } from './inspect-parsers.ts';
import type { ContainerRunState } from '../cri/states.ts';
import type { ContainerFacts, SandboxFacts } from './node-view.ts';
import { withPodIdentity, type SandboxSummary } from './runtime-facts.ts';
import { record, stringRecord, text, integer, type Json } from './json-fields.ts';
import { LABEL_CONTAINER_NAME, LABEL_CRI_KIND, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID } from '../labels.ts';


/** Thrown when ctr printed something other than what the command prints; names the command. */
export class CtrOutputError extends Error {
  constructor(what: string, detail: string) {
    super(`ctr ${what} printed something unexpected: ${detail}`);
    this.name = 'CtrOutputError';
  }
}

/**
 * A ctr table: a header line of upper-case column names, then one row per line. Cells never hold
 * spaces (ids, image refs, runtime names, pids, statuses), so whitespace splits them.
 */
function parseTable(output: string, header: string[], what: string): string[][] {
  const lines = output.split('\n').map((line) => line.trim()).filter((line) => line.length > 0);
  const first = lines[0]?.split(/\s+/) ?? [];
  if (lines.length === 0 || first.join(' ') !== header.join(' ')) {
    throw new CtrOutputError(what, `expected the header "${header.join(' ')}", got ${JSON.stringify((lines[0] ?? '').slice(0, 80))}`);
  }
  return lines.slice(1).map((line) => line.split(/\s+/));
}

export interface CtrContainerRow {
  id: string;
  image: string;
  runtime: string;
}

/** `ctr containers ls [filter]`: CONTAINER IMAGE RUNTIME. */
export function parseCtrContainersLs(output: string): CtrContainerRow[] {
  return parseTable(output, ['CONTAINER', 'IMAGE', 'RUNTIME'], 'containers ls').map((cells) => {
    const [id = '', image = '', runtime = ''] = cells;
    return { id, image, runtime };
  });
}

export type CtrTaskStatus = 'RUNNING' | 'STOPPED' | 'CREATED' | 'PAUSED' | 'PAUSING' | 'UNKNOWN';

export interface CtrTaskRow {
  id: string;
  pid: number;
  status: CtrTaskStatus;
}

const TASK_STATUSES = new Set<string>(['RUNNING', 'STOPPED', 'CREATED', 'PAUSED', 'PAUSING', 'UNKNOWN']);

/** `ctr tasks ls`: TASK PID STATUS. The CRI plugin deletes a task once its process exits. */
export function parseCtrTasksLs(output: string): Map<string, CtrTaskRow> {
  const tasks = new Map<string, CtrTaskRow>();
  for (const [id = '', pid = '', status = ''] of parseTable(output, ['TASK', 'PID', 'STATUS'], 'tasks ls')) {
    if (!/^\d+$/.test(pid)) throw new CtrOutputError('tasks ls', `pid ${JSON.stringify(pid)} of task ${id} is not a number`);
    tasks.set(id, { id, pid: Number(pid), status: (TASK_STATUSES.has(status) ? status : 'UNKNOWN') as CtrTaskStatus });
  }
  return tasks;
}

/** `ctr version`: the Server section's Version, e.g. "1.6.20~ds1". */
export function parseCtrServerVersion(output: string): string | undefined {
  const server = output.split(/^Server:\s*$/m)[1];
  return server ? /^\s*Version:\s*(\S+)/m.exec(server)?.[1] : undefined;
}

/** ctr's message for an id the containerd namespace does not hold. */
export function isCtrNotFound(stderr: string): boolean {
  return /: not found\s*$/.test(stderr.trim());
}

/** The CRI plugin's metadata extension of a container (base64 JSON), or {} when absent. */
export function criExtension(info: Record<string, Json>, key: string): Record<string, Json> {
  const value = text(record(record(info['Extensions'])[key])['value']);
  if (!value) return {};
  try {
    return record(record(JSON.parse(Buffer.from(value, 'base64').toString('utf8')))['Metadata']);
  } catch {
    return {};
  }
}

export const SANDBOX_METADATA = 'io.cri-containerd.sandbox.metadata';
export const CONTAINER_METADATA = 'io.cri-containerd.container.metadata';

export interface CtrContainerInfo {
  id: string;
  /** 'sandbox' for a pod's pause container, 'container' for an app container (CRI label). */
  kind: string | undefined;
  labels: Record<string, string>;
  image: string;
  createdAtNs: bigint;
  netnsPath: string | undefined;
  annotations: Record<string, string>;
  /** The decoded CRI metadata extension (sandbox or container). */
  metadata: Record<string, Json>;
}

/** RFC 3339 with up to 9 fractional digits (Go's time.Time JSON) -> ns since the epoch. */
export function rfc3339Nanoseconds(value: string | undefined): bigint {
  const match = value ? /^(.*T\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/.exec(value) : null;
  if (!match) return 0n;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return 0n;
  return BigInt(seconds) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** JSON that ctr (or a file it reads) printed, or a CtrOutputError naming what printed it. */
function parseJson(output: string, what: string): Json {
  try {
    return JSON.parse(output);
  } catch (error) {
    throw new CtrOutputError(what, `not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** `ctr containers info <id>` JSON -> the parts the inspector uses. */
export function parseCtrContainerInfo(output: string): CtrContainerInfo {
  const parsed = parseJson(output, 'containers info');
  const info = record(parsed);
  const id = text(info['ID']);
  if (!id) throw new CtrOutputError('containers info', 'no "ID" field');
  const labels = stringRecord(info['Labels']);
  const kind = labels[LABEL_CRI_KIND];
  const spec = record(info['Spec']);
  return {
    id,
    kind,
    labels,
    image: text(info['Image']) ?? '',
    createdAtNs: rfc3339Nanoseconds(text(info['CreatedAt'])),
    netnsPath: netnsPathFromSpec(spec),
    annotations: stringRecord(spec['annotations']),
    metadata: criExtension(info, kind === 'sandbox' ? SANDBOX_METADATA : CONTAINER_METADATA),
  };
}

/** CRI NamespaceMode as the metadata stores it: a proto enum number (omitted = 0 = POD). */
function namespaceMode(value: Json): string {
  if (typeof value === 'string') return value;
  return ['POD', 'CONTAINER', 'NODE', 'TARGET'][integer(value) ?? 0] ?? 'POD';
}

/**
 * A sandbox's facts from its ctr info and its task. state follows the task: the CRI plugin
 * reports a sandbox READY while its pause task runs, and deletes the task when pause exits.
 * ip follows containerd's own rule: the IP it stored while the netns is still there, "" after
 * (netnsOpen says whether the netns path still exists on the node).
 */
export function sandboxFactsFromCtr(info: CtrContainerInfo, task: CtrTaskRow | undefined, netnsOpen: boolean): SandboxFacts {
  const config = record(info.metadata['Config']);
  const metadata = record(config['metadata']);
  const options = record(record(record(config['linux'])['security_context'])['namespace_options']);
  const running = task?.status === 'RUNNING';
  const configLabels = stringRecord(config['labels']);
  const facts: SandboxFacts = {
    id: info.id,
    state: running ? 'ready' : 'notready',
    attempt: integer(metadata['attempt']) ?? 0,
    labels: Object.keys(configLabels).length > 0 ? configLabels : withoutCriKind(info.labels),
    namespaceModes: { network: namespaceMode(options['network']), pid: namespaceMode(options['pid']), ipc: namespaceMode(options['ipc']) },
  };
  if (running && task.pid > 0) facts.pausePid = task.pid;
  const netns = text(info.metadata['NetNSPath']) || info.netnsPath;
  if (netns) facts.netnsPath = netns;
  const ip = text(info.metadata['IP']);
  if (ip !== undefined) facts.ip = netnsOpen ? ip : '';
  if (info.image) facts.image = info.image;
  return facts;
}

function withoutCriKind(labels: Record<string, string>): Record<string, string> {
  const { [LABEL_CRI_KIND]: _kind, ...rest } = labels;
  return rest;
}

/** A sandbox's summary (as `crictl pods` would list it) from its ctr info and task. */
export function sandboxSummaryFromCtr(info: CtrContainerInfo, task: CtrTaskRow | undefined): SandboxSummary {
  const facts = sandboxFactsFromCtr(info, task, false);
  const summary: SandboxSummary = {
    id: info.id,
    state: facts.state === 'ready' ? 'ready' : 'notready',
    attempt: facts.attempt,
    createdAtNs: info.createdAtNs,
    labels: facts.labels,
  };
  const config = record(record(info.metadata['Config'])['metadata']);
  return withPodIdentity(summary, {
    name: text(config['name']) ?? facts.labels[LABEL_POD_NAME],
    namespace: text(config['namespace']) ?? facts.labels[LABEL_POD_NAMESPACE],
    uid: text(config['uid']) ?? facts.labels[LABEL_POD_UID],
  });
}

export interface CriContainerStatus {
  state: ContainerRunState;
  pid: number;
  exitCode: number;
}

/**
 * The CRI plugin's status file of a container: {"Version":"v1","Pid":..,"CreatedAt":..,
 * "StartedAt":..,"FinishedAt":..,"ExitCode":..}. State is derived as the plugin derives it
 * (containerd pkg/cri/store/container Status.State): finished -> exited, started -> running,
 * created -> created.
 */
export function parseCriContainerStatus(output: string): CriContainerStatus {
  const parsed = parseJson(output, 'CRI status file');
  const status = record(parsed);
  if (status['Version'] !== 'v1') throw new CtrOutputError('CRI status file', `unknown version ${JSON.stringify(status['Version'])}`);
  const finished = integer(status['FinishedAt']) ?? 0;
  const started = integer(status['StartedAt']) ?? 0;
  const created = integer(status['CreatedAt']) ?? 0;
  const state = finished !== 0 ? 'exited' : started !== 0 ? 'running' : created !== 0 ? 'created' : 'unknown';
  return { state, pid: integer(status['Pid']) ?? 0, exitCode: integer(status['ExitCode']) ?? 0 };
}

/**
 * An app container's facts from its ctr info, its task and (where readable) its CRI status file.
 * Without the status file, a container with no task is reported 'unknown': ctr alone cannot tell
 * "created, never started" from "exited" (the plugin deletes the task of an exited container).
 */
export function containerFactsFromCtr(info: CtrContainerInfo, task: CtrTaskRow | undefined, status: CriContainerStatus | undefined): ContainerFacts {
  const config = record(info.metadata['Config']);
  const metadata = record(config['metadata']);
  const taskState: ContainerFacts['state'] =
    task?.status === 'RUNNING' || task?.status === 'PAUSED' || task?.status === 'PAUSING' ? 'running' : task?.status === 'STOPPED' ? 'exited' : task?.status === 'CREATED' ? 'created' : 'unknown';
  const state = status ? status.state : taskState;
  const facts: ContainerFacts = {
    id: info.id,
    sandboxId: text(info.metadata['SandboxID']) ?? info.annotations['io.kubernetes.cri.sandbox-id'] ?? '',
    name: info.labels[LABEL_CONTAINER_NAME] ?? text(metadata['name']) ?? info.annotations['io.kubernetes.cri.container-name'] ?? '',
    attempt: integer(metadata['attempt']) ?? 0,
    state,
  };
  if (state === 'running') {
    const pid = task?.pid || status?.pid || 0;
    if (pid > 0) facts.pid = pid;
  }
  if (state === 'exited' && status) facts.exitCode = status.exitCode;
  return facts;
}

/**
 * A containerd filter on container labels, as `ctr containers ls` takes it: every label must
 * match (comma = and). Values are quoted so that any character a label value may hold is literal.
 */
export function ctrLabelFilter(labels: Record<string, string>): string {
  return Object.entries(labels)
    .map(([key, value]) => `labels.${JSON.stringify(key)}==${JSON.stringify(value)}`)
    .join(',');
}

/** The CNI config file containerd's CRI plugin loads first from its conf_dir: libcni's extensions, sorted by name. */
export function firstCniConfigFile(names: string[]): string | undefined {
  return names
    .map((name) => name.trim())
    .filter((name) => /\.(conflist|conf|json)$/.test(name))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[0];
}

/**
 * A CNI config file (a .conflist, or a single-plugin .conf) in the shape of the cniconfig the CRI
 * plugin reports (crictl info: Networks[].Config{Name, Plugins[].Source}), so that cni-info.ts
 * reads the IPAM store from it as it does from crictl; undefined when the file is not one.
 */
export function cniNetworkFromConfigFile(content: string): { Networks: { Config: { Name: string; Plugins: { Source: string }[] } }[] } | undefined {
  let parsed: Json;
  try {
    parsed = JSON.parse(content) as Json;
  } catch {
    return undefined;
  }
  const config = record(parsed);
  const name = text(config['name']);
  if (!name) return undefined;
  const plugins = Array.isArray(config['plugins']) ? config['plugins'] : typeof config['type'] === 'string' ? [parsed] : [];
  return { Networks: [{ Config: { Name: name, Plugins: plugins.map((plugin) => ({ Source: JSON.stringify(plugin) })) } }] };
}

export interface CtrImageRow {
  ref: string;
  /** Media type of the image's target: an OCI/Docker manifest or an index (manifest list). */
  type: string;
  digest: string;
}

/**
 * `ctr images ls`: REF TYPE DIGEST SIZE PLATFORMS LABELS. SIZE holds a space ("1.9 MiB"), so only
 * the first three cells are read. The CRI plugin lists each image under its names and under its id
 * (the config digest, "sha256:..."), all with the same target digest.
 */
export function parseCtrImagesLs(output: string): CtrImageRow[] {
  return parseTable(output, ['REF', 'TYPE', 'DIGEST', 'SIZE', 'PLATFORMS', 'LABELS'], 'images ls').map((cells) => {
    const [ref = '', type = '', digest = ''] = cells;
    return { ref, type, digest };
  });
}

/**
 * The next blob on the way from an image's target to its config (`ctr content get <digest>`): an
 * index names the manifest for the architecture, a manifest names the config.
 */
export function nextImageBlob(document: string, architecture: string): { kind: 'manifest' | 'config'; digest: string } {
  const parsed = record(parseJson(document, 'content get'));
  const manifests = Array.isArray(parsed['manifests']) ? parsed['manifests'].map(record) : undefined;
  if (manifests) {
    const chosen = manifests.find((m) => record(m['platform'])['architecture'] === architecture && record(m['platform'])['os'] === 'linux') ?? (manifests.length === 1 ? manifests[0] : undefined);
    const digest = text(chosen?.['digest']);
    if (!digest) throw new CtrOutputError('content get', `an index with no manifest for linux/${architecture}`);
    return { kind: 'manifest', digest };
  }
  const digest = text(record(parsed['config'])['digest']);
  if (!digest) throw new CtrOutputError('content get', 'neither an index nor a manifest with a config');
  return { kind: 'config', digest };
}

/** An OCI image config's Entrypoint and Cmd ([] when unset). */
export function imageConfigCommand(document: string): { entrypoint: string[]; cmd: string[] } {
  const config = record(record(parseJson(document, 'content get'))['config']);
  const strings = (value: Json): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
  return { entrypoint: strings(config['Entrypoint']), cmd: strings(config['Cmd']) };
}

/** One line of `ctr events`: when containerd published it, its namespace and topic, and the task's container. */
export interface CtrEvent {
  /** ms since the epoch, to the ns digits ctr printed. */
  publishedAtMs: number;
  namespace: string;
  topic: string;
  /** container_id of a /tasks/* event: the container's, or the sandbox's own (its pause task) on CRI. */
  containerId: string;
  /** The process the event is of, where it names one: the task's own id, or an exec's (id, exec_id). */
  processId?: string;
}

/**
 * `<date> <time> <offset> <zone> <namespace> <topic> <json>`, as ctr prints an envelope (Go's
 * time.Time String: "2026-12-03 10:25:04.642515706 +0000 UTC", trailing zeros of the ns dropped);
 * undefined for anything else (ctr's own complaints) and for events that carry no container_id
 * (every /tasks/* event does; /containers/* and /snapshot/* ones do not).
 */
export function parseCtrEventLine(line: string): CtrEvent | undefined {
  const match = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,9}))? ([+-]\d\d)(\d\d) \S+ (\S+) (\/\S+) (\{.*\})\s*$/.exec(line);
  if (!match) return undefined;
  const [, date, time, fraction, offsetHours, offsetMinutes, namespace, topic, json] = match;
  let event: unknown;
  try {
    event = JSON.parse(json!);
  } catch {
    return undefined;
  }
  if (typeof event !== 'object' || event === null) return undefined;
  const fields = event as Record<string, unknown>;
  if (typeof fields['container_id'] !== 'string' || fields['container_id'] === '') return undefined;
  const seconds = Date.parse(`${date}T${time}${offsetHours}:${offsetMinutes}`);
  const processId = typeof fields['exec_id'] === 'string' ? fields['exec_id'] : typeof fields['id'] === 'string' ? fields['id'] : undefined;
  return {
    publishedAtMs: seconds + (fraction ? Number(`0.${fraction}`) * 1000 : 0),
    namespace: namespace!,
    topic: topic!,
    containerId: fields['container_id'],
    ...(processId ? { processId } : {}),
  };
}
