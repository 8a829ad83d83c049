/**
 * Parsers for the runtime's inspect documents. crictl inspectp / inspect print
 * {"status": ..., "info": {...}}; the CRI gRPC verbose status carries the same info as a JSON
 * string under info["info"]. Both shapes come here, so the embedded node and real nodes are read
 * by one piece of code. Fixtures: fixtures/recorded/crictl-inspectp-trio.json, crictl-inspect-trio-alpha.json
 * (containerd 1.6.20, copied into fixtures/recorded/).
 */
import type { ContainerFacts, SandboxFacts } from './node-view.ts';
import { record, stringRecord, text, integer, type Json } from './json-fields.ts';
import { containerStateOf, sandboxStateOf } from '../cri/states.ts';


/** containerd's verbose info: an object (crictl) or {"info": "<json>"} (CRI gRPC). */
export function verboseInfo(info: Json): Record<string, Json> {
  const outer = record(info);
  const inner = outer['info'];
  if (typeof inner === 'string') {
    try {
      return record(JSON.parse(inner));
    } catch {
      return {};
    }
  }
  return outer;
}

/** The network namespace path from an OCI runtime spec, if the spec has one. */
export function netnsPathFromSpec(runtimeSpec: Json): string | undefined {
  const namespaces = record(record(runtimeSpec)['linux'])['namespaces'];
  if (!Array.isArray(namespaces)) return undefined;
  for (const namespace of namespaces) {
    const entry = record(namespace);
    if (entry['type'] === 'network') return text(entry['path']) || undefined;
  }
  return undefined;
}

/** {status, info} of a sandbox -> SandboxFacts. */
export function parseSandboxInspect(document: Json): SandboxFacts {
  const top = record(document);
  const status = record(top['status']);
  const info = verboseInfo(top['info']);
  const metadata = record(status['metadata']);
  const options = record(record(record(status['linux'])['namespaces'])['options']);
  const pid = integer(info['pid']);
  const ip = text(record(status['network'])['ip']);
  const facts: SandboxFacts = {
    id: text(status['id']) ?? '',
    state: sandboxStateOf(status['state']),
    attempt: integer(metadata['attempt']) ?? 0,
    labels: stringRecord(status['labels']),
  };
  if (pid !== undefined && pid > 0) facts.pausePid = pid;
  const netns = netnsPathFromSpec(info['runtimeSpec']);
  if (netns) facts.netnsPath = netns;
  if (ip !== undefined) facts.ip = ip;
  if (Object.keys(options).length > 0) {
    facts.namespaceModes = {
      network: text(options['network']) ?? 'POD',
      pid: text(options['pid']) ?? 'POD',
      ipc: text(options['ipc']) ?? 'POD',
    };
  }
  const image = text(info['image']);
  if (image) facts.image = image;
  return facts;
}

/** {status, info} of a container -> ContainerFacts. */
export function parseContainerInspect(document: Json): ContainerFacts {
  const top = record(document);
  const status = record(top['status']);
  const info = verboseInfo(top['info']);
  const metadata = record(status['metadata']);
  const state = containerStateOf(status['state']);
  const facts: ContainerFacts = {
    id: text(status['id']) ?? '',
    sandboxId: text(info['sandboxID']) ?? '',
    name: text(metadata['name']) ?? '',
    attempt: integer(metadata['attempt']) ?? 0,
    state,
  };
  const pid = integer(info['pid']);
  if (pid !== undefined && pid > 0 && state === 'running') facts.pid = pid;
  if (state === 'exited') facts.exitCode = integer(status['exitCode']) ?? 0;
  return facts;
}
