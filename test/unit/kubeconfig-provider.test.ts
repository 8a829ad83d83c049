/** The kubeconfig provider's choices that need no cluster: node-shell mode, the local node, the probe pod. */
import { expect } from 'chai';
import { EnvironmentError, UsageError } from '../../lib/errors.ts';
import type { NodeSummary } from '../../lib/kube/nodes.ts';
import { NSENTER_PREFIX } from '../../lib/node/shells/probe-pod-shell.ts';
import { kubeconfigProvider, localNode, nodeShellMode, runtimeRestartControls } from '../../lib/providers/kubeconfig/kubeconfig-provider.ts';
import { commandWords } from '../../lib/providers/common/command-words.ts';
import { readOptions } from '../../lib/options.ts';
import type { NodeShell, ShellResult } from '../../lib/node/node-shell.ts';
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

  describe('--restart-runtime', function () {
    it('is read into an argument list, no shell: quotes keep blanks, shell syntax is one line', function () {
      expect(readOptions(kubeconfigProvider.options, { 'restart-runtime': 'systemctl restart containerd' }).restartRuntime).to.deep.equal(['systemctl', 'restart', 'containerd']);
      expect(commandWords(`  /usr/local/bin/restart-runtime "my runtime" ''  `, '--restart-runtime')).to.deep.equal(['/usr/local/bin/restart-runtime', 'my runtime', '']);
      expect(() => commandWords('systemctl restart containerd && sleep 1', '--restart-runtime')).to.throw(
        UsageError,
        /^--restart-runtime systemctl restart containerd && sleep 1 cannot run as given: it runs with no shell, and "&" means something only to a shell\. Pass one command and its arguments/,
      );
      expect(() => commandWords("systemctl 'restart", '--restart-runtime')).to.throw(UsageError, /its ' quote is not closed/);
      expect(() => commandWords('  ', '--restart-runtime')).to.throw(UsageError, /^--restart-runtime is empty/);
    });

    it('runs the command through the node shell, then waits until crictl reaches the runtime again', async function () {
      // A node shell that answers as a node whose runtime is back on the second crictl call.
      const ran: string[][] = [];
      let probes = 0;
      const shell: NodeShell = {
        describe: 'test node',
        async run(argv: string[]): Promise<ShellResult> {
          ran.push(argv);
          if (argv[0] === 'crictl' && ++probes === 1) return { stdout: '', stderr: 'level=fatal msg="validate service connection: ... connect: connection refused"', exitCode: 1 };
          return { stdout: '', stderr: '', exitCode: 0 };
        },
      };
      const controls = runtimeRestartControls(['systemctl', 'restart', 'containerd'], 'unix:///run/containerd/containerd.sock')('vm', shell);
      const { downMs } = await controls.restartRuntime!();
      expect(downMs).to.be.a('number');
      expect(ran).to.deep.equal([
        ['systemctl', 'restart', 'containerd'],
        ['crictl', '--runtime-endpoint', 'unix:///run/containerd/containerd.sock', 'version'],
        ['crictl', '--runtime-endpoint', 'unix:///run/containerd/containerd.sock', 'version'],
      ]);
    });
  });
});
