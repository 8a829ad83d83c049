/**
 * Where one run of the embedded node keeps its things. All paths hang off one directory whose
 * name carries the run id, so a later run can tell its leftovers from anyone else's.
 */
import path from 'node:path';

/** Parent of every run directory. Root-only (0700): it holds a root containerd's socket. */
export const RUNS_BASE = '/var/lib/pause-conformance/runs';

export interface RunLayout {
  runId: string;
  dir: string;
  /** owner.json: pid and start time of the harness that owns this directory. */
  ownerFile: string;
  /** Shared folders outside the run directory that this run brought into being (JSON list). */
  createdDirsFile: string;
  root: string;
  state: string;
  socket: string;
  opt: string;
  runcRoot: string;
  cniConfDir: string;
  cniIpamDir: string;
  images: string;
  configFile: string;
  logFile: string;
  /** Where netns_mounts_under_state_dir puts the pods' network namespaces. */
  netnsDir: string;
  /** The CRI plugin's root (its containers' status files are below it). */
  criRootDir: string;
  /** containerd's task bundles of the CRI's namespace. */
  taskDir: string;
  /** CNI network name, bridge name and cgroup parent: unique per run, short enough for IFNAMSIZ. */
  networkName: string;
  bridgeName: string;
  cgroupParent: string;
}

export function runLayout(runId: string, base = RUNS_BASE): RunLayout {
  const dir = path.join(base, runId);
  const state = path.join(dir, 'state');
  return {
    runId,
    dir,
    ownerFile: path.join(dir, 'owner.json'),
    createdDirsFile: path.join(dir, 'created-shared-dirs.json'),
    root: path.join(dir, 'root'),
    state,
    socket: path.join(dir, 'containerd.sock'),
    opt: path.join(dir, 'opt'),
    runcRoot: path.join(dir, 'runc'),
    cniConfDir: path.join(dir, 'cni', 'net.d'),
    cniIpamDir: path.join(dir, 'cni', 'ipam'),
    images: path.join(dir, 'images'),
    configFile: path.join(dir, 'config.toml'),
    logFile: path.join(dir, 'containerd.log'),
    netnsDir: path.join(state, 'io.containerd.grpc.v1.cri', 'netns'),
    criRootDir: path.join(dir, 'root', 'io.containerd.grpc.v1.cri'),
    taskDir: path.join(state, 'io.containerd.runtime.v2.task', 'k8s.io'),
    networkName: `pc-${runId}`,
    // IFNAMSIZ is 16 including the NUL: "pc" + 8 hex chars fits with room.
    bridgeName: `pc${runId.slice(0, 8)}`,
    cgroupParent: `/pause-conformance/${runId}`,
  };
}

/**
 * Directories containerd, its shims and libcni create outside the run directory even when every
 * path they can be given points inside it. Named per instance inside, but the folders themselves
 * are shared: a run records those it brought into being (createdDirsFile), and removeResidue
 * removes them once empty, at teardown or, after a killed run, at the next start. Children first.
 */
export const SHARED_PARENTS = ['/run/containerd/s', '/run/containerd', '/var/lib/cni/results', '/var/lib/cni'];

/** Run ids are 8 lowercase hex characters: short enough for interface names, unique enough per machine. */
export const RUN_ID_PATTERN = /^[0-9a-f]{8}$/;
