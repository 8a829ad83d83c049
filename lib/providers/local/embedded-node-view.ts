/**
 * The NodeView of an embedded node: its CRI, this machine's shell, and the node's own paths (the
 * IPAM store of its network, containerd's task bundles, the CRI's status files). The local
 * provider and the bench both build it here, so the bench watches through what the suites do.
 */
import path from 'node:path';
import type { CriClient } from '../../cri/client.ts';
import { CriInspector } from '../../node/cri-inspector.ts';
import type { NodeEvents } from '../../node/node-events.ts';
import { ShellNodeView } from '../../node/shell-node-view.ts';
import { LocalShell } from '../../node/shells/local-shell.ts';
import type { RunLayout } from '../../runtime/run-layout.ts';

export function embeddedNodeView(client: CriClient, layout: RunLayout, events: NodeEvents): ShellNodeView {
  return new ShellNodeView(new CriInspector(client), new LocalShell(), {
    ipamDirs: [path.join(layout.cniIpamDir, layout.networkName)],
    events,
    taskStateDir: layout.taskDir,
    criRootDir: layout.criRootDir,
  });
}
