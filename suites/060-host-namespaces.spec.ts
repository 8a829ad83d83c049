/**
 * Suite: host namespaces. With hostNetwork the pod has no network namespace of its own (no netns
 * bind mount; pause and the containers are in the node's), and the addresses its container sees
 * are the node's, not a pod IP. With hostIPC the IPC namespace is the node's. Pause then holds
 * only what remains, and the containers still join pause for those.
 *
 * UTS with hostNetwork: kubelet sends an empty hostname for host-network pods, and containerd
 * 1.6 then puts pause and the containers in the node's UTS namespace as well (they keep the node's
 * hostname); this was measured on the embedded node and is what the check asserts.
 *
 * These pods run in the node's real namespaces: the suite only reads there and changes nothing.
 */
import { expect } from 'chai';
import { evidence } from '../lib/report/evidence.ts';
import { step } from '../lib/report/steps.ts';
import type { NamespaceIds } from '../lib/node/node-view.ts';
import { cidrContains, formatCidr, networkOf, requireCidr } from '../lib/linux/ipv4-cidr.ts';
import { parseIpAddrLines } from '../lib/linux/ip-addr.ts';
import { target, usePod } from './context.ts';
import { execText, observeContainer, observePause, type ContainerNamespaces, type PauseObservation } from './observe.ts';

const KINDS = ['net', 'ipc', 'uts', 'pid', 'mnt'] as const;

/** For each namespace kind: is it the node's, pause's own, or (for a container) pause's? */
function owners(ns: NamespaceIds, host: NamespaceIds, pause?: NamespaceIds): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kind of KINDS) {
    if (ns[kind] === host[kind]) out[kind] = 'node';
    else if (pause && ns[kind] === pause[kind]) out[kind] = 'pause';
    else out[kind] = 'own';
  }
  return out;
}

