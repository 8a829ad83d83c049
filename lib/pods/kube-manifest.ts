/**
 * A fixture's PodManifest -> the V1Pod the kube driver creates: in the run's namespace, pinned
 * to one node (spec.nodeName, so the scheduler is not involved and every node can be covered in
 * turn), labelled with the run id, with a unique name (a suite may run beside itself on another
 * node) and the fixtures' app image replaced when --app-image is given, exactly as the CRI drivers
 * replace it (imageMapper): any other image a fixture names runs as named. Everything else the fixture says
 * (namespaces, restart policy, grace period, commands) is passed through unchanged.
 */
import type { V1Container, V1Pod } from '@kubernetes/client-node';
import { imageMapper } from './fixtures.ts';
import type { PodManifest } from './manifest.ts';
import { LABEL_FIXTURE, LABEL_RUN } from '../labels.ts';

export interface KubePlacement {
  namespace: string;
  nodeName: string;
  runId: string;
  /** Appended to the fixture's name: "trio" -> "trio-1a2b3". */
  nameSuffix: string;
  /** --app-image: runs wherever a fixture names the fixtures' app image (FIXTURE_APP_IMAGE). */
  appImage?: string;
}

export interface KubePod {
  /** The manifest as applied (unique name, namespace, node, image). */
  manifest: PodManifest;
  body: V1Pod;
}

export function kubePodFor(fixture: PodManifest, placement: KubePlacement): KubePod {
  const name = `${fixture.metadata.name}-${placement.nameSuffix}`.slice(0, 63).replace(/-+$/, '');
  const labels = { ...fixture.metadata.labels, [LABEL_RUN]: placement.runId, [LABEL_FIXTURE]: fixture.metadata.name };
  const imageFor = placement.appImage ? imageMapper(placement.appImage) : (image: string) => image;
  const containers = fixture.spec.containers.map((container) => ({ ...container, image: imageFor(container.image) }));
  const manifest: PodManifest = {
    ...fixture,
    metadata: { ...fixture.metadata, name, namespace: placement.namespace, labels },
    spec: { ...fixture.spec, containers, nodeName: placement.nodeName },
  };
  const spec = manifest.spec;
  const body: V1Pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: placement.namespace, labels, ...(fixture.metadata.annotations ? { annotations: { ...fixture.metadata.annotations } } : {}) },
    spec: {
      nodeName: placement.nodeName,
      containers: containers.map((container): V1Container => {
        const out: V1Container = { name: container.name, image: container.image };
        if (container.imagePullPolicy) out.imagePullPolicy = container.imagePullPolicy;
        if (container.command) out.command = [...container.command];
        if (container.args) out.args = [...container.args];
        if (container.env) out.env = container.env.map((env) => ({ name: env.name, value: env.value }));
        if (container.workingDir !== undefined) out.workingDir = container.workingDir;
        if (container.securityContext?.privileged !== undefined) out.securityContext = { privileged: container.securityContext.privileged };
        return out;
      }),
      // A pinned pod bypasses the scheduler's taint check, but NoExecute taints still evict it:
      // tolerate them so control-plane and tainted nodes can be checked too (--nodes all).
      tolerations: [{ operator: 'Exists' }],
      // The pods never call the API; a token mount would only add a volume to every container.
      automountServiceAccountToken: false,
      enableServiceLinks: false,
    },
  };
  const podSpec = body.spec!;
  if (spec.hostname !== undefined) podSpec.hostname = spec.hostname;
  if (spec.hostNetwork !== undefined) podSpec.hostNetwork = spec.hostNetwork;
  if (spec.hostIPC !== undefined) podSpec.hostIPC = spec.hostIPC;
  if (spec.hostPID !== undefined) podSpec.hostPID = spec.hostPID;
  if (spec.shareProcessNamespace !== undefined) podSpec.shareProcessNamespace = spec.shareProcessNamespace;
  if (spec.restartPolicy !== undefined) podSpec.restartPolicy = spec.restartPolicy;
  if (spec.terminationGracePeriodSeconds !== undefined) podSpec.terminationGracePeriodSeconds = spec.terminationGracePeriodSeconds;
  return { manifest, body };
}
