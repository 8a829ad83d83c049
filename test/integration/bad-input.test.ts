/**
 * Bad input, each through the real CLI: one line on stderr, exit 2, no stack trace, and nothing
 * changed on the machine (no run directory left, no bridge left; a run that got as far as making
 * things removed every one of them).
 */
import { expect } from 'chai';
import { execa } from 'execa';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { DEFAULT_FIXTURES_DIR } from '../../lib/pods/fixtures.ts';
import { runCli, tempReportDir, type CliOptions } from './helpers/cli.ts';
import { tempDir } from './helpers/temp-dirs.ts';
import { changesSince, machineState } from './helpers/machine.ts';
import { residueOf } from './helpers/residue.ts';

interface Case {
  name: string;
  args: () => string[];
  options?: () => CliOptions;
  /** The one stderr line, after "pause-conformance: ". */
  message: RegExp;
  /** Further checks that nothing was made. */
  after?: () => Promise<void>;
}

let scratch: string;

/** A copy of the fixtures with one file replaced. */
async function fixturesWith(file: string, text: (original: string) => string): Promise<string> {
  const dir = await mkdtemp(path.join(scratch, 'fixtures-'));
  await cp(DEFAULT_FIXTURES_DIR, dir, { recursive: true });
  await writeFile(path.join(dir, file), text(await readFile(path.join(dir, file), 'utf8')));
  return dir;
}

/** The subnet of a route in the main table (eth0's on a usual machine). */
async function interfaceSubnet(): Promise<string | undefined> {
  const routes = JSON.parse((await execa('ip', ['-j', '-4', 'route', 'show'], { reject: false })).stdout || '[]') as { dst: string }[];
  return routes.find((route) => route.dst !== 'default' && route.dst.includes('/'))?.dst;
}

const fixtureDirs: Record<string, string> = {};
const runtimeCaches: Record<string, string> = {};
const kubeconfigs: Record<string, string> = {};
let refusingSocket = '';
let eth0Route: string | undefined;
const NOBODY = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
// A private mount namespace in which containerd and apt-get are not there: the machine's files stay as they are.
const WITHOUT_CONTAINERD = ['unshare', '--mount', '--propagation', 'private', 'sh', '-c', 'mount --bind /dev/null "$1" && mount --bind /dev/null "$2" && shift 2 && exec "$@"', 'sh', '/usr/bin/containerd', '/usr/bin/apt-get'];

