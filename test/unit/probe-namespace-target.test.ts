/**
 * Whose namespaces the probe pod enters when PID 1's are refused (the real node of 2026-12-02:
 * "readlink: can't open '/proc/1/ns/ipc': Permission denied"). The inputs are the research's
 * (sources FINDINGS §6): pid 1 refused, a kubelet in the node's net namespace, a containerd;
 * plus a shim and a containerd in a container, which must never be chosen. The process listing
 * is what the probe's constant script prints, run here for real by /bin/sh over this machine's /proc.
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { readFileSync } from 'node:fs';
import { chooseNamespaceTarget, nodeProcessCandidates, parseProcessListing, type CandidateCheck } from '../../lib/node/shells/namespace-target.ts';
import { LIST_PROCESSES, nsenterPrefix, NSENTER_PREFIX } from '../../lib/node/shells/probe-pod-shell.ts';

const NODE_NET = 'net:[4026531840]';
const links = (net: string): CandidateCheck['links'] => ({ mnt: 'mnt:[4026531841]', uts: 'uts:[4026531838]', net, ipc: 'ipc:[4026531839]' });
const PID1_REFUSED: CandidateCheck = { links: {}, linksError: "readlink: can't open '/proc/1/ns/ipc': Permission denied" };

describe('the probe pod falls back when PID 1 cannot be entered', function () {
  const seen = parseProcessListing(
    [
      '1 /sbin/init',
      '640 /usr/bin/containerd',
      '812 /usr/bin/kubelet\x01--config=/var/lib/kubelet/config.yaml\x01--container-runtime-endpoint=unix:///run/containerd/containerd.sock\x01',
      '3725 /usr/bin/containerd-shim-runc-v2\x01-namespace\x01k8s.io\x01-id\x018568fc21a6d3\x01-address\x01/run/containerd/containerd.sock',
      '4100 /usr/local/bin/containerd\x01--config\x01/etc/containerd/in-a-pod.toml',
    ].join('\n'),
  );

  it('lists node processes by full command line, kubelet first, never a shim', function () {
    expect(nodeProcessCandidates(seen).map((p) => `${p.kind} ${p.pid}`)).to.deep.equal(['kubelet 812', 'containerd 640', 'containerd 4100']);
  });

  it('takes the kubelet when PID 1 is refused, and records why', function () {
    const [kubelet, containerd] = nodeProcessCandidates(seen);
    const chosen = chooseNamespaceTarget(PID1_REFUSED, [{ ...kubelet!, check: { links: links(NODE_NET), enter: { ok: true, said: '' } } }, { ...containerd!, check: { links: links(NODE_NET), enter: { ok: true, said: '' } } }], NODE_NET);
    expect(chosen).to.deep.equal({ pid: 812, process: 'kubelet (/usr/bin/kubelet)', why: "pid 1: readlink: can't open '/proc/1/ns/ipc': Permission denied" });
    expect(nsenterPrefix(812)).to.deep.equal(['nsenter', '-t', '812', '-m', '-u', '-n', '-i']);
  });

  it('takes PID 1 where its namespaces are readable', function () {
    expect(chooseNamespaceTarget({ links: links(NODE_NET) }, [], NODE_NET)).to.deep.include({ pid: 1 });
    expect(NSENTER_PREFIX).to.deep.equal(nsenterPrefix(1));
  });

  it('refuses a process of another net namespace and one nsenter cannot enter; with none left it is inconclusive, with each reason', function () {
    const [kubelet, containerd, inPod] = nodeProcessCandidates(seen);
    const chosen = chooseNamespaceTarget(
      PID1_REFUSED,
      [
        { ...kubelet!, check: { links: {}, linksError: "readlink: can't open '/proc/812/ns/ipc': Permission denied" } },
        { ...containerd!, check: { links: links(NODE_NET), enter: { ok: false, said: 'nsenter: setns(): Operation not permitted' } } },
        { ...inPod!, check: { links: links('net:[4026532999]') } },
      ],
      NODE_NET,
    );
    expect(chosen).to.deep.equal({
      inconclusive:
        "no node process can be entered: pid 1: readlink: can't open '/proc/1/ns/ipc': Permission denied; kubelet pid 812: readlink: can't open '/proc/812/ns/ipc': Permission denied; containerd pid 640: nsenter failed: nsenter: setns(): Operation not permitted; containerd pid 4100: in net:[4026532999], not the node's net:[4026531840] (a process in a container)",
    });
  });

  it("the probe's process listing script runs under sh and lists this very process", async function () {
    const listed = parseProcessListing((await execa('/bin/sh', ['-c', LIST_PROCESSES])).stdout);
    const me = listed.find((p) => p.pid === process.pid);
    expect(me, `pid ${process.pid} in the listing`).to.not.equal(undefined);
    // Each NUL became a separator: the arguments come back one by one, as /proc/<pid>/cmdline has them.
    const cmdline = readFileSync(`/proc/${process.pid}/cmdline`, 'utf8').split('\0');
    expect(me!.argv).to.deep.equal(cmdline.slice(0, -1));
    expect(me!.argv.length).to.be.above(1);
  });
});
