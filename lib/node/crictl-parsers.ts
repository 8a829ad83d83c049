/**
 * Parsers for crictl's list outputs and messages: `crictl pods -o json`, `crictl ps -a -o json`,
 * `crictl version`, `crictl info -o json` and the logrus lines crictl prints on stderr when a
 * call fails. Based on outputs recorded from crictl 1.36 against containerd 1.6.20
 * (recorded on real nodes, copied into fixtures/recorded: crictl-pods*.json, crictl-ps-a.json, crictl-version.txt, crictl-info.json,
 * err-crictl-*.stderr.txt). The inspect documents are parsed in inspect-parsers.ts.
 */
import { ipamStores } from './cni-info.ts';
import { containerStateOf, sandboxStateOf, type ContainerRunState } from '../cri/states.ts';
import { withPodIdentity, type SandboxSummary } from './runtime-facts.ts';
import { integer, record, stringRecord, text, type Json } from './json-fields.ts';


/** crictl prints createdAt as a decimal string of ns since the epoch. */
function nanoseconds(value: Json): bigint {
  if (typeof value === 'string' && /^\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  return 0n;
}

/** Thrown when crictl's stdout is not the JSON the command prints; names the command. */
export class CrictlOutputError extends Error {
  constructor(what: string, detail: string) {
    super(`crictl ${what} printed something that is not its JSON: ${detail}`);
    this.name = 'CrictlOutputError';
  }
}

function parseJson(output: string, what: string): Json {
  try {
    return JSON.parse(output) as Json;
  } catch (error) {
    throw new CrictlOutputError(what, `${error instanceof Error ? error.message : String(error)} (first bytes: ${JSON.stringify(output.slice(0, 60))})`);
  }
}

/** `crictl pods [--label k=v] -o json` -> one summary per sandbox. */
export function parseCrictlPods(output: string): SandboxSummary[] {
  const items = record(parseJson(output, 'pods')).items;
  if (!Array.isArray(items)) throw new CrictlOutputError('pods', 'no "items" list');
  return items.map((item) => {
    const entry = record(item);
    const metadata = record(entry.metadata);
    const labels = stringRecord(entry.labels);
    const summary: SandboxSummary = {
      id: text(entry.id) ?? '',
      state: sandboxStateOf(entry.state),
      attempt: integer(metadata.attempt) ?? 0,
      createdAtNs: nanoseconds(entry.createdAt),
      labels,
    };
    return withPodIdentity(summary, { name: text(metadata.name), namespace: text(metadata.namespace), uid: text(metadata.uid) });
  });
}

export interface ContainerSummary {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  state: ContainerRunState;
  createdAtNs: bigint;
  labels: Record<string, string>;
}

/** `crictl ps -a [--pod ID] [--label k=v] -o json` -> one summary per container. */
export function parseCrictlPs(output: string): ContainerSummary[] {
  const containers = record(parseJson(output, 'ps')).containers;
  if (!Array.isArray(containers)) throw new CrictlOutputError('ps', 'no "containers" list');
  return containers.map((item) => {
    const entry = record(item);
    const metadata = record(entry.metadata);
    return {
      id: text(entry.id) ?? '',
      sandboxId: text(entry.podSandboxId) ?? '',
      name: text(metadata.name) ?? '',
      attempt: integer(metadata.attempt) ?? 0,
      state: containerStateOf(entry.state),
      createdAtNs: nanoseconds(entry.createdAt),
      labels: stringRecord(entry.labels),
    };
  });
}

export interface CrictlVersion {
  /** The CRI API version crictl reports as "Version" (0.1.0 for CRI v1). */
  version: string;
  runtimeName: string;
  runtimeVersion: string;
  runtimeApiVersion: string;
}

/** `crictl version`: "Key:  value" lines. */
export function parseCrictlVersion(output: string): CrictlVersion {
  const fields: Record<string, string> = {};
  for (const line of output.split('\n')) {
    const match = /^\s*([A-Za-z]+):\s*(.*?)\s*$/.exec(line);
    if (match) fields[match[1]!] = match[2]!;
  }
  if (!fields['RuntimeName']) throw new CrictlOutputError('version', `no RuntimeName line in ${JSON.stringify(output.slice(0, 80))}`);
  return {
    version: fields['Version'] ?? '',
    runtimeName: fields['RuntimeName'],
    runtimeVersion: fields['RuntimeVersion'] ?? '',
    runtimeApiVersion: fields['RuntimeApiVersion'] ?? '',
  };
}

export interface CrictlInfo {
  /** From config.sandboxImage (containerd 1.x; containerd 2.x no longer exports it here). */
  sandboxImage?: string;
  /** config.containerdEndpoint: the socket the runtime says it serves (to match a config dump to it). */
  containerdEndpoint?: string;
  /** host-local IPAM directories of the CNI networks the runtime loaded. */
  ipamDirs: string[];
  /** Why IP release cannot be checked, when ipamDirs is empty (cni-info.ts). */
  ipamNotChecked?: string;
  /** Runtime conditions by type: { RuntimeReady: true, NetworkReady: true }. */
  conditions: Record<string, boolean>;
}

/**
 * `crictl info -o json`: crictl flattens the runtime's verbose info map into top-level keys
 * (config, cniconfig, golang, lastCNILoadStatus, ...) next to "status".
 */
export function parseCrictlInfo(output: string): CrictlInfo {
  const document = record(parseJson(output, 'info'));
  const config = record(document.config);
  const conditions: Record<string, boolean> = {};
  const listed = record(document.status).conditions;
  if (Array.isArray(listed)) {
    for (const condition of listed) {
      const entry = record(condition);
      const type = text(entry.type);
      if (type) conditions[type] = entry.status === true;
    }
  }
  const stores = ipamStores(document.cniconfig);
  const info: CrictlInfo = { ipamDirs: stores.dirs, conditions };
  if (stores.notChecked) info.ipamNotChecked = stores.notChecked;
  const sandboxImage = text(config.sandboxImage);
  if (sandboxImage) info.sandboxImage = sandboxImage;
  const endpoint = text(config.containerdEndpoint);
  if (endpoint) info.containerdEndpoint = endpoint;
  return info;
}

export type CrictlFailureKind = 'not-found' | 'unavailable' | 'other';

export interface CrictlFailure {
  kind: CrictlFailureKind;
  /** The error crictl logged (its msg="..." text), or the last stderr line. */
  message: string;
}

/**
 * Reads a failed crictl call's stderr: crictl logs logrus lines (level=warning for a missing
 * /etc/crictl.yaml, level=fatal or level=error for the failure) with the gRPC code inside msg.
 */
export function parseCrictlFailure(stderr: string): CrictlFailure {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  let message: string | undefined;
  for (const line of lines) {
    const match = /level=(?:error|fatal)\s+msg="((?:[^"\\]|\\.)*)"/.exec(line);
    if (match) message = match[1]!.replace(/\\(.)/g, '$1');
  }
  message ??= lines.filter((line) => !/level=(warning|info|debug)/.test(line)).at(-1) ?? lines.at(-1) ?? 'no message';
  const kind: CrictlFailureKind = /code = NotFound\b/.test(message) ? 'not-found' : /code = (Unavailable|DeadlineExceeded)\b|connect: /.test(message) ? 'unavailable' : 'other';
  return { kind, message };
}
