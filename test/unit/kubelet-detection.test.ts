/**
 * Which runtime endpoint a kubelet, microk8s' kubelite or k3s would use, from its command line and
 * the files it names, as their sources define it (research item 5): the kubelet's
 * --container-runtime-endpoint, else its --config file's containerRuntimeEndpoint, else
 * unix:///run/containerd/containerd.sock (pkg/kubelet/apis/config/v1beta1/defaults.go); kubelite's
 * --kubelet-args-file (microk8s default-args/kubelet line 8, ${SNAP_COMMON} unexpanded); k3s's
 * /run/k3s/containerd/containerd.sock. Sockets are matched by inode, on real files made here.
 */
import { expect } from 'chai';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { KUBELET_DEFAULT_ENDPOINT, kubeletClaim, kubeletsUsing } from '../../lib/providers/cri/kubelet-detection.ts';
import { refuseKubeletSocket } from '../../lib/providers/cri/cri-provider.ts';
import { EnvironmentError } from '../../lib/errors.ts';

const files: Record<string, string> = {
  '/var/lib/kubelet/config.yaml': 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\ncontainerRuntimeEndpoint: unix:///run/k3s/x.sock\n',
  '/var/snap/microk8s/8511/args/kubelet': '--kubeconfig=${SNAP_DATA}/credentials/kubelet.config\n--cert-dir=${SNAP_DATA}/certs\n--container-runtime-endpoint=${SNAP_COMMON}/run/containerd.sock\n',
};
const read = async (file: string): Promise<string | undefined> => files[file];

describe('which runtime endpoint a kubelet uses', function () {
  it('reads the flag, the --config file, or the default', async function () {
    expect(await kubeletClaim(['/usr/bin/kubelet', '--config=/var/lib/kubelet/config.yaml', '--container-runtime-endpoint=unix:///var/run/containerd/containerd.sock'], read)).to.deep.equal({
      endpoint: 'unix:///var/run/containerd/containerd.sock',
      how: '--container-runtime-endpoint',
      what: 'kubelet',
    });
    expect(await kubeletClaim(['/usr/bin/kubelet', '--config', '/var/lib/kubelet/config.yaml'], read)).to.deep.equal({ endpoint: 'unix:///run/k3s/x.sock', how: 'containerRuntimeEndpoint in /var/lib/kubelet/config.yaml', what: 'kubelet' });
    expect((await kubeletClaim(['/usr/bin/kubelet'], read))?.endpoint).to.equal(KUBELET_DEFAULT_ENDPOINT);
  });

  it("reads microk8s kubelite's args file and k3s server's own socket; other processes are none", async function () {
    expect((await kubeletClaim(['/snap/microk8s/8511/kubelite', '--kubelet-args-file=/var/snap/microk8s/8511/args/kubelet'], read))?.endpoint).to.equal('/var/snap/microk8s/common/run/containerd.sock');
    expect(await kubeletClaim(['/bin/k3s', 'server', '--disable=traefik'], read)).to.deep.equal({ endpoint: '/run/k3s/containerd/containerd.sock', how: "k3s's embedded containerd", what: 'k3s server' });
    expect(await kubeletClaim(['/bin/k3s', 'kubectl', 'get', 'pods'], read)).to.equal(undefined);
    expect(await kubeletClaim(['/usr/bin/containerd'], read)).to.equal(undefined);
  });

  describe('in a /proc of real files, against a real socket', function () {
    let dir: string;
    let server: net.Server;
    let socket: string;

    before(async function () {
      dir = await mkdtemp(path.join(os.tmpdir(), 'pc-kubelet-'));
      socket = path.join(dir, 'run', 'containerd.sock');
      await mkdir(path.dirname(socket));
      server = net.createServer();
      await new Promise<void>((resolve) => server.listen(socket, resolve));
      // /var/run -> /run, as on Debian: the same socket by another path.
      await symlink(path.join(dir, 'run'), path.join(dir, 'var-run'));
      const processes: Record<string, string[]> = {
        '812': ['/usr/bin/kubelet', `--container-runtime-endpoint=unix://${path.join(dir, 'var-run', 'containerd.sock')}`],
        '640': ['/usr/bin/containerd', '--address', socket],
        '900': ['/usr/bin/kubelet', '--container-runtime-endpoint=unix:///nonexistent/other.sock'],
      };
      for (const [pid, argv] of Object.entries(processes)) {
        await mkdir(path.join(dir, 'proc', pid), { recursive: true });
        await writeFile(path.join(dir, 'proc', pid, 'cmdline'), `${argv.join('\0')}\0`);
      }
      await mkdir(path.join(dir, 'proc', 'self'));
    });

    after(async function () {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    });

    it('finds the kubelet whose endpoint is the socket by inode, not by path', async function () {
      const found = await kubeletsUsing(`unix://${socket}`, path.join(dir, 'proc'));
      expect(found.map((k) => k.pid)).to.deep.equal([812]);
      expect(await kubeletsUsing('unix:///nonexistent/third.sock', path.join(dir, 'proc'))).to.deep.equal([]);
    });

    it('refuses that socket in one line that names --provider kubeconfig --node-shell local', async function () {
      const error = await refuseKubeletSocket(`unix://${socket}`, path.join(dir, 'proc')).then(
        () => undefined,
        (caught: unknown) => caught as Error,
      );
      expect(error).to.be.instanceOf(EnvironmentError);
      expect(error!.message.split('\n')).to.have.length(1);
      expect(error!.message).to.equal(
        `--provider cri on unix://${socket}: a kubelet uses this runtime (pid 812, endpoint from --container-runtime-endpoint): a kubelet kills, within a second or two, running pods of its runtime that it does not know, so every CRI-level check would fail for that. Use --provider kubeconfig --node-shell local on this node, or stop the kubelet first (e.g. a drained node in an upgrade window).`,
      );
    });
  });
});
