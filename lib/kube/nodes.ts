/**
 * The cluster's nodes as the harness needs them: name, Ready, schedulable, addresses and the
 * versions the kubelet reports (nodeInfo), and the choice of nodes a run covers: every
 * schedulable Ready node (--nodes all), those matching a label selector (--nodes SELECTOR), or one.
 */
import type { V1Node } from '@kubernetes/client-node';
import { EnvironmentError, UsageError } from '../errors.ts';
import { KubeApi, requestTimeout } from './api.ts';
import { describeApiError, isApiStatus } from './api-errors.ts';

export interface NodeSummary {
  name: string;
  ready: boolean;
  /** The Ready condition as the kubelet last set it, for messages: "Ready=False KubeletNotReady: ...". */
  readyCondition: string;
  /** False when cordoned (spec.unschedulable). */
  schedulable: boolean;
  labels: Record<string, string>;
  addresses: { type: string; address: string }[];
  kubeletVersion: string;
  /** As the kubelet reports it: "containerd://1.6.20". */
  containerRuntimeVersion: string;
  kernelVersion: string;
  osImage: string;
}

export function nodeSummary(node: V1Node): NodeSummary {
  const info = node.status?.nodeInfo;
  const ready = (node.status?.conditions ?? []).find((condition) => condition.type === 'Ready');
  return {
    name: node.metadata?.name ?? '',
    ready: ready?.status === 'True',
    readyCondition: ready ? `Ready=${ready.status}${ready.reason ? ` ${ready.reason}` : ''}${ready.message && ready.status !== 'True' ? `: ${ready.message}` : ''}` : 'no Ready condition yet',
    schedulable: node.spec?.unschedulable !== true,
    labels: { ...node.metadata?.labels },
    addresses: (node.status?.addresses ?? []).map((address) => ({ type: address.type, address: address.address })),
    kubeletVersion: info?.kubeletVersion ?? '',
    containerRuntimeVersion: info?.containerRuntimeVersion ?? '',
    kernelVersion: info?.kernelVersion ?? '',
    osImage: info?.osImage ?? '',
  };
}

/** "containerd://1.6.20" -> { name: containerd, version: 1.6.20 }. */
export function splitRuntimeVersion(value: string): { name: string; version: string } {
  const match = /^([^:]+):\/\/(.*)$/.exec(value);
  return match ? { name: match[1]!, version: match[2]! } : { name: value || 'unknown', version: '' };
}

export async function listNodes(api: KubeApi, labelSelector?: string): Promise<NodeSummary[]> {
  try {
    const list = await api.core.listNode(labelSelector ? { labelSelector } : {}, requestTimeout());
    return list.items.map(nodeSummary).sort((a, b) => a.name.localeCompare(b.name));
  } catch (error) {
    if (labelSelector && isApiStatus(error, 400)) {
      throw new UsageError(`--nodes ${labelSelector} is not a label selector the API server accepts`, describeApiError(error), 'Pass --nodes all or a selector such as kubernetes.io/os=linux.');
    }
    if (isApiStatus(error, 403)) throw new EnvironmentError('cannot list nodes', describeApiError(error), 'The kubeconfig user needs permission to list nodes.');
    throw new EnvironmentError('cannot list nodes', describeApiError(error), 'Check the cluster is up.');
  }
}

const CONTROL_PLANE_ROLES = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

function usable(node: NodeSummary): boolean {
  return node.ready && node.schedulable;
}

function described(nodes: NodeSummary[]): string {
  return nodes.map((node) => `${node.name} (${node.ready ? 'Ready' : 'NotReady'}${node.schedulable ? '' : ', cordoned'})`).join(', ') || 'no nodes at all';
}

/**
 * Which nodes a run covers. `nodes` is --nodes ('all', a selector the caller already applied
 * when listing, or undefined for one node); `preferred` is the node to take when only one is
 * wanted (e.g. the one that is this machine), else the first Ready schedulable worker by name.
 */
export function chooseNodes(listed: NodeSummary[], nodes: string | undefined, preferred?: string): NodeSummary[] {
  const candidates = listed.filter(usable);
  if (nodes !== undefined) {
    if (candidates.length === 0) {
      throw new EnvironmentError(`no Ready, schedulable node ${nodes === 'all' ? 'in the cluster' : `matches --nodes ${nodes}`}`, `seen: ${described(listed)}`, 'Wait for the nodes to be Ready or uncordon them.');
    }
    return candidates;
  }
  if (preferred !== undefined) {
    const node = listed.find((candidate) => candidate.name === preferred);
    if (!node) throw new EnvironmentError(`node ${preferred} is not in the cluster`, `the cluster has ${described(listed)}`, 'Check the kubeconfig points at the cluster this node belongs to.');
    if (!usable(node)) throw new EnvironmentError(`node ${preferred} cannot run the checks`, described([node]), 'Wait for it to be Ready or uncordon it.');
    return [node];
  }
  const worker = candidates.find((node) => !CONTROL_PLANE_ROLES.some((role) => role in node.labels)) ?? candidates[0];
  if (!worker) throw new EnvironmentError('no Ready, schedulable node in the cluster', `seen: ${described(listed)}`, 'Wait for the nodes to be Ready or uncordon them.');
  return [worker];
}

export interface MachineIdentity {
  hostname: string;
  addresses: string[];
}

/** Whether a node is this machine: by hostname (full or short) or by one of its node addresses. */
export function isThisMachine(node: NodeSummary, machine: MachineIdentity): boolean {
  const host = machine.hostname.toLowerCase();
  const short = host.split('.')[0];
  const names = [node.name, ...node.addresses.filter((a) => a.type === 'Hostname').map((a) => a.address)].map((name) => name.toLowerCase());
  if (names.some((name) => name === host || name.split('.')[0] === short)) return true;
  return node.addresses.some((address) => address.type !== 'Hostname' && machine.addresses.includes(address.address));
}

/**
 * For nodes that differ from the rest (kubelet, runtime, sandbox image): one line per difference,
 * so a half-upgraded cluster is called out in the report.
 */
export function differences(facts: { node: string; values: Record<string, string> }[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (facts.length < 2) return out;
  const keys = new Set(facts.flatMap((fact) => Object.keys(fact.values)));
  for (const key of keys) {
    const counts = new Map<string, number>();
    for (const fact of facts) counts.set(fact.values[key] ?? '', (counts.get(fact.values[key] ?? '') ?? 0) + 1);
    if (counts.size < 2) continue;
    const [majority] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0]!;
    for (const fact of facts) {
      const value = fact.values[key] ?? '';
      if (value === majority) continue;
      out.set(fact.node, [...(out.get(fact.node) ?? []), `${key} ${value || '(none)'} (most nodes: ${majority || '(none)'})`]);
    }
  }
  return out;
}
