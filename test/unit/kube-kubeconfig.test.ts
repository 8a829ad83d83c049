/**
 * Loading a kubeconfig and reaching its API server: every way it goes wrong is one line that
 * names the file, context or server and never quotes credentials. The files are written here;
 * the API server check talks to a real closed loopback port (nothing mocked).
 */
import { expect } from 'chai';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EnvironmentError, UsageError } from '../../lib/errors.ts';
import { checkApiServer, kubeconfigYamlProblem, loadKubeConfig, printableServer } from '../../lib/kube/kubeconfig.ts';

const SECRET = 'sha256~do-not-print-this-token';

function kubeconfig(server: string, extra = ''): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: c1
  cluster:
    server: ${server}
contexts:
- name: ctx1
  context: {cluster: c1, user: u1}
- name: ctx2
  context: {cluster: c1, user: u1, namespace: other}
users:
- name: u1
  user: {token: ${SECRET}}
current-context: ctx1
${extra}`;
}

/** A loopback port with nothing listening: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function thrown(work: () => unknown): Error {
  try {
    work();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected a failure');
}

describe('kubeconfig loading and the API server check', function () {
  let dir: string;
  const file = (name: string): string => path.join(dir, name);

  before(async function () {
    dir = await mkdtemp(path.join(os.tmpdir(), 'pc-kubeconfig-'));
  });

  after(async function () {
    await rm(dir, { recursive: true, force: true });
  });

  it('loads the current context, or the one --context names', async function () {
    await writeFile(file('ok.yaml'), kubeconfig('https://user:pw@10.0.0.1:6443/'));
    const loaded = loadKubeConfig({ kubeconfig: file('ok.yaml') });
    expect(loaded).to.deep.include({ contextName: 'ctx1', clusterName: 'c1', server: 'https://10.0.0.1:6443', source: file('ok.yaml') });
    expect(loadKubeConfig({ kubeconfig: file('ok.yaml'), context: 'ctx2' }).contextName).to.equal('ctx2');
  });

  it('takes $KUBECONFIG when --kubeconfig is not given', async function () {
    await writeFile(file('env.yaml'), kubeconfig('https://10.0.0.2:6443'));
    const loaded = loadKubeConfig({}, { KUBECONFIG: file('env.yaml') });
    expect(loaded.server).to.equal('https://10.0.0.2:6443');
    expect(loaded.source).to.equal(`$KUBECONFIG (${file('env.yaml')})`);
  });

  describe('$KUBECONFIG with several files, merged as kubectl does (client-go clientcmd loader)', function () {
    // Two files that share the cluster and user names, each with its own current-context.
    const shared = (letter: string, current: string): string => `apiVersion: v1
