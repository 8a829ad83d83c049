/**
 * The CNI network of the embedded node: a bridge of its own and host-local IPAM with its own
 * data directory. No masquerade and no gateway on the host: isGateway would make the bridge
 * plugin switch on the host's net.ipv4.ip_forward, a machine-wide change that is not ours to make.
 * Pods reach each other on the bridge and themselves on 127.0.0.1, which is all the suites need.
 * containerd's CRI adds the loopback interface itself.
 */
import type { RunLayout } from './run-layout.ts';

export function renderCniConflist(layout: RunLayout, subnet: string): string {
  const conflist = {
    cniVersion: '1.0.0',
    name: layout.networkName,
    plugins: [
      {
        type: 'bridge',
        bridge: layout.bridgeName,
        isGateway: false,
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: 'host-local',
          ranges: [[{ subnet }]],
          dataDir: layout.cniIpamDir,
        },
      },
    ],
  };
  return JSON.stringify(conflist, null, 2) + '\n';
}
