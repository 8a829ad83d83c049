/**
 * Observations the suites share: the pause process and its namespaces, each container's pid
 * and namespaces, the IP a container sees on eth0. Each returns plain values that go straight
 * into evidence.
 */
import type { PodRef } from '../lib/pods/pod-driver.ts';
import type { NamespaceIds, SandboxFacts } from '../lib/node/node-view.ts';
import type { Target } from '../lib/target.ts';
import { ipv4OfDevice } from '../lib/linux/ip-addr.ts';
import type { GoneTarget } from '../lib/report/sandbox-gone.ts';

export interface PauseObservation {
  sandbox: SandboxFacts;
  pid: number;
  namespaces: NamespaceIds;
  command?: string;
}

export async function observePause(target: Target, pod: PodRef): Promise<PauseObservation> {
  const sandbox = await target.node.sandbox(pod.sandboxId);
  if (!sandbox.pausePid) throw new Error(`sandbox ${pod.sandboxId} has no pause pid (state ${sandbox.state})`);
  const namespaces = await target.node.namespaces(sandbox.pausePid);
  const command = await target.node.processCommand(sandbox.pausePid);
  return { sandbox, pid: sandbox.pausePid, namespaces, ...(command ? { command } : {}) };
}

export interface ContainerNamespaces {
  name: string;
  id: string;
  pid: number;
  namespaces: NamespaceIds;
}

export async function observeContainer(target: Target, pod: PodRef, name: string): Promise<ContainerNamespaces> {
  const ref = pod.containers.find((c) => c.name === name);
  if (!ref) throw new Error(`pod ${pod.name} has no container ${name}`);
  const facts = await target.node.container(ref.id);
  if (!facts.pid) throw new Error(`container ${name} (${ref.id}) has no running process (state ${facts.state})`);
  return { name, id: ref.id, pid: facts.pid, namespaces: await target.node.namespaces(facts.pid) };
}

/** The IPv4 address a container sees on eth0 (`ip -4 -o addr show dev eth0`). */
export async function eth0Address(target: Target, pod: PodRef, container: string): Promise<string> {
  const result = await target.pods.exec(pod, container, ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']);
  if (result.exitCode !== 0) throw new Error(`ip addr in ${container} exited ${result.exitCode}: ${result.stderr.trim()}`);
  const address = ipv4OfDevice(result.stdout, 'eth0');
  if (!address) throw new Error(`no IPv4 address on eth0 in ${container}: ${result.stdout.trim()}`);
  return address;
}

/** Runs a command in a container and returns its trimmed stdout; a non-zero exit fails. */
export async function execText(target: Target, pod: PodRef, container: string, command: string[]): Promise<string> {
  const result = await target.pods.exec(pod, container, command);
  if (result.exitCode !== 0) throw new Error(`${command.join(' ')} in ${container} exited ${result.exitCode}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

/** The node, what it can show and its runtime's name: what lib/report/sandbox-gone.ts needs. */
export function goneTarget(target: Target): GoneTarget {
  return { node: target.node, capabilities: target.capabilities, runtimeName: target.info.runtimeName };
}

/** The sandbox's netns path and IP, where the runtime reports them (for a SandboxToRemove). */
export function optionalFacts(sandbox: SandboxFacts): { netnsPath?: string; ip?: string } {
  return { ...(sandbox.netnsPath ? { netnsPath: sandbox.netnsPath } : {}), ...(sandbox.ip ? { ip: sandbox.ip } : {}) };
}
