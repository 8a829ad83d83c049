/**
 * What "the sandbox is gone" means, for every check that deletes a pod (teardown, pause-dies,
 * kubelet-restarts, churn): the pause process, the containers' processes, READY, the netns bind
 * mount, the host veth, the IP in the IPAM store, and the runtime's shim (the process whose
 * command line carries `-id <sandbox id>`, and its socket under /run/containerd/s).
 *
 * Before the delete each thing is looked at (a positive control): a wrong path, pid or IP would
 * otherwise be "gone" at +0 ms. A thing that cannot be looked at on this target is recorded as
 * "not checked: why" and left out of the conditions, never dropped silently. A probe with no clear
 * answer (timeout, stopped node) fails the check with what the shell said (lib/node/presence.ts).
 */
import { changeKeyId, type Change, type ChangeKey, type NodeEvents } from '../node/node-events.ts';
import type { NodeView } from '../node/node-view.ts';
import { describePresence, presentOrThrow, type Presence } from '../node/presence.ts';
import { describeRuntimeShim, type RuntimeShim } from '../node/runtime-shims.ts';
import type { TargetCapabilities } from '../target.ts';
import type { Evidence } from './evidence.ts';

export const GONE_CONDITIONS = ['pauseGone', 'containersGone', 'sandboxNotReady', 'netnsGone', 'vethGone', 'ipReleased', 'shimGone'] as const;
export type GoneCondition = (typeof GONE_CONDITIONS)[number];

/** One sandbox the delete must remove, as the check saw it while it ran. */
export interface SandboxToRemove {
  sandboxId: string;
  pausePid?: number;
  /** Processes of the pod's containers. */
  containerPids: number[];
  /** The containers' ids, whose task events wake the watch; asked of the runtime when not given. */
  containerIds?: string[];
  netnsPath?: string;
  ip?: string;
  /** ifindex of the pod's host-side veth (eth0's iflink), where the check followed it. */
  vethIndex?: number;
  /**
   * Things that are rightly not there before the delete, with why (the pause this suite killed):
   * their positive control is recorded, not required; they are still watched after the delete.
   */
  notExpected?: Partial<Record<GoneCondition, string>>;
}

/** What is known of the node the checks run on, for what can be checked there. */
export interface GoneTarget {
  node: NodeView;
  capabilities: TargetCapabilities;
  /** The runtime's name ('containerd', 'cri-o'): only containerd has containerd shims to look for. */
  runtimeName: string;
}

export interface GonePlan {
  /** Per sandbox: each positive control's answer before the delete. */
  before: Evidence;
  /** Controls that did not hold: the check fails with these before deleting anything. */
  controlFailures: string[];
  /** condition -> why it is not checked on this target (in the evidence and the console line). */
  notChecked: Partial<Record<GoneCondition, string>>;
  /** The conditions to watch after the delete: each answers true once gone, throws on unknown. */
  conditions: Partial<Record<GoneCondition, () => Promise<boolean>>>;
  /** What each condition still saw at its last probe (for the failure message). */
  left: () => Partial<Record<GoneCondition, string[]>>;
  /** The shims found before the delete (pid, socket): named if they stay. */
  shims: RuntimeShim[];
  /**
   * The node's change sources, where it has them, and per condition the things whose changes call
   * for a look: sets of keys, the most precise first (the kernel's pidfd and inotify before
   * containerd's task events); the watch follows the first set the node tells every key of.
   */
  events?: NodeEvents;
  keys: Partial<Record<GoneCondition, ChangeKey[][]>>;
  /** Per condition, the changes after which what it looks at may still lag (change-waiter.ts): looked at again shortly. */
  followUpAfter: Partial<Record<GoneCondition, (change: Change) => boolean>>;
  /**
   * Conditions that are exactly the absence of the things they follow (a process, a path, a link,
   * a container whose exit the CRI recorded in its status file): timed at the source's own stamp
   * of that once a look confirms it (first-seen.ts turnedTrueAt). The sandbox's NOTREADY is kept
   * in the CRI's memory only: it is among them only where the source asks the CRI itself at the
   * bundle's removal and stamps the answer (reads 'cri-sandbox'); elsewhere a look times it.
   */
  atRemoval: ReadonlySet<GoneCondition>;
}

