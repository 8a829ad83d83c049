/**
 * lib/kube/exec-stream-handler.ts reaches past @kubernetes/client-node's public API for one class
 * (WebSocketHandler) because the public default would end process.stdout. These checks fail
 * loudly when an upgrade of client-node moves or reshapes what that file and lib/kube/exec.ts rely
 * on: the module path, the handler keeping the streams it is given, a close-stream frame ending
 * those streams (not the harness's own), and Exec.exec's positional signature with the status
 * callback last.
 */
import { expect } from 'chai';
import { PassThrough, Readable } from 'node:stream';
import { Exec, KubeConfig } from '@kubernetes/client-node';

const WHERE = 'client-node changed what lib/kube/exec-stream-handler.ts relies on; update that file (and lib/kube/exec.ts)';

interface HandlerInternals {
  streams?: unknown;
}

describe('@kubernetes/client-node internals the exec plumbing relies on', function () {
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromOptions({ clusters: [{ name: 'c', server: 'https://127.0.0.1:1' }], users: [{ name: 'u' }], contexts: [{ name: 'x', cluster: 'c', user: 'u' }], currentContext: 'x' });

  it('WebSocketHandler is where the wrapper imports it from, and keeps the streams it is given', async function () {
    const module = await import('../../lib/kube/exec-stream-handler.ts').catch((error: unknown) => {
      throw new Error(`${WHERE}: ${error instanceof Error ? error.message : String(error)}`);
    });
    const streams = { stdin: Readable.from([]), stdout: new PassThrough(), stderr: new PassThrough() };
    const handler = module.execStreamHandler(kubeConfig, streams) as unknown as HandlerInternals;
    expect(handler.streams, `${WHERE}: the handler no longer keeps its streams as .streams`).to.equal(streams);
  });

  it("a close-stream frame ends the handler's own streams, not process.stdout", async function () {
    const { WebSocketHandler } = await import('@kubernetes/client-node/dist/web-socket-handler.js');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    expect(WebSocketHandler.StdoutStream, WHERE).to.equal(1);
    expect(WebSocketHandler.StderrStream, WHERE).to.equal(2);
    WebSocketHandler.closeStream(WebSocketHandler.StdoutStream, { stdin: Readable.from([]), stdout, stderr });
    expect(stdout.writableEnded, `${WHERE}: closeStream(stdout) did not end the given stdout`).to.equal(true);
    expect(stderr.writableEnded, WHERE).to.equal(false);
    expect(process.stdout.writableEnded, WHERE).to.equal(false);
  });

  it('Exec takes that handler, and exec keeps its positional signature, status callback last', async function () {
    const { execStreamHandler } = await import('../../lib/kube/exec-stream-handler.ts');
    const exec = new Exec(kubeConfig, execStreamHandler(kubeConfig, { stdin: Readable.from([]), stdout: new PassThrough(), stderr: new PassThrough() }));
    expect(exec).to.be.instanceOf(Exec);
    expect(Exec.prototype.exec.length, `${WHERE}: Exec.exec(namespace, pod, container, command, stdout, stderr, stdin, tty, statusCallback)`).to.equal(9);
  });

  it('cuts a watch after 30 s of silence, not 30 s after it started (2.0.1, #3022), as lib/kube/watch-until.ts says', async function () {
    const { createRequire } = await import('node:module');
    const { readFile } = await import('node:fs/promises');
    const require = createRequire(import.meta.url);
    const manifest = require.resolve('@kubernetes/client-node/package.json');
    const { version } = JSON.parse(await readFile(manifest, 'utf8')) as { version: string };
    const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
    expect(major * 1e6 + minor * 1e3 + patch, `client-node ${version}: 2.0.0 aborts every watch after 30 s (#3020)`).to.be.at.least(2_000_001);
    // 2.0.1's dist/watch.js re-arms its timer on every chunk of the body (body.on('data', resetTimer)).
    const watch = await readFile(manifest.replace(/package\.json$/, 'dist/watch.js'), 'utf8');
    expect(watch, 'client-node no longer re-arms the watch timer on data: re-read its watch timeout and fix the comment in watch-until.ts').to.match(/\.on\('data', resetTimer\)/);
  });
});
