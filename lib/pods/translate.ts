/**
 * Pod manifest -> CRI configs, the way kubelet builds them (pkg/kubelet/kuberuntime:
 * generatePodSandboxConfig, generateContainerConfig, namespacesForPod). The one thing most
 * easily missed: kubelet copies the pod's namespace options into EVERY container config; a
 * container config without them gets the proto defaults (all POD), which would hide a
 * shareProcessNamespace=false bug.
 */
import path from 'node:path';
import type { ContainerConfig, NamespaceMode, NamespaceOption, PodSandboxConfig } from '../cri/types.ts';
import type { ContainerManifest, PodManifest } from './manifest.ts';
import { LABEL_CONTAINER_NAME, LABEL_POD_NAME, LABEL_POD_NAMESPACE, LABEL_POD_UID, LABEL_RUN } from '../labels.ts';

export interface SandboxIdentity {
  namespace: string;
  uid: string;
  attempt: number;
  runId: string;
  logRoot: string;
  cgroupParent: string;
}

/** A new pod's identity: a fresh uid, attempt 0, in the run's namespace, logs and cgroup. */
export function firstAttemptIdentity(run: Omit<SandboxIdentity, 'uid' | 'attempt'>, uid: string): SandboxIdentity {
  return { namespace: run.namespace, uid, attempt: 0, runId: run.runId, logRoot: run.logRoot, cgroupParent: run.cgroupParent };
}

/** kubelet's namespacesForPod. */
export function namespaceOptionsFor(manifest: PodManifest): NamespaceOption {
  const spec = manifest.spec;
  const pid: NamespaceMode = spec.hostPID ? 'NODE' : spec.shareProcessNamespace ? 'POD' : 'CONTAINER';
  return {
    network: spec.hostNetwork ? 'NODE' : 'POD',
    pid,
    ipc: spec.hostIPC ? 'NODE' : 'POD',
    targetId: '',
  };
}

/** kubelet's GeneratePodHostNameAndDomain, without the subdomain part the suites do not use. */
export function podHostname(manifest: PodManifest): string {
  return (manifest.spec.hostname ?? manifest.metadata.name).slice(0, 63);
}

export function sandboxConfigFor(manifest: PodManifest, identity: SandboxIdentity): PodSandboxConfig {
  const name = manifest.metadata.name;
  return {
    metadata: { name, uid: identity.uid, namespace: identity.namespace, attempt: identity.attempt },
    // kubelet leaves the hostname empty for host-network pods: they keep the node's.
    hostname: manifest.spec.hostNetwork ? '' : podHostname(manifest),
    logDirectory: path.join(identity.logRoot, `${identity.namespace}_${name}_${identity.uid}`),
    labels: {
      ...manifest.metadata.labels,
      [LABEL_POD_NAME]: name,
      [LABEL_POD_NAMESPACE]: identity.namespace,
      [LABEL_POD_UID]: identity.uid,
      [LABEL_RUN]: identity.runId,
    },
    annotations: { ...manifest.metadata.annotations },
    linux: {
      cgroupParent: identity.cgroupParent,
      // kubelet makes the sandbox privileged when any container is (HasPrivilegedContainer);
      // containerd refuses a privileged container in an unprivileged sandbox.
      securityContext: {
        namespaceOptions: namespaceOptionsFor(manifest),
        privileged: manifest.spec.containers.some((container) => container.securityContext?.privileged === true),
      },
    },
  };
}

export function containerConfigFor(
  manifest: PodManifest,
  container: ContainerManifest,
  identity: SandboxIdentity,
  attempt: number,
  image: string,
): ContainerConfig {
  return {
    metadata: { name: container.name, attempt },
    image: { image },
    // Kubernetes command is the image entrypoint override, args the cmd override: as in CRI.
    command: container.command ?? [],
    args: container.args ?? [],
    workingDir: container.workingDir ?? '',
    envs: (container.env ?? []).map((env) => ({ key: env.name, value: env.value })),
    labels: {
      [LABEL_CONTAINER_NAME]: container.name,
      [LABEL_POD_NAME]: manifest.metadata.name,
      [LABEL_POD_NAMESPACE]: identity.namespace,
      [LABEL_POD_UID]: identity.uid,
      [LABEL_RUN]: identity.runId,
    },
    annotations: { 'io.kubernetes.container.restartCount': String(attempt) },
    logPath: path.join(container.name, `${attempt}.log`),
    linux: {
      securityContext: {
        namespaceOptions: namespaceOptionsFor(manifest),
        privileged: container.securityContext?.privileged ?? false,
      },
    },
  };
}
