/**
 * The subset of a Kubernetes Pod manifest the suites use, parsed from fixtures/*.yaml with the
 * yaml library and checked field by field, so a malformed fixture is one clear line, not a crash
 * deep inside a driver.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { UsageError } from '../errors.ts';
import { errnoCode } from '../linux/errno.ts';

export interface EnvVar {
  name: string;
  value: string;
}

export interface ContainerManifest {
  name: string;
  image: string;
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  securityContext?: { privileged?: boolean };
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpec {
  containers: ContainerManifest[];
  hostname?: string;
  hostNetwork?: boolean;
  hostIPC?: boolean;
  hostPID?: boolean;
  shareProcessNamespace?: boolean;
  restartPolicy?: RestartPolicy;
  terminationGracePeriodSeconds?: number;
  nodeName?: string;
}

export interface PodManifest {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: PodSpec;
}

type Json = unknown;

class ManifestProblem extends Error {}

function isRecord(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: Json, where: string): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
    throw new ManifestProblem(`${where} must be a list of strings`);
  }
  return value;
}

function stringMap(value: Json, where: string): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value) || !Object.values(value).every((item) => typeof item === 'string')) {
    throw new ManifestProblem(`${where} must map strings to strings`);
  }
  return value as Record<string, string>;
}

function optional<T>(value: Json, type: 'boolean' | 'number' | 'string', where: string): T | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== type) throw new ManifestProblem(`${where} must be a ${type}`);
  return value as T;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function name(value: Json, where: string): string {
  if (typeof value !== 'string' || !DNS_LABEL.test(value)) {
    throw new ManifestProblem(`${where} must be a DNS label (lowercase letters, digits, '-'), got ${JSON.stringify(value)}`);
  }
  return value;
}

function container(value: Json, index: number): ContainerManifest {
  const where = `spec.containers[${index}]`;
  if (!isRecord(value)) throw new ManifestProblem(`${where} must be a mapping`);
  const image = value['image'];
  if (typeof image !== 'string' || image === '') throw new ManifestProblem(`${where}.image must be a non-empty string`);
  const env = value['env'];
  if (env !== undefined && (!Array.isArray(env) || !env.every((item) => isRecord(item) && typeof item['name'] === 'string' && typeof item['value'] === 'string'))) {
    throw new ManifestProblem(`${where}.env must be a list of {name, value} strings`);
  }
  const pullPolicy = value['imagePullPolicy'];
  if (pullPolicy !== undefined && pullPolicy !== 'Always' && pullPolicy !== 'IfNotPresent' && pullPolicy !== 'Never') {
    throw new ManifestProblem(`${where}.imagePullPolicy must be Always, IfNotPresent or Never`);
  }
  const securityContext = value['securityContext'];
  if (securityContext !== undefined && !isRecord(securityContext)) throw new ManifestProblem(`${where}.securityContext must be a mapping`);
  const result: ContainerManifest = { name: name(value['name'], `${where}.name`), image };
  if (pullPolicy !== undefined) result.imagePullPolicy = pullPolicy;
  const command = stringArray(value['command'], `${where}.command`);
  if (command) result.command = command;
  const args = stringArray(value['args'], `${where}.args`);
  if (args) result.args = args;
  if (env) result.env = env as EnvVar[];
  const workingDir = optional<string>(value['workingDir'], 'string', `${where}.workingDir`);
  if (workingDir !== undefined) result.workingDir = workingDir;
  if (securityContext) {
    const privileged = optional<boolean>(securityContext['privileged'], 'boolean', `${where}.securityContext.privileged`);
    result.securityContext = privileged === undefined ? {} : { privileged };
  }
  return result;
}

/** Checks a parsed YAML document and returns it as a PodManifest; throws ManifestProblem. */
function podManifest(document: Json): PodManifest {
  if (!isRecord(document)) throw new ManifestProblem('the document must be a mapping');
  if (document['apiVersion'] !== 'v1' || document['kind'] !== 'Pod') throw new ManifestProblem('only apiVersion v1, kind Pod is supported');
  const metadata = document['metadata'];
  if (!isRecord(metadata)) throw new ManifestProblem('metadata must be a mapping');
  const spec = document['spec'];
  if (!isRecord(spec)) throw new ManifestProblem('spec must be a mapping');
  const containers = spec['containers'];
  if (!Array.isArray(containers) || containers.length === 0) throw new ManifestProblem('spec.containers must be a non-empty list');
  const parsedContainers = containers.map(container);
  const names = new Set(parsedContainers.map((c) => c.name));
  if (names.size !== parsedContainers.length) throw new ManifestProblem('spec.containers has two containers with the same name');
  const restartPolicy = spec['restartPolicy'];
  if (restartPolicy !== undefined && restartPolicy !== 'Always' && restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    throw new ManifestProblem('spec.restartPolicy must be Always, OnFailure or Never');
  }
  const parsedSpec: PodSpec = { containers: parsedContainers };
  const hostname = spec['hostname'];
  if (hostname !== undefined) parsedSpec.hostname = name(hostname, 'spec.hostname');
  for (const flag of ['hostNetwork', 'hostIPC', 'hostPID', 'shareProcessNamespace'] as const) {
    const value = optional<boolean>(spec[flag], 'boolean', `spec.${flag}`);
    if (value !== undefined) parsedSpec[flag] = value;
  }
  if (restartPolicy !== undefined) parsedSpec.restartPolicy = restartPolicy;
  const grace = optional<number>(spec['terminationGracePeriodSeconds'], 'number', 'spec.terminationGracePeriodSeconds');
  if (grace !== undefined) {
    if (!Number.isInteger(grace) || grace < 0) throw new ManifestProblem('spec.terminationGracePeriodSeconds must be a whole number >= 0');
    parsedSpec.terminationGracePeriodSeconds = grace;
  }
  const nodeName = optional<string>(spec['nodeName'], 'string', 'spec.nodeName');
  if (nodeName !== undefined) parsedSpec.nodeName = nodeName;
  const parsedMetadata: PodManifest['metadata'] = { name: name(metadata['name'], 'metadata.name') };
  const namespace = optional<string>(metadata['namespace'], 'string', 'metadata.namespace');
  if (namespace !== undefined) parsedMetadata.namespace = namespace;
  const labels = stringMap(metadata['labels'], 'metadata.labels');
  if (labels) parsedMetadata.labels = labels;
  const annotations = stringMap(metadata['annotations'], 'metadata.annotations');
  if (annotations) parsedMetadata.annotations = annotations;
  return { apiVersion: 'v1', kind: 'Pod', metadata: parsedMetadata, spec: parsedSpec };
}

/** Parses YAML text holding one Pod; `source` names it in the error line. */
export function parsePodManifest(text: string, source: string): PodManifest {
  let document: Json;
  try {
    document = parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new UsageError(`fixture ${source} is not valid YAML`, reason ?? 'parse error', 'Fix the file or restore it from git.');
  }
  try {
    return podManifest(document);
  } catch (error) {
    if (error instanceof ManifestProblem) {
      throw new UsageError(`fixture ${source} is not a Pod the harness can run`, error.message, 'Fix the file or restore it from git.');
    }
    throw error;
  }
}

export async function loadPodManifest(file: string): Promise<PodManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = errnoCode(error) ?? 'read error';
    throw new UsageError(`fixture ${file} cannot be read`, code, 'Check the path; fixtures live in fixtures/pods/.');
  }
  return parsePodManifest(text, file);
}
