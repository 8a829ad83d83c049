/**
 * The Target of one opened cluster node: a kube PodDriver pinned to it, a NodeView over its shell
 * and inspector, and TargetInfo from the Node object and the runtime's own facts.
 */
import type { KubeApi } from '../../kube/api.ts';
import { splitRuntimeVersion } from '../../kube/nodes.ts';
import { LABEL_POD_UID } from '../../labels.ts';
import { currentSandbox, hasPodSandboxLister, type RuntimeFacts } from '../../node/runtime-facts.ts';
import type { NodeEvents } from '../../node/node-events.ts';
import type { NodeShell } from '../../node/node-shell.ts';
import type { RuntimeInspector } from '../../node/runtime-inspector.ts';
import { ShellNodeView } from '../../node/shell-node-view.ts';
import { KubePodDriver, type NodeSandboxFinder } from '../../pods/kube-driver.ts';
import type { Target, TargetInfo } from '../../target.ts';
import type { ProviderContext } from '../provider.ts';
import type { ClusterAccess } from './cluster-access.ts';
import { linksVisible, type NodeAccess } from './node-access.ts';

/** Finds a pod's sandbox on a node: by CRI pod-uid label where the inspector lists sandboxes, else through a container. */
export function sandboxFinder(inspector: RuntimeInspector, describe: string): NodeSandboxFinder {
  return {
    describe,
    async currentSandbox(podUid, containerIds) {
      if (hasPodSandboxLister(inspector)) {
        const found = currentSandbox(await inspector.listPodSandboxes({ [LABEL_POD_UID]: podUid }));
        return found ? { id: found.id, ready: found.state === 'ready' } : undefined;
      }
      for (const id of containerIds.filter(Boolean)) {
        const container = await inspector.container(id);
        if (container.state === 'gone' || !container.sandboxId) continue;
        return { id: container.sandboxId, ready: (await inspector.sandbox(container.sandboxId)).state === 'ready' };
      }
      return undefined;
    },
  };
}

/**
 * The sandbox image's id and where the image and the id were read: from the runtime facts, else
 * the id through the inspector's image() (ImageStatus, crictl inspecti) or the provider's own way.
 */
async function sandboxImageOf(access: ClusterAccess, inspector: RuntimeInspector, shell: NodeShell, facts: RuntimeFacts | undefined): Promise<Pick<TargetInfo, 'sandboxImageId' | 'sandboxImageSource' | 'sandboxImageIdSource'>> {
  const found: Pick<TargetInfo, 'sandboxImageId' | 'sandboxImageSource' | 'sandboxImageIdSource'> = {};
  if (facts?.sandboxImageSource) found.sandboxImageSource = facts.sandboxImageSource;
  if (facts?.sandboxImageId) {
    found.sandboxImageId = facts.sandboxImageId;
    if (facts.sandboxImageIdSource) found.sandboxImageIdSource = facts.sandboxImageIdSource;
    return found;
  }
  const image = facts?.sandboxImage;
  if (!image) return found;
  if (inspector.image) {
    const id = (await inspector.image(image))?.id;
    if (id) return { ...found, sandboxImageId: id, sandboxImageIdSource: "the node runtime's image status" };
  }
  const provided = await access.sandboxImageId?.(shell, image);
  return provided ? { ...found, sandboxImageId: provided.id, sandboxImageIdSource: provided.source } : found;
}

/** "task: ctr events in the node (...); link: ...; path: none (why)" for the report's details. */
function describeSources(events: NodeEvents): string {
  const sources = events.sources();
  return (['task', 'link', 'path'] as const)
    .map((kind) => {
      const state = sources[kind];
      return `${kind}: ${'source' in state ? state.source : `none (${state.none})`}`;
    })
    .join('; ');
}

/** The target of one node, its pods' deletion registered with the run's undo. */
export async function nodeTarget(context: ProviderContext<unknown>, api: KubeApi, access: ClusterAccess, namespace: string, { node, shell, inspector, facts }: NodeAccess): Promise<Target> {
  const runtime = splitRuntimeVersion(node.containerRuntimeVersion);
  const ipamDirs = facts?.ipamDirs ?? [];
  const ipamNotChecked = ipamDirs.length > 0 ? undefined : (facts?.ipamNotChecked ?? "the node's runtime inspector does not say where the CNI keeps IP allocations");
  const pods = new KubePodDriver({
    api,
    namespace,
    nodeName: node.name,
    runId: context.runId,
    ...(context.common.appImage ? { appImage: context.common.appImage } : {}),
    sandboxes: sandboxFinder(inspector, `${shell.describe ? `${shell.describe} ` : ''}runtime of node ${node.name}`),
    undo: context.undo,
  });
  context.undo.push(`delete the run's pods on node ${node.name}`, () => pods.deleteAll());
  const details: Record<string, string> = {
    ...access.details,
    namespace,
    nodeShell: shell.describe || 'this machine',
    ...shell.facts,
    containerRuntimeVersion: node.containerRuntimeVersion,
    osImage: node.osImage,
  };
  const image = await sandboxImageOf(access, inspector, shell, facts);
  const events = access.nodeEvents ? await context.step(`change sources in node ${node.name} (task events, ip monitor)`, () => access.nodeEvents!(node.name)) : undefined;
  if (events) {
    context.undo.push(`stop the change sources in node ${node.name}`, () => events.close());
    details['changeSources'] = describeSources(events);
  }
  if (image.sandboxImageSource) details['sandboxImageSource'] = image.sandboxImageSource;
  if (image.sandboxImageIdSource) details['sandboxImageIdSource'] = image.sandboxImageIdSource;
  if (facts?.sandboxImageUnknown) details['sandboxImageUnknown'] = facts.sandboxImageUnknown;
  if (ipamDirs.length > 0) details['ipamDirs'] = ipamDirs.join(', ');
  if (ipamNotChecked) details['ipamNotChecked'] = ipamNotChecked;
  return {
    info: {
      provider: access.providerName,
      nodeName: node.name,
      runtimeName: facts?.runtimeName ?? runtime.name,
      runtimeVersion: facts?.runtimeVersion ?? runtime.version,
      runtimeApiVersion: facts?.runtimeApiVersion ?? 'unknown',
      sandboxImage: facts?.sandboxImage ?? 'unknown (the runtime does not report it)',
      ...image,
      kernel: node.kernelVersion,
      kubeletVersion: node.kubeletVersion,
      details,
    },
    capabilities: { kubelet: true, containerAttempts: false, ipamVisible: ipamDirs.length > 0, ...(ipamNotChecked ? { ipamNotChecked } : {}), linksVisible: await linksVisible(shell) },
    pods,
    node: new ShellNodeView(inspector, shell, { ipamDirs, ...(events ? { events } : {}) }),
    controls: access.controls?.(node.name, shell) ?? {},
  };
}
