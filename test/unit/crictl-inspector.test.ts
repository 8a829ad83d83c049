/**
 * CrictlInspector: the crictl command lines it runs and what it makes of their answers. The node
 * shell here replays outputs recorded from a real crictl 1.36 / containerd 1.6.20 node
 * (fixtures/recorded), keyed by the exact argv, so a command line that differs from the recorded
 * one fails the test instead of being answered.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { CrictlError, CrictlInspector } from '../../lib/node/crictl-inspector.ts';
import type { NodeShell, ShellResult } from '../../lib/node/node-shell.ts';
import { EnvironmentError } from '../../lib/errors.ts';

const recorded = (name: string): string => readFileSync(new URL(`../../fixtures/recorded/${name}`, import.meta.url), 'utf8');

const TRIO_SANDBOX_0 = '5989c68113b61441361f247db60d514e6b210bb087b4d917fcc3460b51a1c33e';
const ALPHA = 'cfab259b82ed529d327ab57a17dda43f1a2160c13ad4ec6cd831cc9844953538';
const ENDPOINT = 'unix:///var/lib/pc-node/containerd.sock';

class ReplayShell implements NodeShell {
  readonly describe = 'replay';
  readonly calls: string[] = [];
  private readonly answers: Map<string, ShellResult>;
  constructor(answers: Record<string, ShellResult>) {
    this.answers = new Map(Object.entries(answers));
  }
  async run(argv: string[]): Promise<ShellResult> {
    const key = argv.join(' ');
    this.calls.push(key);
    const answer = this.answers.get(key);
    if (!answer) throw new Error(`no recording for: ${key}`);
    return answer;
  }
}

const ok = (file: string): ShellResult => ({ stdout: recorded(file), stderr: '', exitCode: 0 });
const failed = (stem: string): ShellResult => ({ stdout: '', stderr: recorded(`${stem}.stderr.txt`), exitCode: Number(recorded(`${stem}.exitcode.txt`).trim()) });
/** The recorded commands' prefix: `C` in shared/recorded/README.md, plus the inspector's --timeout. */
const C = `crictl --runtime-endpoint ${ENDPOINT} --image-endpoint ${ENDPOINT} --timeout 10s`;

