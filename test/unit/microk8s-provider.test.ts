/**
 * The microk8s provider's readings and command lines. No microk8s can run here and none was
 * recorded, so the status texts below are the lines the snap prints, as written in its source
 * (canonical/microk8s scripts/wrappers/status.py print_pretty/print_short, common/utils.py
 * exit_if_stopped and exit_if_no_permission): NOT recorded outputs; a real run will tell. The
 * containerd config is the one the embedded node really runs with (renderContainerdConfig), and
 * the missing-microk8s case runs for real on a machine without microk8s.
 */
import { expect } from 'chai';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import { EnvironmentError } from '../../lib/errors.ts';
import { microk8sCtr } from '../../lib/node/shells/microk8s-shell.ts';
import { CONTAINERD_SERVICE, microk8sProvider, statusArgs, statusError } from '../../lib/providers/microk8s/microk8s-provider.ts';
import { containerdRootFromArgs, parseMicrok8sStatus, parseMicrok8sVersion } from '../../lib/providers/microk8s/microk8s-parsers.ts';
import { sandboxImageFromContainerdToml } from '../../lib/node/sandbox-image.ts';
import { renderContainerdConfig } from '../../lib/runtime/containerd-config.ts';
import { runLayout } from '../../lib/runtime/run-layout.ts';
import { onPath } from '../../lib/providers/common/on-path.ts';
import { readOptions } from '../../lib/options.ts';

// As status.py prints them (print_pretty when ready; the other verdicts are single prints).
const READY = 'microk8s is running\nhigh-availability: no\n  datastore master nodes: 127.0.0.1:19001\n  datastore standby nodes: none\naddons:\n  enabled:\n    dns                  # (core) CoreDNS\n  disabled:\n    ingress              # (core) Ingress controller for external access\n';
const NOT_READY = 'microk8s is not running. Use microk8s inspect for a deeper inspection.\n';
const STOPPED = 'microk8s is not running, try microk8s start\n';
const NO_PERMISSION = "Insufficient permissions to access MicroK8s.\nYou can either try again with sudo or add the user runner to the 'microk8s' group:\n\n    sudo usermod -a -G microk8s runner\n    sudo chown -R $USER ~/.kube\n\nAfter this, reload the user groups either via a reboot or by running 'newgrp microk8s'.\n";
const CLUSTER_MEMBER = 'This MicroK8s deployment is acting as a node in a cluster.\nPlease use the master node.\n';
// utils.sh exit_if_low_memory_guard (d099c907 lines 1172-1185): a blank line first, then exit 1.
const LOW_MEMORY = "\nThis node does not have enough RAM to host the Kubernetes control plane services\nand join the database quorum. You may consider joining this node as a worker\nnode to a cluster.\n\nIf you would still like to start the control plane services, start MicroK8s with:\n\n    microk8s start --disable-low-memory-guard\n\n";

