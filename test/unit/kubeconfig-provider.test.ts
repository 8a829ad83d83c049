/** The kubeconfig provider's choices that need no cluster: node-shell mode, the local node, the probe pod. */
import { expect } from 'chai';
import { EnvironmentError, UsageError } from '../../lib/errors.ts';
import type { NodeSummary } from '../../lib/kube/nodes.ts';
import { NSENTER_PREFIX } from '../../lib/node/shells/probe-pod-shell.ts';
import { localNode, nodeShellMode } from '../../lib/providers/kubeconfig/kubeconfig-provider.ts';
import { LABEL_RUN } from '../../lib/labels.ts';
import { probePodBody } from '../../lib/providers/kubeconfig/probe-pods.ts';

function node(name: string, address: string): NodeSummary {
  return { name, ready: true, readyCondition: 'Ready=True KubeletReady', schedulable: true, labels: {}, addresses: [{ type: 'InternalIP', address }], kubeletVersion: '', containerRuntimeVersion: '', kernelVersion: '', osImage: '' };
}

describe('kubeconfig provider choices', function () {
  it('needs --node-shell local, or probe with --allow-privileged-probe, and says which', function () {
    expect(nodeShellMode({ nodeShell: 'local' })).to.equal('local');
    expect(nodeShellMode({ nodeShell: 'probe', allowPrivilegedProbe: true })).to.equal('probe');
    expect(nodeShellMode({ allowPrivilegedProbe: true }), 'the opt-in alone means probe').to.equal('probe');
    expect(() => nodeShellMode({})).to.throw(UsageError, /needs a way to see the nodes: pass --node-shell local .* or --node-shell probe --allow-privileged-probe/);
    expect(() => nodeShellMode({ nodeShell: 'probe' })).to.throw(UsageError, /so it is opt-in\. Add --allow-privileged-probe/);
    expect(() => nodeShellMode({ nodeShell: 'ssh' })).to.throw(UsageError, /--node-shell ssh is not known/);
  });

  it('finds the node that is this machine, or says none is', function () {
    const nodes = [node('vm', '172.30.255.1'), node('other', '172.30.255.2')];
    expect(localNode(nodes, { hostname: 'vm', addresses: [] }).name).to.equal('vm');
    expect(localNode(nodes, { hostname: 'laptop', addresses: ['172.30.255.2'] }).name).to.equal('other');
    expect(() => localNode(nodes, { hostname: 'laptop', addresses: ['10.1.1.1'] })).to.throw(EnvironmentError, /^--node-shell local: no node of the cluster is this machine: this machine is laptop; the nodes are vm \(172\.30\.255\.1\); other/);
  });

  it('makes a privileged, host-PID probe pod pinned to the node, labelled with the run, tolerating taints', function () {
    const body = probePodBody({ name: 'probe-abc', namespace: 'pause-conformance-probe-1234', nodeName: 'vm', runId: 'r1', image: 'docker.io/library/busybox:1.36' });
    expect(body.metadata?.labels?.[LABEL_RUN]).to.equal('r1');
    expect(body.spec).to.deep.include({ nodeName: 'vm', hostPID: true, hostNetwork: true, restartPolicy: 'Never', automountServiceAccountToken: false });
    expect(body.spec?.tolerations).to.deep.equal([{ operator: 'Exists' }]);
    expect(body.spec?.containers[0]?.securityContext).to.deep.equal({ privileged: true });
    expect(NSENTER_PREFIX).to.deep.equal(['nsenter', '-t', '1', '-m', '-u', '-n', '-i']);
  });
});
