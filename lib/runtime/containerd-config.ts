/**
 * The private containerd's config.toml (version 2, as containerd 1.6 reads it). Everything it
 * writes is kept under the run directory: root, state, sockets, runc state (runc option Root),
 * netns bind mounts (netns_mounts_under_state_dir). What containerd still writes elsewhere
 * (shim sockets under /run/containerd/s, libcni's cache under /var/lib/cni) is named per
 * instance and covered by the leak check.
 */
import type { RunLayout } from './run-layout.ts';

export interface ContainerdConfigInput {
  layout: RunLayout;
  sandboxImage: string;
  cniBinDir: string;
  runcBinary: string;
}

/** TOML basic string: JSON string escaping is a subset TOML accepts for the characters we use. */
function str(value: string): string {
  return JSON.stringify(value);
}

export function renderContainerdConfig(input: ContainerdConfigInput): string {
  const { layout } = input;
  const cri = '[plugins."io.containerd.grpc.v1.cri"';
  return `# Written by pause-conformance for one run; removed with the run directory.
version = 2
root = ${str(layout.root)}
state = ${str(layout.state)}
# Snapshotters that cannot work here only slow start-up with errors.
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs"]

[grpc]
  address = ${str(layout.socket)}
  uid = 0
  gid = 0

[ttrpc]
  address = ${str(layout.socket + '.ttrpc')}

[debug]
  address = ""
  level = "info"

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ${str(layout.opt)}

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

${cri}.containerd.runtimes.runc.options]
  BinaryName = ${str(input.runcBinary)}
  Root = ${str(layout.runcRoot)}
  SystemdCgroup = false

${cri}.cni]
  bin_dir = ${str(input.cniBinDir)}
  conf_dir = ${str(layout.cniConfDir)}
  max_conf_num = 1
`;
}