describe('microk8s provider', function () {
  describe('microk8s status', function () {
    it('reads each verdict from the first line the snap prints, with the exit code the snap gives it', function () {
      // Exit codes as the snap's source gives them: not ready and the low-memory guard exit 1 (status.py 236-237, utils.sh 1184).
      expect(parseMicrok8sStatus(READY, 0)).to.deep.equal({ kind: 'running', line: 'microk8s is running' });
      expect(parseMicrok8sStatus(NOT_READY, 1)).to.deep.equal({ kind: 'not-ready', line: NOT_READY.trim() });
      expect(parseMicrok8sStatus(STOPPED, 0).kind).to.equal('stopped');
      expect(parseMicrok8sStatus(NO_PERMISSION, 1).kind).to.equal('no-permission');
      expect(parseMicrok8sStatus(CLUSTER_MEMBER, 0).kind).to.equal('cluster-member');
      expect(parseMicrok8sStatus(LOW_MEMORY, 1)).to.deep.equal({ kind: 'low-memory', line: 'This node does not have enough RAM to host the Kubernetes control plane services' });
      expect(parseMicrok8sStatus('', 1)).to.deep.equal({ kind: 'unknown', line: '(no output)' });
    });

    it('calls a verdict with an exit code the snap never gives it unexpected', function () {
      expect(parseMicrok8sStatus(READY, 1).unexpectedExit).to.equal(1);
      expect(parseMicrok8sStatus(NOT_READY, 0).unexpectedExit).to.equal(0);
      expect(statusError(READY, 1)!.message).to.equal('microk8s status contradicts itself: it printed "microk8s is running" but exited 1. Run `microk8s status --wait-ready` by hand and look at `sudo microk8s inspect`.');
    });

    it('turns every verdict but "running" into one line with what to do', function () {
      expect(statusError(READY, 0)).to.equal(undefined);
      expect(statusError(LOW_MEMORY, 1)!.message).to.equal(
        'microk8s refuses to start its control plane on this node: This node does not have enough RAM to host the Kubernetes control plane services. Give the machine more memory, or start it anyway: sudo microk8s start --disable-low-memory-guard, then retry.',
      );
      const outputs: [string, number][] = [[NOT_READY, 1], [STOPPED, 0], [NO_PERMISSION, 1], [CLUSTER_MEMBER, 0], ['Traceback (most recent call last):\n', 1]];
      const lines = outputs.map(([output, exitCode]) => statusError(output, exitCode, 180)!);
      for (const error of lines) {
        expect(error).to.be.instanceOf(EnvironmentError);
        expect(error.message).to.not.include('\n');
      }
      expect(lines[0]!.message).to.equal('microk8s is not ready: microk8s status --wait-ready gave up after 180 s: microk8s is not running. Use microk8s inspect for a deeper inspection. Look at `sudo microk8s inspect`, then retry.');
      expect(lines[1]!.message).to.match(/^microk8s is stopped: .*Start it: sudo microk8s start/);
      expect(lines[2]!.message).to.match(/^microk8s refuses this user: Insufficient permissions to access MicroK8s\. Run as root \(sudo\), or add the user to the microk8s group/);
      expect(lines[3]!.message).to.match(/^this machine is a microk8s worker of another cluster/);
      expect(lines[4]!.message).to.match(/^microk8s status printed something unexpected: Traceback/);
    });

    it('waits with a bound: microk8s status --wait-ready --timeout N (without one it waits forever)', function () {
      expect(statusArgs()).to.deep.equal(['status', '--wait-ready', '--timeout', '180']);
      expect(statusArgs(30)).to.deep.equal(['status', '--wait-ready', '--timeout', '30']);
    });
  });

  describe('the snap', function () {
    it('reaches the runtime through microk8s ctr in the CRI namespace, and restarts the snap service', function () {
      expect(microk8sCtr()).to.deep.equal(['microk8s', 'ctr', '--namespace', 'k8s.io']);
      expect(microk8sCtr('/snap/bin/microk8s')[0]).to.equal('/snap/bin/microk8s');
      expect(CONTAINERD_SERVICE).to.equal('microk8s.daemon-containerd');
    });

    it('reads the version line of both formats', function () {
      expect(parseMicrok8sVersion('MicroK8s v1.32.9 revision 8511\n')).to.equal('v1.32.9 (snap revision 8511)');
      expect(parseMicrok8sVersion('MicroK8s v1.34.1 revision: 8600\n  - K8s: v1.34.1\n')).to.equal('v1.34.1 (snap revision 8600)');
      expect(parseMicrok8sVersion('')).to.equal(undefined);
    });

    it('finds containerd\'s root in the snap\'s args file, ${SNAP_COMMON} expanded', function () {
      const args = '--config ${SNAP_DATA}/args/containerd.toml\n--root ${SNAP_COMMON}/var/lib/containerd\n--state ${SNAP_COMMON}/run/containerd\n--address ${SNAP_COMMON}/run/containerd.sock\n';
      expect(containerdRootFromArgs(args)).to.equal('/var/snap/microk8s/common/var/lib/containerd');
      expect(containerdRootFromArgs('--root=/srv/containerd\n')).to.equal('/srv/containerd');
      expect(containerdRootFromArgs('')).to.equal('/var/snap/microk8s/common/var/lib/containerd');
    });

    it('reads the sandbox image of a containerd config (version 2, as the embedded node runs; version 3 pinned_images)', function () {
      const config = renderContainerdConfig({ layout: runLayout('1a2b3c4d', '/tmp/pc-test'), sandboxImage: 'localhost/pause-conformance/pause:catatonit', cniBinDir: '/usr/lib/cni', ociBinary: '/usr/sbin/runc', shimPath: '/usr/bin/containerd-shim-runc-v2', configVersion: 2, hasNri: false });
      expect(sandboxImageFromContainerdToml(config)).to.equal('localhost/pause-conformance/pause:catatonit');
      const v3 = "version = 3\n[plugins.'io.containerd.cri.v1.images'.pinned_images]\n  sandbox = 'registry.k8s.io/pause:3.10'\n\n[plugins.'io.containerd.cri.v1.images'.registry]\n  config_path = ''\n";
      expect(sandboxImageFromContainerdToml(v3)).to.equal('registry.k8s.io/pause:3.10');
      expect(sandboxImageFromContainerdToml('version = 2\n')).to.equal(undefined);
    });
  });

  describe('start', function () {
    it('says how to install microk8s when it is not there', async function () {
      if (process.getuid?.() !== 0) {
        console.log('      (skipped: the provider checks root first; run as root to reach the microk8s check)');
        this.skip();
      }
      if (onPath('microk8s') || onPath('microk8s', '/snap/bin')) {
        console.log('      (skipped: microk8s is installed here, so it cannot be missing)');
        this.skip();
      }
      const undo = new UndoStack();
      const error = await microk8sProvider
        .start({ runId: '1a2b3c4d', common: {}, options: readOptions(microk8sProvider.options, {}), undo, step: (_title, work) => work(), say: () => undefined })
        .then(
          () => undefined,
          (caught: unknown) => caught as Error,
        );
      expect(error).to.be.instanceOf(EnvironmentError);
      expect(error!.message).to.equal('microk8s not found: "microk8s" is not on PATH and /snap/bin/microk8s does not exist. Install it: sudo snap install microk8s --classic (see https://microk8s.io/docs/getting-started).');
      expect(undo.size).to.equal(0);
    });
  });
});
