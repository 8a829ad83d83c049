/**
 * The kind provider's bring-up and teardown decisions, with `kind` on PATH replaced by a script
 * that replays kind v0.33.0's recorded outputs (fixtures/recorded/kind-*) and logs the argv it
 * was given. No cluster can run here, so what is checked is what the provider does with what kind
 * says: one line per failure, nothing made before the checks, the delete registered before
 * create, deletion proven by listing (kind delete exits 0 for a missing cluster), --reuse and
 * --keep. The kind-missing case runs with no kind at all.
 */
import { expect } from 'chai';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { UndoStack } from '../../lib/cleanup/undo-stack.ts';
import { EnvironmentError, UsageError } from '../../lib/errors.ts';
import { kindProvider } from '../../lib/providers/kind/kind-provider.ts';
import type { ProviderContext } from '../../lib/providers/provider.ts';
import { readOptions, type OptionValues } from '../../lib/options.ts';

type KindOptions = OptionValues<typeof kindProvider.options>;

const RECORDED = new URL('../../fixtures/recorded/', import.meta.url).pathname;

/**
 * kind, replayed. `get clusters` answers from the "clusters" file, one line per call in order:
 * none (recorded: exit 0, "No kind clusters found."), no-daemon and no-docker (recorded failures),
 * or list:NAME (kind's stdout format: one name per line). `create` fails as recorded when the
 * image cannot be pulled; `delete` answers as recorded for a cluster that is not there.
 */
const STUB = `#!/bin/bash
printf '%s\\n' "$*" >> "$STUB_DIR/calls.log"
rec="${RECORDED}"
case "$1 $2" in
  "version ") cat "$rec/kind-version.stdout.txt"; exit 0 ;;
  "get clusters")
    n=$(( $(cat "$STUB_DIR/n" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$STUB_DIR/n"
    answer=$(sed -n "\${n}p" "$STUB_DIR/clusters")
    case "$answer" in
      none) cat "$rec/kind-b-engine-no-clusters-get-clusters.stderr.txt" >&2; exit 0 ;;
      no-daemon) cat "$rec/kind-a1-cli-no-daemon-get-clusters.stderr.txt" >&2; exit 1 ;;
      no-docker) cat "$rec/kind-a2-no-docker-binary-get-clusters.stderr.txt" >&2; exit 1 ;;
      list:*) echo "\${answer#list:}"; exit 0 ;;
    esac
    echo "stub: no answer for call $n" >&2; exit 99 ;;
  "create cluster") cat "$rec/kind-b-engine-create-cluster-no-image.stderr.txt" >&2; exit 1 ;;
  "delete cluster") cat "$rec/kind-b-delete-cluster-nonexistent.stderr.txt" >&2; exit 0 ;;
esac
echo "stub: unexpected kind $*" >&2; exit 98
`;

interface Harness {
  context: ProviderContext<KindOptions>;
  said: string[];
  calls(): Promise<string[]>;
}