const CASES: Case[] = [
  { name: 'unknown provider', args: () => ['run', '--provider', 'nosuch'], message: /^unknown provider "nosuch": known providers are local, cri/ },
  { name: 'unknown option', args: () => ['run', '--no-such-option'], message: /^bad command line: .*--no-such-option/ },
  { name: 'an option of another provider', args: () => ['run', '--provider', 'local', '--keep'], message: /^--keep is not an option of provider local: it is an option of provider kind\. Drop it, or see `pause-conformance run --help`/ },
  { name: 'unknown command', args: () => ['sprint'], message: /^unknown command "sprint"/ },
  { name: 'malformed fixture YAML', args: () => ['run', '--fixtures', fixtureDirs['yaml']!], message: /^fixture .*trio\.yaml is not valid YAML: / },
  { name: 'fixture that is YAML but not a Pod', args: () => ['run', '--fixtures', fixtureDirs['notPod']!], message: /^fixture .*exits\.yaml is not a Pod the harness can run: spec\.containers must be a non-empty list/ },
  { name: 'fixture directory that does not exist', args: () => ['run', '--fixtures', '/nonexistent/fixtures'], message: /^--fixtures \/nonexistent\/fixtures cannot be read: ENOENT/ },
  {
    name: 'fixture asking for an image that is not present',
    args: () => ['run', '--fixtures', fixtureDirs['image']!, '--report-dir', tempReportDir()],
    message: /^image localhost\/pause-conformance\/absent:1 is not present on the runtime: fixture .*trio\.yaml \(container alpha\) runs it/,
  },
  { name: '--app-image that is not present', args: () => ['run', '--app-image', 'localhost/pause-conformance/absent:2', '--report-dir', tempReportDir()], message: /^image localhost\/pause-conformance\/absent:2 is not present on the runtime/ },
  { name: '--cri-endpoint that is a file, not a socket', args: () => ['run', '--provider', 'cri', '--cri-endpoint', 'unix:///etc/hostname'], message: /^--cri-endpoint unix:\/\/\/etc\/hostname is not a socket/ },
  { name: '--cri-endpoint that does not exist', args: () => ['run', '--provider', 'cri', '--cri-endpoint', 'unix:///run/no-such-runtime.sock'], message: /^--cri-endpoint unix:\/\/\/run\/no-such-runtime\.sock does not exist: ENOENT/ },
  { name: '--cri-endpoint that refuses (socket file, no listener)', args: () => ['run', '--provider', 'cri', '--cri-endpoint', `unix://${refusingSocket}`], message: /^--cri-endpoint unix:\/\/.*refuses\.sock does not answer CRI runtime\.v1: .*UNAVAILABLE/ },
  { name: '--cri-endpoint that is not a unix socket', args: () => ['run', '--provider', 'cri', '--cri-endpoint', 'tcp://127.0.0.1:1'], message: /^--cri-endpoint tcp:\/\/127\.0\.0\.1:1 is not supported: only unix sockets are/ },
  { name: '--subnet that overlaps the loopback route', args: () => ['run', '--subnet', '127.0.0.0/8'], message: /^--subnet 127\.0\.0\.0\/8 is already in use on this machine: it overlaps the route to 127\.0\.0\.0\/8/ },
  { name: '--subnet that overlaps the route of eth0 (a non-default route of the main table)', args: () => ['run', '--subnet', eth0Route ?? 'eth0-has-no-route'], message: /^--subnet \S+ is already in use on this machine: it overlaps the route to / },
  { name: '--subnet that is not a CIDR', args: () => ['run', '--subnet', '10.1.2.3'], message: /^--subnet 10\.1\.2\.3 is not usable: it must be an IPv4 CIDR/ },
  { name: 'not root (local)', args: () => ['run'], options: () => ({ wrapper: NOBODY }), message: /^the local provider needs root: / },
  { name: 'not root (cri)', args: () => ['run', '--provider', 'cri', '--cri-endpoint', 'unix:///run/containerd/containerd.sock'], options: () => ({ wrapper: NOBODY }), message: /^the cri provider needs root: it opens the runtime's CRI socket \(root's\) and reads the pods' \/proc\/<pid>\/ns links/ },
  { name: 'not root (kubeconfig --node-shell local)', args: () => ['run', '--provider', 'kubeconfig', '--node-shell', 'local'], options: () => ({ wrapper: NOBODY }), message: /^--node-shell local needs root: it runs crictl against the kubelet's runtime socket/ },
  { name: 'kubeconfig that does not parse', args: () => ['run', '--provider', 'kubeconfig', '--node-shell', 'local', '--kubeconfig', kubeconfigs['bad']!], message: /^kubeconfig .*bad-kubeconfig\.yaml cannot be used: not valid YAML/ },
  { name: 'kubeconfig that names a missing context', args: () => ['run', '--provider', 'kubeconfig', '--node-shell', 'local', '--kubeconfig', kubeconfigs['good']!, '--context', 'no-such-context'], message: /^context "no-such-context" is not in .*good-kubeconfig\.yaml: it has "ctx1"/ },
  { name: 'kubeconfig that does not exist', args: () => ['run', '--provider', 'kubeconfig', '--node-shell', 'local', '--kubeconfig', '/nonexistent/kubeconfig'], message: /^--kubeconfig \/nonexistent\/kubeconfig cannot be read: ENOENT/ },
  { name: '--runtime that the harness does not know', args: () => ['run', '--runtime', 'containerd@9.9'], message: /^--runtime containerd@9\.9 is not known: it takes containerd@1\.6, containerd@1\.7, containerd@2\.1\. Pass e\.g\. --runtime containerd@1\.6\.$/ },
  { name: '--oci-runtime that the harness does not know', args: () => ['run', '--oci-runtime', 'youki'], message: /^--oci-runtime youki is not known: it takes runc, crun\. Pass e\.g\. --oci-runtime runc\.$/ },
  {
    name: 'an archive that does not answer (no network): nothing fetched, the cache not even made',
    args: () => ['run', '--runtime', 'containerd@2.1', '--runtime-cache', runtimeCaches['absent']!, '--debian-mirror', 'http://127.0.0.1:9/debian'],
    message: /^containerd@2\.1 cannot be fetched: Debian's archive http:\/\/127\.0\.0\.1:9\/debian did not answer \(apt-get update: E: Failed to fetch http:\/\/127\.0\.0\.1:9\/debian\/dists\/sid\/InRelease .*Connection refused.*\)\. Run where .* is reachable .*or use --runtime containerd@1\.6/,
    after: async () => {
      expect(await stat(runtimeCaches['absent']!).then(() => 'exists', () => 'absent'), 'the cache folder').to.equal('absent');
    },
  },
  {
    name: 'a cached .deb that is corrupt (its sha256 is not the one recorded at fetch)',
    args: () => ['run', '--runtime', 'containerd@2.1', '--runtime-cache', runtimeCaches['corrupt']!],
    message: /^the cached \S+\/runtimes\/containerd_2\.1\.9\+ds1-5_amd64\.deb is corrupt: its sha256 is [0-9a-f]{64}, Debian's index said 2dda86ce7033fd612fc50e136679d8174ccad680eb29cd4611e0d2a1b84cf591 when it was fetched .*\. Remove it and its record \(rm /,
    after: async () => {
      expect(await readdir(path.join(runtimeCaches['corrupt']!, 'runtimes')), 'the cache as it was').to.have.members(['containerd@2.1.json', 'containerd_2.1.9+ds1-5_amd64.deb']);
    },
  },
  { name: 'upgrade without --to', args: () => ['upgrade', '--from', 'containerd@1.6'], message: /^upgrade on the embedded node needs --from and --to: / },
  { name: 'upgrade from a containerd to an OCI runtime', args: () => ['upgrade', '--from', 'containerd@1.6', '--to', 'crun'], message: /^--from containerd@1\.6 --to crun mixes a containerd and an OCI runtime: / },
  { name: 'upgrade to a runtime the harness does not know', args: () => ['upgrade', '--from', 'containerd@1.6', '--to', 'containerd@9.9'], message: /^--to containerd@9\.9 is not known: the local provider upgrades to / },
  { name: 'upgrade on a provider that cannot make one', args: () => ['upgrade', '--provider', 'kind'], message: /^provider kind cannot make an upgrade: / },
  {
    name: 'missing binaries, apt-get cannot install them',
    args: () => ['run'],
    options: () => ({ wrapper: WITHOUT_CONTAINERD }),
    message: /^missing system packages \(containerd\): the embedded node is made of them\. Install them \(there is no \/usr\/bin\/apt-get to do it\): apt-get update && apt-get install -y containerd$/,
  },
];

const STACK = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

describe('bad input: one line, exit 2, nothing changed', function () {
  this.timeout(60_000);

  before(async function () {
    scratch = tempDir('bad-input');
    fixtureDirs['yaml'] = await fixturesWith('trio.yaml', () => 'apiVersion: v1\nkind: Pod\nmetadata: {name: trio\nspec: [\n');
    fixtureDirs['notPod'] = await fixturesWith('exits.yaml', () => 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: exits\nspec:\n  containers: []\n');
    fixtureDirs['image'] = await fixturesWith('trio.yaml', (text) => text.replace('image: docker.io/library/busybox:1.36', 'image: localhost/pause-conformance/absent:1'));
    // A socket file nobody listens on: bound by a process that is then killed.
    refusingSocket = path.join(scratch, 'refuses.sock');
    await execa('node', ['-e', "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))", refusingSocket], { reject: false });
    eth0Route = await interfaceSubnet();
    runtimeCaches['absent'] = path.join(scratch, 'no-cache-yet');
    // A cache as a fetch leaves it (record + .deb), whose .deb no longer has the recorded hash.
    runtimeCaches['corrupt'] = path.join(scratch, 'corrupt-cache');
    const runtimes = path.join(runtimeCaches['corrupt'], 'runtimes');
    await mkdir(runtimes, { recursive: true });
    const deb = 'containerd_2.1.9+ds1-5_amd64.deb';
    await writeFile(path.join(runtimes, deb), 'not the bytes Debian signed\n');
    const entry = { package: 'containerd', version: '2.1.9+ds1-5', filename: `pool/main/c/containerd/${deb}`, size: 29547080, sha256: '2dda86ce7033fd612fc50e136679d8174ccad680eb29cd4611e0d2a1b84cf591' };
    await writeFile(path.join(runtimes, 'containerd@2.1.json'), JSON.stringify({ choice: 'containerd@2.1', suite: 'sid', mirror: 'http://deb.debian.org/debian', entry, deb, unpacked: 'containerd-2.1.9+ds1-5', fetchedAt: '2026-12-02T16:44:12.000Z', fetchMs: 1 }));
    kubeconfigs['bad'] = path.join(scratch, 'bad-kubeconfig.yaml');
    await writeFile(kubeconfigs['bad'], 'apiVersion: v1\nkind: Config\nclusters: [\n');
    kubeconfigs['good'] = path.join(scratch, 'good-kubeconfig.yaml');
    await writeFile(
      kubeconfigs['good'],
      'apiVersion: v1\nkind: Config\nclusters:\n- name: c1\n  cluster: {server: "https://127.0.0.1:6443"}\nusers:\n- name: u1\n  user: {token: not-used}\ncontexts:\n- name: ctx1\n  context: {cluster: c1, user: u1}\ncurrent-context: ctx1\n',
    );
  });

  after(async function () {
    await rm(scratch, { recursive: true, force: true });
  });

  for (const testCase of CASES) {
    it(testCase.name, async function () {
      if (testCase.name.includes('eth0') && !eth0Route) {
        console.log('      skipped because: this machine has no non-default route in its main table to overlap');
        this.skip();
      }
      const before = await machineState();
      const result = await runCli(testCase.args(), testCase.options?.());
      const stderrLines = result.stderr.split('\n').filter((line) => line.trim() !== '');
      const context = `stderr: ${result.stderr.trim() || '(empty)'}; stdout tail: ${result.stdout.trim().split('\n').slice(-3).join(' | ')}`;
      expect(result.exitCode, `exit code; ${context}`).to.equal(2);
      expect(stderrLines, `stderr lines; ${context}`).to.have.length(1);
      expect(stderrLines[0]).to.match(/^pause-conformance: /);
      expect(stderrLines[0]!.replace(/^pause-conformance: /, '')).to.match(testCase.message);
      expect(result.stderr + result.stdout, 'no stack trace').to.not.match(STACK);
      expect(await changesSince(before), 'left on the machine').to.deep.equal([]);
      const runId = /^pause-conformance run ([0-9a-f]{8}):/m.exec(result.stdout)?.[1];
      if (runId) expect(await residueOf(runId), `residue of run ${runId}`).to.deep.equal([]);
      await testCase.after?.();
    });
  }
});