describe('host namespaces: pause holds only what the pod does not take from the node', function () {
  const hostNetPod = usePod('host-network');
  const hostIpcPod = usePod('host-ipc');
  let host: NamespaceIds;
  let netPause: PauseObservation;
  let netReader: ContainerNamespaces;
  let ipcPause: PauseObservation;
  let ipcReader: ContainerNamespaces;

  before(async function () {
    host = await target().node.hostNamespaces();
    netPause = await observePause(target(), hostNetPod());
    netReader = await observeContainer(target(), hostNetPod(), 'reader');
    ipcPause = await observePause(target(), hostIpcPod());
    ipcReader = await observeContainer(target(), hostIpcPod(), 'reader');
  });

  it("hostNetwork: the pod's net namespace is the node's, with no netns of its own and a node IP", async function () {
    const ev = evidence(this);
    const pod = hostNetPod();
    const addrOutput = await step(this, 'list the addresses the host-network container sees', () => execText(target(), pod, 'reader', ['ip', '-4', '-o', 'addr', 'show']));
    const addresses = parseIpAddrLines(addrOutput).filter((a) => a.scope === 'global');
    // The pod subnet, as a pod with a network of its own sees it on eth0.
    const podEth0 = parseIpAddrLines(await step(this, "read the pod subnet from the other pod's eth0", () => execText(target(), hostIpcPod(), 'reader', ['ip', '-4', '-o', 'addr', 'show', 'dev', 'eth0']))).find((a) => a.dev === 'eth0');
    expect(podEth0, 'eth0 address of the pod with its own network').to.not.equal(undefined);
    const podSubnet = requireCidr(podEth0!.cidr);
    const nodeAddresses = addresses.filter((a) => !cidrContains(podSubnet, a.cidr.split('/')[0]!));
    const reportedIp = netPause.sandbox.ip ?? '';
    ev['hostNamespaces'] = { ...host };
    ev['pause'] = { pid: netPause.pid, net: netPause.namespaces.net, netnsPath: netPause.sandbox.netnsPath ?? null, modes: netPause.sandbox.namespaceModes ?? null };
    ev['reader'] = { pid: netReader.pid, net: netReader.namespaces.net };
    ev['ipAddrOutput'] = addrOutput;
    ev['addressesInside'] = addresses.map((a) => `${a.dev} ${a.cidr}`);
    ev['podSubnet'] = formatCidr(networkOf(podSubnet));
    ev['nodeAddressesInside'] = nodeAddresses.map((a) => `${a.dev} ${a.cidr}`);
    ev['runtimeReportedIp'] = reportedIp;
    ev['runtimeReportedIpAllocated'] = reportedIp ? ((await step(this, 'look the runtime-reported IP up in the IPAM store', () => target().node.ipAllocated(reportedIp))) ?? null) : null;
    ev['summary'] = `pause and reader in the node's ${host.net}; no netns path; addresses inside: ${nodeAddresses.map((a) => a.cidr).join(', ')} (pod subnet ${formatCidr(networkOf(podSubnet))}); runtime reports IP "${reportedIp}"`;
    expect(netPause.namespaces.net, 'pause net namespace').to.equal(host.net);
    expect(netReader.namespaces.net, 'reader net namespace').to.equal(host.net);
    expect(netPause.sandbox.netnsPath, 'netns bind mount of the sandbox').to.equal(undefined);
    expect(nodeAddresses, 'addresses outside the pod subnet seen in the container').to.not.be.empty;
    if (reportedIp) expect(cidrContains(podSubnet, reportedIp), `runtime-reported IP ${reportedIp} in the pod subnet`).to.equal(false);
  });

  it('hostNetwork: pause holds ipc, pid and mnt of its own; uts is the node\'s (containerd keeps the node hostname)', async function () {
    const ev = evidence(this);
    const pauseOwners = owners(netPause.namespaces, host);
    const readerOwners = owners(netReader.namespaces, host, netPause.namespaces);
    const hostnameInside = await step(this, 'run hostname in the host-network container', () => execText(target(), hostNetPod(), 'reader', ['hostname']));
    ev['pause'] = pauseOwners;
    ev['reader'] = readerOwners;
    ev['hostnameInside'] = hostnameInside;
    ev['nodeName'] = target().info.nodeName;
    ev['summary'] = `pause: ${Object.entries(pauseOwners).map(([k, v]) => `${k} ${v}`).join(', ')}; reader: ${Object.entries(readerOwners).map(([k, v]) => `${k} ${v}`).join(', ')}; hostname "${hostnameInside}"`;
    expect(pauseOwners, 'namespaces of pause').to.deep.equal({ net: 'node', ipc: 'own', uts: 'node', pid: 'own', mnt: 'own' });
    // shareProcessNamespace is false: the reader's pid namespace is its own, not pause's.
    expect(readerOwners, 'namespaces of the reader').to.deep.equal({ net: 'node', ipc: 'pause', uts: 'node', pid: 'own', mnt: 'own' });
  });

  it("hostIPC: the ipc namespace is the node's; pause holds net and uts for the pod", async function () {
    const ev = evidence(this);
    const pauseOwners = owners(ipcPause.namespaces, host);
    const readerOwners = owners(ipcReader.namespaces, host, ipcPause.namespaces);
    const hostnameInside = await step(this, 'run hostname in the host-IPC container', () => execText(target(), hostIpcPod(), 'reader', ['hostname']));
    ev['pause'] = { pausePid: ipcPause.pid, ...pauseOwners, netnsPath: ipcPause.sandbox.netnsPath ?? null, ip: ipcPause.sandbox.ip ?? null };
    ev['reader'] = { readerPid: ipcReader.pid, ...readerOwners };
    ev['hostIpc'] = host.ipc;
    ev['hostnameInside'] = hostnameInside;
    ev['summary'] = `pause: ${Object.entries(pauseOwners).map(([k, v]) => `${k} ${v}`).join(', ')}; reader: ${Object.entries(readerOwners).map(([k, v]) => `${k} ${v}`).join(', ')}`;
    expect(pauseOwners, 'namespaces of pause').to.deep.equal({ net: 'own', ipc: 'node', uts: 'own', pid: 'own', mnt: 'own' });
    expect(readerOwners, 'namespaces of the reader').to.deep.equal({ net: 'pause', ipc: 'node', uts: 'pause', pid: 'own', mnt: 'own' });
    expect(ipcPause.sandbox.netnsPath, 'netns bind mount of the sandbox').to.be.a('string');
    expect(hostnameInside, 'hostname in the reader').to.equal('host-ipc-pod');
  });
});
