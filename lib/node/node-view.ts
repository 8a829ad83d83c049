/**
 * A NodeView sees a pod's sandbox from the node it runs on: the pause process, its namespaces,
 * the netns bind mount, the pod's host-side veth and its IP in the IPAM store. It reads the
 * runtime through a RuntimeInspector (CRI gRPC, crictl or ctr) and the node through a NodeShell.
 */
import type { IpLink } from '../linux/ip-link.ts';
import type { ContainerRunState, SandboxReadiness } from '../cri/states.ts';
import type { NodeEvents } from './node-events.ts';
import type { Presence } from './presence.ts';
import type { RuntimeShim } from './runtime-shims.ts';

export type NamespaceKind = 'net' | 'ipc' | 'uts' | 'pid' | 'mnt';

/** Namespace identities as the kernel prints them, e.g. { net: 'net:[4026532177]' }. */
export type NamespaceIds = Partial<Record<NamespaceKind, string>>;

/** A sandbox as the runtime reports it, or 'gone' once the runtime no longer knows it. */
export type SandboxState = SandboxReadiness | 'gone';

export interface SandboxFacts {
  id: string;
  state: SandboxState;
  attempt: number;
  /** 0 or undefined once the pause process is gone (the runtime reports pid 0). */
  pausePid?: number;
  /** Path of the netns bind mount, from the runtime spec. */
  netnsPath?: string;
  /** Pod IP the runtime reports ("" when torn down). */
  ip?: string;
  /** Namespace modes the sandbox was made with (POD/CONTAINER/NODE). */
  namespaceModes?: { network: string; pid: string; ipc: string };
  labels: Record<string, string>;
  /** Image of the pause container, where the runtime tells it. */
  image?: string;
}

export interface ContainerFacts {
  id: string;
  sandboxId: string;
  name: string;
  attempt: number;
  /** 'gone' once the runtime no longer knows the container. */
  state: ContainerRunState | 'gone';
  pid?: number;
  exitCode?: number;
}

/** A container's state as the runtime lists it, without the rest of its facts. */
export type ContainerStateFact = Pick<ContainerFacts, 'id' | 'name' | 'state'>;

/** An image as the runtime has it: its id and the command its config runs (e.g. the sandbox image). */
export interface ImageFacts {
  /** Image id (config digest) as the runtime names it. */
  id: string;
  repoTags: string[];
  repoDigests: string[];
  /** From the image config (OCI Entrypoint / Cmd); [] when the image sets none. */
  entrypoint: string[];
  cmd: string[];
}

/** A link of the node (a pod's host-side veth), as `ip -j link` shows it. */
export type HostLink = IpLink;

export interface NodeView {
  /**
   * The node's change sources, where the target has them: a teardown watch then looks again when
   * a thing changed instead of every few ms (node-events.ts).
   */
  readonly events?: NodeEvents;
  /** The IPAM store entries an allocated IP has (host-local: dataDir/<network>/<ip>), for following their removal. */
  ipStorePaths?(ip: string): string[];
  /**
   * The directory containerd keeps a task's bundle in (<state>/io.containerd.runtime.v2.task/<ns>/<id>),
   * where known: it is removed at the end of the task's delete, right before the CRI marks the
   * container exited or the sandbox NOTREADY, so its removal tells when to look at those.
   */
  taskBundlePath?(id: string): string;
  /**
   * The CRI's status file of a container (cri-status-file.ts), where known: rewritten when the CRI
   * records the container's exit, so its change tells when to ask the CRI.
   */
  criStatusPath?(containerId: string): string;
  /**
   * Whether that file, read on the node, still says the container runs (true), says it finished
   * or never started (false), or says neither (undefined). Where it says true, the CRI's answer
   * can only be "running", and asking it is skipped; the CRI's answer alone says "exited".
   */
  runningPerCriStatusFile?(containerId: string): Promise<boolean | undefined>;
  sandbox(sandboxId: string): Promise<SandboxFacts>;
  containers(sandboxId: string): Promise<ContainerFacts[]>;
  container(containerId: string): Promise<ContainerFacts>;
  /** The sandbox's state alone: cheaper than sandbox() where the runtime can tell it alone. */
  sandboxState(sandboxId: string): Promise<SandboxState>;
  /** Each listed container's id, name and state: cheaper than containers() where the runtime can tell them alone. */
  containerStates(sandboxId: string): Promise<ContainerStateFact[]>;
  namespaces(pid: number): Promise<NamespaceIds>;
  /**
   * present while the process exists and is not a zombie (and, given `startTicks`, is the process
   * that started then); absent only on a clear "no such process"; unknown (with what the shell said) when the node did not answer clearly.
   */
  processPresence(pid: number, startTicks?: string): Promise<Presence>;
  /**
   * When the process started (field 22 of its stat, clock ticks since boot): with the pid it names
   * one process for good, so a pid the kernel reused is not taken for the process that had it.
   */
  processStart(pid: number): Promise<string | undefined>;
  /** processPresence as a boolean; throws ProbeUnknownError on an unknown answer, never reads it as dead. */
  processAlive(pid: number): Promise<boolean>;
  /** The command line of a process, NUL-separated args joined by spaces. */
  processCommand(pid: number): Promise<string | undefined>;
  /** absent only on ENOENT; a timeout, a stopped node or EACCES is unknown. */
  pathPresence(path: string): Promise<Presence>;
  /** pathPresence as a boolean; throws ProbeUnknownError on an unknown answer. */
  pathExists(path: string): Promise<boolean>;
  /**
   * Whether the IPAM store holds the IP; undefined where the provider has no store to look in.
   * absent only when the IP's entry is missing from a store directory that is itself there: a
   * wrong or missing store path is unknown, not "released".
   */
  ipPresence(ip: string): Promise<Presence | undefined>;
  /** ipPresence as a boolean (undefined where no store is known); throws ProbeUnknownError on unknown. */
  ipAllocated(ip: string): Promise<boolean | undefined>;
  /** The runtime's shim processes on the node, from their command lines; unknown when they cannot be listed. */
  shims(): Promise<RuntimeShim[] | { unknown: string }>;
  /**
   * The containerd shim that is the parent of a process (a pod's pause: its shim is the subreaper
   * of what it starts); undefined when the parent is no shim, or where the node cannot tell it for
   * less than shims() costs (a node reached through a shell: one `ps` lists them all). Optional.
   */
  parentShim?(pid: number): Promise<RuntimeShim | undefined>;
  /** The host link with this ifindex (a pod's veth peer), if it exists. */
  link(ifindex: number): Promise<HostLink | undefined>;
  /** Sends a signal to a process on the node (a suite's deliberate SIGKILL of a container or pause). */
  kill(pid: number, signal: 'KILL' | 'TERM'): Promise<void>;
  /** Identity of the node's own namespaces (PID 1's), for host-namespace checks. */
  hostNamespaces(): Promise<NamespaceIds>;
  /**
   * An image the runtime has, with its config's entrypoint and cmd; undefined when the runtime
   * does not have it. Optional: absent where the runtime cannot be asked for image configs.
   */
  image?(reference: string): Promise<ImageFacts | undefined>;
}