kind: Config
clusters:
- name: shared
  cluster: {server: https://${letter}.example:6443}
contexts:
- name: ${letter}
  context: {cluster: shared, user: u}
users:
- name: u
  user: {token: token-${letter}}
${current ? `current-context: ${current}\n` : ''}`;

    it('keeps the first file\'s current-context and its value of a shared name, skips a missing file', async function () {
      await writeFile(file('a.yaml'), shared('a', 'a'));
      await writeFile(file('b.yaml'), shared('b', 'b'));
      const loaded = loadKubeConfig({}, { KUBECONFIG: [file('a.yaml'), file('missing.yaml'), file('b.yaml')].join(path.delimiter) });
      expect(loaded).to.deep.include({ contextName: 'a', clusterName: 'shared', server: 'https://a.example:6443' });
      expect(loaded.kubeConfig.getContexts().map((context) => context.name)).to.deep.equal(['a', 'b']);
      expect(loaded.kubeConfig.getUsers().map((user) => user.token)).to.deep.equal(['token-a']);
      expect(loaded.source).to.include(`skipped, missing: ${file('missing.yaml')}`);
      // --context b still reaches the second file's context, on the first file's cluster of that name.
      expect(loadKubeConfig({ context: 'b' }, { KUBECONFIG: [file('a.yaml'), file('b.yaml')].join(path.delimiter) }).server).to.equal('https://a.example:6443');
    });

    it('takes current-context from the first file that sets one', async function () {
      await writeFile(file('a0.yaml'), shared('a', ''));
      await writeFile(file('b.yaml'), shared('b', 'b'));
      expect(loadKubeConfig({}, { KUBECONFIG: [file('a0.yaml'), file('b.yaml')].join(path.delimiter) }).contextName).to.equal('b');
    });

    it('says in one line that every file is missing', function () {
      const error = thrown(() => loadKubeConfig({}, { KUBECONFIG: [file('none1.yaml'), file('none2.yaml')].join(path.delimiter) }));
      expect(error).to.be.instanceOf(UsageError);
      expect(error.message).to.equal(`no kubeconfig: $KUBECONFIG names only files that do not exist (${file('none1.yaml')}, ${file('none2.yaml')}). Set KUBECONFIG to existing files, or pass --kubeconfig FILE.`);
    });
  });

  it('says in one line which file cannot be read, is not YAML, is empty or lacks fields', async function () {
    await writeFile(file('bad.yaml'), `clusters: [\n  - a: b: c\n token: ${SECRET}\n`);
    await writeFile(file('empty.yaml'), '');
    await writeFile(file('list.yaml'), '- a\n- b\n');
    await writeFile(file('noserver.yaml'), kubeconfig('https://x').replace('    server: https://x\n', '    insecure-skip-tls-verify: true\n'));
    const cases: [string, RegExp][] = [
      [file('missing.yaml'), /^--kubeconfig .*missing\.yaml cannot be read: ENOENT\. /],
      [file('bad.yaml'), /^kubeconfig .*bad\.yaml cannot be used: not valid YAML \([A-Z_]+ at line 2, column \d+\)\. /],
      [file('empty.yaml'), /cannot be used: the file is empty\. /],
      [file('list.yaml'), /cannot be used: not a YAML mapping/],
      [file('noserver.yaml'), /cannot be used: clusters\[0\]\.cluster\.server is missing\. /],
    ];
    for (const [path, expected] of cases) {
      const error = thrown(() => loadKubeConfig({ kubeconfig: path }));
      expect(error, path).to.be.instanceOf(UsageError);
      expect(error.message, path).to.match(expected);
      expect(error.message.split('\n'), path).to.have.length(1);
      expect(error.message, 'never quotes the file').to.not.include(SECRET);
    }
  });

  it('names the contexts there are when --context is wrong or current-context is unset', async function () {
    await writeFile(file('ok2.yaml'), kubeconfig('https://10.0.0.1:6443'));
    expect(thrown(() => loadKubeConfig({ kubeconfig: file('ok2.yaml'), context: 'nope' })).message).to.match(/^context "nope" is not in .*ok2\.yaml: it has "ctx1", "ctx2"\. Pass one of them with --context\.$/);
    await writeFile(file('nocurrent.yaml'), kubeconfig('https://10.0.0.1:6443').replace('current-context: ctx1\n', ''));
    expect(thrown(() => loadKubeConfig({ kubeconfig: file('nocurrent.yaml') })).message).to.match(/has no usable current-context: it has "ctx1", "ctx2"\. Pass --context NAME\.$/);
  });

  it('checks the YAML without quoting it', function () {
    expect(kubeconfigYamlProblem('a: 1\n')).to.equal(undefined);
    expect(kubeconfigYamlProblem(`key: [${SECRET}`)).to.match(/^not valid YAML \(/).and.not.include(SECRET);
  });

  it('prints the server without userinfo', function () {
    expect(printableServer('https://admin:s3cret@api.example:6443/')).to.equal('https://api.example:6443');
    expect(printableServer('not a url')).to.equal('(unparsable server URL)');
  });

  it('an API server that is not there is one EnvironmentError line with the socket error', async function () {
    const port = await closedPort();
    await writeFile(file('closed.yaml'), kubeconfig(`https://127.0.0.1:${port}`));
    const loaded = loadKubeConfig({ kubeconfig: file('closed.yaml') });
    let caught: unknown;
    await checkApiServer(loaded, 5000).catch((error: unknown) => (caught = error));
    expect(caught).to.be.instanceOf(EnvironmentError);
    const message = (caught as Error).message;
    expect(message).to.match(new RegExp(`^Kubernetes API server https://127\\.0\\.0\\.1:${port} \\(context "ctx1" in .*closed\\.yaml\\) is unreachable: .*ECONNREFUSED.*\\. Check the cluster is running`));
    expect(message.split('\n')).to.have.length(1);
    expect(message).to.not.include(SECRET);
  });
});