/** The ones still present among `items`; a probe with no clear answer throws (ProbeUnknownError). */
async function stillPresent<T>(items: T[], what: (item: T) => string, probe: (item: T) => Promise<Presence>): Promise<string[]> {
  const left: string[] = [];
  for (const item of items) if (presentOrThrow(what(item), await probe(item))) left.push(what(item));
  return left;
}

/** A shim is gone when its pid is, or that pid now runs something else (pid reuse), and its socket is gone. */
async function shimLeft(node: NodeView, shim: RuntimeShim): Promise<string[]> {
  const left: string[] = [];
  if (presentOrThrow(`shim pid ${shim.pid}`, await node.processPresence(shim.pid))) {
    const command = await node.processCommand(shim.pid);
    if (command === undefined || command.includes(`-id ${shim.sandboxId}`)) left.push(describeRuntimeShim(shim));
  }
  if (shim.socket && presentOrThrow(`shim socket ${shim.socket}`, await node.pathPresence(shim.socket))) left.push(`shim socket ${shim.socket}`);
  return left;
}

/**
 * Looks at every sandbox before the delete and builds the conditions to watch after it. Reads
 * only; the caller asserts `controlFailures` is empty, then deletes and watches (gone-watch.ts).
 */
export async function planSandboxGone(target: GoneTarget, sandboxes: SandboxToRemove[]): Promise<GonePlan> {
  const { node, capabilities } = target;
  const before: Evidence = {};
  const controlFailures: string[] = [];
  const notChecked: Partial<Record<GoneCondition, string>> = {};
  const control = (sandbox: SandboxToRemove, name: GoneCondition, what: string, presence: Presence | 'none'): void => {
    const answer = presence === 'none' ? 'none' : describePresence(presence);
    const why = sandbox.notExpected?.[name];
    ((before[sandbox.sandboxId] as Evidence)[name] as Evidence[]).push({ what, before: answer, ...(why ? { notRequired: why } : {}) });
    if (presence !== 'present' && !why) controlFailures.push(`before the delete, ${what} was ${answer} (sandbox ${sandbox.sandboxId.slice(0, 13)}): a gone check of it would pass at +0 ms`);
  };

  // Each watched pid with when it started, so a pid reused by another process (pid_max can be
  // 32768, and churn makes hundreds) does not read as the watched process still there.
  const starts = new Map<number, string | undefined>();
  const processPresence = async (pid: number): Promise<Presence> => {
    if (!starts.has(pid)) starts.set(pid, await node.processStart(pid));
    return node.processPresence(pid, starts.get(pid));
  };
  // Every shim on the node, listed once and only when a sandbox's shim is not its pause's parent.
  let allShims: RuntimeShim[] | { unknown: string } | undefined;
  const shimsOf = async (sandbox: SandboxToRemove): Promise<RuntimeShim[] | { unknown: string }> => {
    const parent = sandbox.pausePid === undefined ? undefined : await node.parentShim?.(sandbox.pausePid);
    if (parent?.sandboxId === sandbox.sandboxId) return [parent];
    return (allShims ??= await node.shims());
  };
  const shims: RuntimeShim[] = [];
  const pausePids: number[] = [];
  const containerPids: number[] = [];
  const netnsPaths: string[] = [];
  const ips: string[] = [];
  const vethIndexes: number[] = [];
  const taskIds: string[] = [];
  for (const sandbox of sandboxes) {
    // The pause task's id is the sandbox's; each container's task has the container's id.
    taskIds.push(sandbox.sandboxId);
    if (node.events) taskIds.push(...(sandbox.containerIds ?? (await node.containerStates(sandbox.sandboxId)).map((c) => c.id)));
    before[sandbox.sandboxId] = Object.fromEntries(GONE_CONDITIONS.map((name) => [name, [] as Evidence[]]));
    if (sandbox.pausePid) {
      pausePids.push(sandbox.pausePid);
      control(sandbox, 'pauseGone', `pause ${sandbox.pausePid}`, await processPresence(sandbox.pausePid));
    } else control(sandbox, 'pauseGone', 'the pause pid', 'none');

    containerPids.push(...sandbox.containerPids);
    if (sandbox.containerPids.length === 0) control(sandbox, 'containersGone', 'the container pid list', 'none');
    for (const pid of sandbox.containerPids) control(sandbox, 'containersGone', `container process ${pid}`, await processPresence(pid));

    const state = await node.sandboxState(sandbox.sandboxId);
    control(sandbox, 'sandboxNotReady', `sandbox ${sandbox.sandboxId.slice(0, 13)} READY (${state})`, state === 'ready' ? 'present' : 'absent');

    if (sandbox.netnsPath) {
      netnsPaths.push(sandbox.netnsPath);
      control(sandbox, 'netnsGone', `netns ${sandbox.netnsPath}`, await node.pathPresence(sandbox.netnsPath));
    } else notChecked.netnsGone = `the runtime reports no netns path for sandbox ${sandbox.sandboxId.slice(0, 13)}`;

    if (!capabilities.linksVisible) notChecked.vethGone = 'the node\'s links cannot be listed on this target';
    else if (sandbox.vethIndex === undefined) notChecked.vethGone = 'the check did not follow the pod\'s veth (eth0\'s peer)';
    else {
      vethIndexes.push(sandbox.vethIndex);
      const link = await node.link(sandbox.vethIndex);
      control(sandbox, 'vethGone', `veth ifindex ${sandbox.vethIndex}${link ? ` (${link.name})` : ''}`, link ? 'present' : 'absent');
    }

    if (!capabilities.ipamVisible) notChecked.ipReleased = capabilities.ipamNotChecked ?? 'the provider sees no IPAM store on the node';
    else if (!sandbox.ip) control(sandbox, 'ipReleased', 'the pod IP', 'none');
    else {
      ips.push(sandbox.ip);
      control(sandbox, 'ipReleased', `IP ${sandbox.ip} in the IPAM store`, (await node.ipPresence(sandbox.ip)) ?? { unknown: 'no IPAM store known' });
    }

    const shimList = await shimsOf(sandbox);
    if (!Array.isArray(shimList)) control(sandbox, 'shimGone', 'the runtime\'s shims', shimList);
    else {
      const mine = shimList.filter((shim) => shim.sandboxId === sandbox.sandboxId);
      if (mine.length === 0 && !/containerd/i.test(target.runtimeName)) notChecked.shimGone = `the runtime ${target.runtimeName || '(unnamed)'} starts no containerd shim (none on the node has -id ${sandbox.sandboxId.slice(0, 13)})`;
      else if (mine.length === 0) control(sandbox, 'shimGone', `a shim with -id ${sandbox.sandboxId.slice(0, 13)}`, 'absent');
      for (const shim of mine) {
        shims.push(shim);
        control(sandbox, 'shimGone', describeRuntimeShim(shim), 'present');
        if (shim.socket) control(sandbox, 'shimGone', `shim socket ${shim.socket}`, await node.pathPresence(shim.socket));
      }
    }
  }

  const left: Partial<Record<GoneCondition, string[]>> = {};
  const watch = (name: GoneCondition, probe: () => Promise<string[]>): (() => Promise<boolean>) => async () => {
    left[name] = await probe();
    return left[name].length === 0;
  };
  const ids = sandboxes.map((s) => s.sandboxId);
  // Each container's task has the container's id (known here where the node has change sources).
  const containerTaskIds = taskIds.filter((id) => !ids.includes(id));
  const conditions: GonePlan['conditions'] = {
    pauseGone: watch('pauseGone', () => stillPresent(pausePids, (pid) => `pause ${pid}`, processPresence)),
    containersGone: watch('containersGone', async () => {
      const running = await stillPresent(containerPids, (pid) => `container process ${pid}`, processPresence);
      // A process still there already says "not gone": the runtime is asked only once they all are.
      if (running.length > 0) return running;
      // Nor while the CRI's own record says a container runs: its answer could only be "running".
      if (node.runningPerCriStatusFile) {
        for (const id of containerTaskIds) if ((await node.runningPerCriStatusFile(id)) === true) running.push(`container ${id.slice(0, 13)} running (the CRI has not recorded its exit)`);
        if (running.length > 0) return running;
      }
      // The runtime's word too: a container it still calls running is not gone, whatever its pid.
      for (const id of ids) for (const c of await node.containerStates(id)) if (c.state === 'running') running.push(`container ${c.name} ${c.id.slice(0, 13)} running`);
      return running;
    }),
    sandboxNotReady: watch('sandboxNotReady', async () => {
      const ready: string[] = [];
      for (const id of ids) if ((await node.sandboxState(id)) === 'ready') ready.push(`sandbox ${id.slice(0, 13)} READY`);
      return ready;
    }),
  };
  if (!notChecked.netnsGone) conditions.netnsGone = watch('netnsGone', () => stillPresent(netnsPaths, (path) => `netns ${path}`, (path) => node.pathPresence(path)));
  if (!notChecked.vethGone) {
    conditions.vethGone = watch('vethGone', async () => {
      const links: string[] = [];
      for (const ifindex of vethIndexes) if ((await node.link(ifindex)) !== undefined) links.push(`veth ifindex ${ifindex}`);
      return links;
    });
  }
  if (!notChecked.ipReleased) conditions.ipReleased = watch('ipReleased', () => stillPresent(ips, (ip) => `IP ${ip} in the IPAM store`, async (ip) => (await node.ipPresence(ip)) ?? { unknown: 'no IPAM store known' }));
  if (!notChecked.shimGone) {
    conditions.shimGone = watch('shimGone', async () => {
      const running: string[] = [];
      for (const shim of shims) running.push(...(await shimLeft(node, shim)));
      return running;
    });
  }
  const tasks = taskIds.map((id): ChangeKey => ({ kind: 'task', id }));
  const sandboxTasks = ids.map((id): ChangeKey => ({ kind: 'task', id }));
  const processes = (pids: number[]): ChangeKey[] => pids.map((pid) => ({ kind: 'process', pid }));
  const criStatusFiles = (containerIds: string[]): ChangeKey[] => (node.criStatusPath ? containerIds.map((id) => ({ kind: 'path', path: node.criStatusPath!(id), reads: 'cri-status' })) : []);
  const bundles = (taskIdsOf: string[]): ChangeKey[] => (node.taskBundlePath ? taskIdsOf.map((id) => ({ kind: 'path', path: node.taskBundlePath!(id) })) : []);
  // Each sandbox's bundle, its state asked of the CRI by the source at the removal, where the
  // node's source does that (an inotify thread with the CRI's endpoint): then the source's answer
  // times NOTREADY, and a look confirms it.
  const sandboxStatesAsked = node.taskBundlePath ? ids.map((id): ChangeKey => ({ kind: 'path', path: node.taskBundlePath!(id), reads: 'cri-sandbox' })) : [];
  const sourceAsksSandboxState = node.events !== undefined && sandboxStatesAsked.length > 0 && sandboxStatesAsked.every((key) => node.events!.whyNot(key) === undefined);
  // Each set alone tells the condition's change; one set is followed, not all, since every change
  // followed is a look (a CRI call for some): the kernel's (pidfd, inotify) where the node has
  // them, containerd's task events where it has only those. The CRI flips a container to exited
  // (a sandbox to NOTREADY) after containerd removes the task's bundle directory: 7 ms after at
  // 1 pod, 10-140 ms at 16 (npm run bench).
  const netnsKeys = netnsPaths.map((path): ChangeKey => ({ kind: 'path', path }));
  const vethKeys = vethIndexes.map((ifindex): ChangeKey => ({ kind: 'link', ifindex }));
  const sockets = shims.flatMap((shim): ChangeKey[] => (shim.socket ? [{ kind: 'path', path: shim.socket }] : []));
  const keys: GonePlan['keys'] = {
    pauseGone: [processes(pausePids), sandboxTasks],
    // The CRI's status file is rewritten when it records the exit: the moment to ask it. Else the
    // task's bundle, whose removal comes right before; else containerd's task events.
    containersGone: [[...processes(containerPids), ...(node.criStatusPath ? criStatusFiles(containerTaskIds) : node.taskBundlePath ? bundles(containerTaskIds) : tasks)], tasks],
    // Where no source asks: StopPodSandbox tears the pod's network down once the CRI has marked the
    // sandbox NOTREADY, so the netns and veth going say it has, where the CRI's step after the
    // bundle is late (10-140 ms at 16 pods; it handles exits one at a time, 500 ms after the
    // sandbox's /tasks/delete at 16 pods, npm run bench).
    sandboxNotReady: sourceAsksSandboxState ? [sandboxStatesAsked] : [[...bundles(ids), ...netnsKeys, ...vethKeys], sandboxTasks],
    netnsGone: [netnsKeys],
    vethGone: [vethKeys],
    ipReleased: [ips.flatMap((ip) => (node.ipStorePaths?.(ip) ?? []).map((path): ChangeKey => ({ kind: 'path', path })))],
    // A shim removes its socket, then exits; it goes after its sandbox's task is deleted.
    shimGone: [[...processes(shims.map((shim) => shim.pid)), ...sockets], [...sandboxTasks, ...sockets]],
  };
  // containerd publishes /tasks/delete, then marks the container exited (and a sandbox NOTREADY) in
  // the CRI; /tasks/exit comes once the process is reaped, an unlink once the entry is gone. A shim
  // removes its socket before it exits, and a link's sysfs and netlink views are not one step.
  // The CRI writes its status file, then updates what it answers: a look right after may come first.
  // A status file's rewrite that records no exit says nothing yet: the rewrite with the exit is
  // told as gone, and only that one is looked at again (the CRI may still answer from before it).
  const bundlesBeforeCriState = new Set(bundles(taskIds).map((key) => changeKeyId(key)));
  const statusFiles = new Set(criStatusFiles(containerTaskIds).map((key) => changeKeyId(key)));
  const afterTaskDelete = (change: Change): boolean => change.topic === '/tasks/delete' || bundlesBeforeCriState.has(changeKeyId(change.key)) || (change.gone === true && statusFiles.has(changeKeyId(change.key)));
  const always = (): boolean => true;
  const never = (): boolean => false;
  // A shim's own exit (pidfd) is the change itself; anything else of it comes before the exit.
  const notAnExit = (change: Change): boolean => change.key.kind !== 'process';
  // Where the source asks the CRI itself, its word is the CRI's answer: nothing to look at again.
  const followUpAfter: GonePlan['followUpAfter'] = { containersGone: afterTaskDelete, sandboxNotReady: sourceAsksSandboxState ? never : afterTaskDelete, vethGone: always, shimGone: notAnExit, pauseGone: never, netnsGone: never, ipReleased: never };
  // The containers too where their CRI status files are followed: the rewrite that records the
  // last exit is the moment the CRI turned them exited (a look still confirms it). Not their
  // bundles: those go before the CRI's word.
  const atRemoval = new Set<GoneCondition>(['pauseGone', 'netnsGone', 'vethGone', 'ipReleased', 'shimGone', ...(node.criStatusPath ? (['containersGone'] as const) : []), ...(sourceAsksSandboxState ? (['sandboxNotReady'] as const) : [])]);
  return { before, controlFailures, notChecked, conditions, left: () => ({ ...left }), shims, keys, followUpAfter, atRemoval, ...(node.events ? { events: node.events } : {}) };
}

/** "not checked: ipReleased (why); vethGone (why)" for the summary line, or '' when all were checked. */
export function notCheckedLine(notChecked: GonePlan['notChecked']): string {
  const entries = Object.entries(notChecked);
  return entries.length === 0 ? '' : `; not checked: ${entries.map(([name, why]) => `${name} (${why})`).join('; ')}`;
}