describe('CrictlInspector (crictl command lines, recorded answers)', function () {
  it('runs `crictl inspectp -o json ID` for a sandbox and reads pause pid, netns and IP', async function () {
    const shell = new ReplayShell({ [`${C} inspectp -o json ${TRIO_SANDBOX_0}`]: ok('crictl-inspectp-trio.json') });
    const facts = await new CrictlInspector(shell, { endpoint: ENDPOINT }).sandbox(TRIO_SANDBOX_0);
    expect(facts).to.include({ id: TRIO_SANDBOX_0, state: 'ready', pausePid: 20240, ip: '10.244.77.17' });
    expect(shell.calls).to.deep.equal([`${C} inspectp -o json ${TRIO_SANDBOX_0}`]);
  });

  it('reads the replacement sandbox the kubelet made after pause died (attempt 1, new pause and IP)', async function () {
    const id = '36aafaac2374891ef4fd254a7873eb0c7a82f4584c917f8901d127029f7aa358';
    const shell = new ReplayShell({ [`${C} inspectp -o json ${id}`]: ok('3a-after-crictl-inspectp-new-sandbox.json') });
    expect(await new CrictlInspector(shell, { endpoint: ENDPOINT }).sandbox(id)).to.include({ id, state: 'ready', attempt: 1, pausePid: 21819, ip: '10.244.77.19' });
  });

  it("reports a sandbox the runtime no longer knows (NotFound, exit 1) as 'gone'", async function () {
    const shell = new ReplayShell({ [`${C} inspectp -o json 0123456789ab`]: failed('err-crictl-inspectp-unknown-id') });
    expect(await new CrictlInspector(shell, { endpoint: ENDPOINT }).sandbox('0123456789ab')).to.deep.equal({ id: '0123456789ab', state: 'gone', attempt: 0, labels: {} });
  });

  it('runs `crictl inspect -o json ID` for a container', async function () {
    const shell = new ReplayShell({ [`${C} inspect -o json ${ALPHA}`]: ok('crictl-inspect-trio-alpha.json') });
    expect(await new CrictlInspector(shell, { endpoint: ENDPOINT }).container(ALPHA)).to.include({ state: 'running', pid: 20314, sandboxId: TRIO_SANDBOX_0 });
  });

  it('lists sandboxes by CRI label with `crictl pods --label k=v -o json`', async function () {
    const shell = new ReplayShell({ [`${C} pods --label io.kubernetes.pod.name=trio -o json`]: ok('crictl-pods-label-trio.json') });
    const listed = await new CrictlInspector(shell, { endpoint: ENDPOINT }).listPodSandboxes({ 'io.kubernetes.pod.name': 'trio' });
    expect(listed.map((s) => s.id)).to.deep.equal([TRIO_SANDBOX_0]);
  });

  it("lists a sandbox's containers with `crictl ps -a --pod ID -o json`", async function () {
    const shell = new ReplayShell({ [`${C} ps -a --pod ${TRIO_SANDBOX_0} -o json`]: ok('3a-before-crictl-ps-trio.json') });
    const listed = await new CrictlInspector(shell, { endpoint: ENDPOINT }).listContainers(['--pod', TRIO_SANDBOX_0]);
    expect(listed.map((c) => c.name).sort()).to.deep.equal(['alpha', 'beta', 'gamma']);
  });

  it('reads runtime name, version, the configured sandbox image and its id from `crictl version`, `crictl info` and `crictl images`', async function () {
    // The real node showed "(id unknown)" although crictl knew the id: now it is read from the image list.
    const shell = new ReplayShell({ [`${C} version`]: ok('crictl-version.txt'), [`${C} info -o json`]: ok('crictl-info.json'), [`${C} images -o json`]: ok('crictl-images.json') });
    expect(await new CrictlInspector(shell, { endpoint: ENDPOINT }).runtimeFacts()).to.deep.equal({
      runtimeName: 'containerd',
      runtimeVersion: '1.6.20~ds1',
      runtimeApiVersion: 'v1',
      ipamDirs: ['/var/lib/pc-node/cni-state/probe'],
      sandboxImage: 'localhost/pause:catatonit',
      sandboxImageSource: 'crictl info: config.sandboxImage',
      sandboxImageId: 'sha256:9f5329699b88427d4f8a81dd9f370fe41f49b7f1acf0a55f7ce07ce1cb9272ac',
      sandboxImageIdSource: `${C} images -o json`,
    });
  });

  it("containerd 2.1.9 (real node's crictl info, no config.sandboxImage): the one pinned image and its id", async function () {
    // The image list as containerd 2.1.9 answers ListImages (crictl images -o json prints the same fields).
    const shell = new ReplayShell({
      [`${C} version`]: ok('crictl-version.txt'),
      [`${C} info -o json`]: ok('crictl-info-containerd-2.1.9.json'),
      [`${C} images -o json`]: ok('containerd-2.1.9-cri-list-images.json'),
    });
    const facts = await new CrictlInspector(shell, { endpoint: ENDPOINT }).runtimeFacts();
    expect(facts).to.deep.include({
      sandboxImage: 'localhost/pause-conformance/pause:catatonit',
      sandboxImageSource: `the runtime's one pinned image (${C} images -o json)`,
      sandboxImageId: 'sha256:af2deff36e5822c72cf89dec3682c79ad1c36b2f41dadbfa0f39ffd26d19dbe0',
      ipamDirs: ['/var/lib/cni/node-networks/node'],
    });
  });

  it("falls back to the running sandboxes' image when neither the status nor a pinned image names it", async function () {
    const info = JSON.parse(recorded('crictl-info.json')) as { config: Record<string, unknown> };
    delete info.config['sandboxImage'];
    const shell = new ReplayShell({
      [`${C} version`]: ok('crictl-version.txt'),
      [`${C} info -o json`]: { stdout: JSON.stringify(info), stderr: '', exitCode: 0 },
      [`${C} images -o json`]: ok('crictl-images.json'),
      // A node without a containerd binary of its own: the shell's "not found".
      'containerd config dump': { stdout: '', stderr: '', exitCode: 127 },
      [`${C} pods -o json`]: ok('crictl-pods-label-trio.json'),
      [`${C} inspectp -o json ${TRIO_SANDBOX_0}`]: ok('crictl-inspectp-trio.json'),
    });
    const facts = await new CrictlInspector(shell, { endpoint: ENDPOINT }).runtimeFacts();
    expect(facts).to.deep.include({
      sandboxImage: 'localhost/pause:catatonit',
      sandboxImageSource: 'the image of the running sandboxes (crictl inspectp)',
      sandboxImageId: 'sha256:9f5329699b88427d4f8a81dd9f370fe41f49b7f1acf0a55f7ce07ce1cb9272ac',
    });
  });

  it('uses crictl\'s own configuration when no endpoint is given', async function () {
    const shell = new ReplayShell({ 'crictl --timeout 10s version': ok('crictl-version.txt') });
    await new CrictlInspector(shell).checkReachable();
    expect(shell.calls).to.deep.equal(['crictl --timeout 10s version']);
  });

  it('fails in one line, naming the command and the endpoint, when the runtime cannot be reached', async function () {
    const shell = new ReplayShell({ [`${C} version`]: failed('err-crictl-pods-no-socket') });
    const inspector = new CrictlInspector(shell, { endpoint: ENDPOINT });
    let caught: unknown;
    await inspector.checkReachable().catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(EnvironmentError);
    const message = (caught as Error).message;
    expect(message.split('\n')).to.have.length(1);
    expect(message).to.match(/^crictl cannot reach the node's runtime \(replay crictl --runtime-endpoint .* version\): exit 1: validate service connection: .*--cri-endpoint/);
    // Other calls surface the same failure as a CrictlError rather than a wrong "gone".
    const other = new CrictlInspector(new ReplayShell({ [`${C} inspectp -o json x`]: failed('err-crictl-pods-no-socket') }), { endpoint: ENDPOINT });
    await other.sandbox('x').then(
      () => expect.fail('an unreachable runtime is not a gone sandbox'),
      (error: unknown) => expect(error).to.be.instanceOf(CrictlError).with.property('kind', 'unavailable'),
    );
  });

  it('says crictl is missing when the shell cannot find it (exit 127, nothing logged)', async function () {
    const shell = new ReplayShell({ 'crictl --timeout 10s version': { stdout: '', stderr: '', exitCode: 127 } });
    await new CrictlInspector(shell).checkReachable().then(
      () => expect.fail('expected a failure'),
      (error: unknown) => expect((error as Error).message).to.match(/crictl not found on the node\. Install crictl/),
    );
  });
});