describe('kind provider (kind replayed from recorded outputs)', function () {
  let dir: string;
  let savedPath: string | undefined;
  let savedEngine: string | undefined;
  // Every context's undo runs after its test, with the stub still on PATH: nothing is left in /tmp.
  let undos: UndoStack[] = [];

  beforeEach(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pc-kind-stub-'));
    await writeFile(path.join(dir, 'kind'), STUB);
    await chmod(path.join(dir, 'kind'), 0o755);
    savedPath = process.env['PATH'];
    savedEngine = process.env['KIND_EXPERIMENTAL_PROVIDER'];
    process.env['PATH'] = `${dir}:/usr/bin:/bin`;
    process.env['KIND_EXPERIMENTAL_PROVIDER'] = 'docker';
    process.env['STUB_DIR'] = dir;
  });

  afterEach(async function () {
    for (const undo of undos) await undo.unwind();
    undos = [];
    process.env['PATH'] = savedPath;
    if (savedEngine === undefined) delete process.env['KIND_EXPERIMENTAL_PROVIDER'];
    else process.env['KIND_EXPERIMENTAL_PROVIDER'] = savedEngine;
    delete process.env['STUB_DIR'];
    await rm(dir, { recursive: true, force: true });
  });

  async function harness(clusters: string[], options: Partial<KindOptions> = {}): Promise<Harness> {
    await writeFile(path.join(dir, 'clusters'), `${clusters.join('\n')}\n`);
    const said: string[] = [];
    const context: ProviderContext<KindOptions> = {
      runId: '1a2b3c4d',
      common: {},
      options: { ...readOptions(kindProvider.options, {}), clusterName: 'pc-x', ...options },
      undo: new UndoStack(),
      step: (_title, work) => work(),
      say: (line) => said.push(line),
    };
    undos.push(context.undo);
    return { context, said, calls: async () => (await readFile(path.join(dir, 'calls.log'), 'utf8').catch(() => '')).split('\n').filter(Boolean) };
  }

  async function failure(promise: Promise<unknown>): Promise<Error> {
    return promise.then(
      () => expect.fail('start should have failed'),
      (error: unknown) => error as Error,
    );
  }

  it('stops in one line when the docker binary is missing, having made nothing', async function () {
    const { context, calls } = await harness(['no-docker']);
    const error = await failure(kindProvider.start(context));
    expect(error).to.be.instanceOf(EnvironmentError);
    expect(error.message).to.match(/^kind get clusters failed: kind uses docker \(KIND_EXPERIMENTAL_PROVIDER=docker\) and "docker" is not on PATH\./);
    expect(context.undo.size).to.equal(0);
    expect(await calls()).to.deep.equal(['version', 'get clusters']);
  });

  it('stops in one line when the Docker daemon is not running', async function () {
    const { context } = await harness(['no-daemon']);
    const error = await failure(kindProvider.start(context));
    expect(error.message).to.match(/^kind get clusters failed: the Docker daemon is not running \(nothing answers at unix:\/\/\/var\/run\/docker\.sock\)\. Start it/);
    expect(error.message).to.not.include('\n');
  });

  it('--reuse of a cluster that does not exist: one line, nothing created', async function () {
    const { context, calls } = await harness(['none'], { reuse: true });
    const error = await failure(kindProvider.start(context));
    expect(error.message).to.equal('kind cluster "pc-x" does not exist: --reuse runs on an existing cluster (there are: none). Create it first (kind create cluster --name pc-x) or drop --reuse.');
    expect(await calls()).to.deep.equal(['version', 'get clusters']);
  });

  it('refuses to create over an existing cluster without --reuse', async function () {
    const { context } = await harness(['list:pc-x']);
    const error = await failure(kindProvider.start(context));
    expect(error).to.be.instanceOf(UsageError);
    expect(error.message).to.match(/^kind cluster "pc-x" already exists: .*Pass --reuse to run on it, or another --cluster-name\.$/);
  });

  it('registers the delete before create, and a failed create (image pull) is one line', async function () {
    const { context, calls } = await harness(['none', 'none'], { nodeImage: 'kindest/node:v1.37.0', kindConfig: 'fixtures/kind/single-node.yaml' });
    const error = await failure(kindProvider.start(context));
    expect(error.message).to.match(/^kind create cluster --name pc-x .* failed: the node image kindest\/node:v1\.37\.0@sha256:\w+ could not be pulled \(Error response from daemon: /);
    expect(context.undo.labels).to.include('delete kind cluster pc-x');
    const create = (await calls()).find((call) => call.startsWith('create cluster'))!;
    const kubeconfig = /--kubeconfig (\S+)$/.exec(create)![1]!;
    expect(create).to.equal(`create cluster --name pc-x --image kindest/node:v1.37.0 --config ${path.resolve('fixtures/kind/single-node.yaml')} --wait 5m --kubeconfig ${kubeconfig}`);
    // kind's own kubeconfig writes go to a private file, not ~/.kube/config.
    expect(kubeconfig.startsWith(os.tmpdir())).to.equal(true);

    expect(await context.undo.unwind()).to.deep.equal([]);
    expect((await calls()).slice(-2)).to.deep.equal([`delete cluster --name pc-x --kubeconfig ${kubeconfig}`, 'get clusters']);
    expect(await stat(path.dirname(kubeconfig)).then(() => 'still there', () => 'removed')).to.equal('removed');
  });

  it('does not trust kind delete\'s exit 0: a cluster still listed afterwards is a teardown failure', async function () {
    const { context } = await harness(['none', 'list:pc-x']);
    await failure(kindProvider.start(context));
    const failures = await context.undo.unwind();
    expect(failures).to.have.length(1);
    expect(failures[0]).to.deep.include({ label: 'delete kind cluster pc-x' });
    expect(failures[0]!.error).to.match(/still listed by kind get clusters after kind delete cluster/);
  });

  it('--keep registers no delete and says how to delete it later', async function () {
    const { context, said } = await harness(['none'], { keep: true });
    await failure(kindProvider.start(context));
    expect(context.undo.labels.some((label) => label.startsWith('delete kind cluster'))).to.equal(false);
    expect(said.join('\n')).to.include('kind delete cluster --name pc-x');
  });

  it('streams kind\'s progress lines while it works', async function () {
    const { context, said } = await harness(['none', 'none']);
    await failure(kindProvider.start(context));
    expect(said).to.include('      kind: Creating cluster "x" ...');
  });

  it('refuses a bad --cluster-name and a missing --kind-config before calling kind', async function () {
    const bad = await harness(['none'], { clusterName: 'Not_Valid' });
    expect((await failure(kindProvider.start(bad.context))).message).to.match(/^--cluster-name Not_Valid is not a valid kind cluster name/);
    const missing = await harness(['none'], { kindConfig: 'fixtures/kind/no-such.yaml' });
    expect((await failure(kindProvider.start(missing.context))).message).to.match(/^--kind-config fixtures\/kind\/no-such\.yaml is not a file/);
    expect(await missing.calls()).to.deep.equal([]);
  });

  it('says how to install kind when there is no kind at all', async function () {
    process.env['PATH'] = path.join(dir, 'empty');
    const { context } = await harness([]);
    const error = await failure(kindProvider.start(context));
    expect(error.message).to.match(/^kind not found: "kind" is not on PATH\. Install kind \(https:\/\/kind\.sigs\.k8s\.io\/docs\/user\/quick-start\/#installation\)/);
  });
});
