/**
 * The private containerd's config.toml, in the version each containerd reads natively: version 2
 * for 1.6 and 1.7, version 3 for 2.x (2.x would migrate a version 2 file at every start, warn,
 * and leave NRI on, which listens on the machine-wide /var/run/nri/nri.sock). Everything it
 * writes is kept under the run directory: root, state, sockets, the OCI runtime's state (option
 * Root), netns bind mounts (netns_mounts_under_state_dir). What containerd still writes elsewhere
 * (shim sockets under /run/containerd/s, libcni's cache under /var/lib/cni, and 2.x's empty
 * /run/containerd at start-up) is named per instance or recorded, and covered by the leak check.
 * runtime_path names the shim of the containerd that runs: without it containerd takes the first
 * containerd-shim-runc-v2 on PATH, and 2.1 then silently ran Debian's 1.6 shim.
 */
import type { RunLayout } from './run-layout.ts';

export interface ContainerdConfigInput {
  layout: RunLayout;
  sandboxImage: string;
  cniBinDir: string;
  /** The OCI runtime binary (runc, or crun or its wrapper) the runc shim calls. */
  ociBinary: string;
  /** The containerd-shim-runc-v2 of the same containerd. */
  shimPath: string;
  configVersion: 2 | 3;
  /** containerd 1.7 has an NRI plugin (off by default there); 1.6 has none. */
  hasNri: boolean;
}

/** TOML basic string: JSON string escaping is a subset TOML accepts for the characters we use. */
function str(value: string): string {
  return JSON.stringify(value);
}

export function renderContainerdConfig(input: ContainerdConfigInput): string {
  return input.configVersion === 3 ? renderVersion3(input) : renderVersion2(input);
}

/** TOML literal string (single quotes), as containerd 2.x's own `config default` writes them. */
function lit(value: string): string {
  if (value.includes("'") || value.includes('\n')) return str(value);
  return `'${value}'`;
}

/** The part both versions share: paths, sockets, logging, the opt dir; `quote` is each version's string style. */
function topLevel(version: 2 | 3, layout: RunLayout, quote: (value: string) => string, snapshotters: string[], why: string): string {
  const disabled = snapshotters.map((name) => quote(`io.containerd.snapshotter.v1.${name}`)).join(', ');
  return `# Written by pause-conformance for one run; removed with the run directory.
version = ${version}
root = ${quote(layout.root)}
state = ${quote(layout.state)}
# ${why}
disabled_plugins = [${disabled}]

[grpc]
  address = ${quote(layout.socket)}
  uid = 0
  gid = 0

[ttrpc]
  address = ${quote(layout.socket + '.ttrpc')}

[debug]
  address = ${quote('')}
  level = ${quote('info')}

[metrics]
  address = ${quote('')}

[plugins."io.containerd.internal.v1.opt"]
  path = ${quote(layout.opt)}
`;
}

function renderVersion2(input: ContainerdConfigInput): string {
  const { layout } = input;
  const cri = '[plugins."io.containerd.grpc.v1.cri"';
  return `${topLevel(2, layout, str, ['btrfs', 'zfs', 'devmapper', 'aufs'], 'Snapshotters that cannot work here only slow start-up with errors.')}${input.hasNri ? `
# NRI would listen on the machine-wide /var/run/nri/nri.sock; off (also 1.7's default, said anyway).
[plugins."io.containerd.nri.v1.nri"]
  disable = true
` : ''}
${cri}]
  sandbox_image = ${str(input.sandboxImage)}
  # CAP_SYS_RESOURCE may be missing (as on these machines); without this the sandbox's
  # oom_score_adj of -998 fails with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  # Keep netns bind mounts inside our state dir, not in the shared /var/run/netns.
  netns_mounts_under_state_dir = true
  # The streaming server is unused (ExecSync goes over gRPC); bind it to loopback on a free port
  # so two runs never fight over 10010.
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  disable_apparmor = true
  disable_proc_mount = false
  max_container_log_line_size = 16384

${cri}.containerd]
  snapshotter = "overlayfs"
  default_runtime_name = "runc"

${cri}.containerd.runtimes.runc]
  runtime_type = "io.containerd.runc.v2"
  runtime_path = ${str(input.shimPath)}

${cri}.containerd.runtimes.runc.options]
  BinaryName = ${str(input.ociBinary)}
  Root = ${str(layout.runcRoot)}
  SystemdCgroup = false

${cri}.cni]
  bin_dir = ${str(input.cniBinDir)}
  conf_dir = ${str(layout.cniConfDir)}
  max_conf_num = 1
`;
}

function renderVersion3(input: ContainerdConfigInput): string {
  const { layout } = input;
  const runtime = "[plugins.'io.containerd.cri.v1.runtime'";
  const images = "[plugins.'io.containerd.cri.v1.images'";
  // Keys from containerd v2.1.9 docs/cri/config.md; `containerd config migrate` of the version 2
  // file above gives the same ones (research containerd-2.1 FINDINGS.md §2).
  return `${topLevel(3, layout, lit, ['btrfs', 'zfs', 'devmapper', 'blockfile', 'erofs'], 'Snapshotters that cannot work here only slow start-up with errors (aufs no longer exists in 2.x).')}
# NRI is on by default in 2.x and listens on the machine-wide /var/run/nri/nri.sock.
[plugins.'io.containerd.nri.v1.nri']
  disable = true

${images}]
  snapshotter = 'overlayfs'

${images}.pinned_images]
  sandbox = ${lit(input.sandboxImage)}

${runtime}]
  # CAP_SYS_RESOURCE may be missing (as on these machines); without this the sandbox's
  # oom_score_adj of -998 fails with "can't get final child's PID from pipe".
  restrict_oom_score_adj = true
  # Keep netns bind mounts inside our state dir, not in the shared /var/run/netns.
  netns_mounts_under_state_dir = true
  enable_selinux = false
  disable_apparmor = true
  disable_proc_mount = false
  max_container_log_line_size = 16384

${runtime}.containerd]
  default_runtime_name = 'runc'

${runtime}.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'
  runtime_path = ${lit(input.shimPath)}

${runtime}.containerd.runtimes.runc.options]
  BinaryName = ${lit(input.ociBinary)}
  Root = ${lit(layout.runcRoot)}
  SystemdCgroup = false

${runtime}.cni]
  bin_dirs = [${lit(input.cniBinDir)}]
  conf_dir = ${lit(layout.cniConfDir)}
  max_conf_num = 1

[plugins.'io.containerd.grpc.v1.cri']
  # The streaming server is unused (ExecSync goes over gRPC); loopback, a free port.
  stream_server_address = '127.0.0.1'
  stream_server_port = '0'
`;
}
