/**
 * The probe pod's long-lived exec sessions, with no cluster: client-node's real Exec and WebSocket
 * client talk to a local stand-in of the API server's exec endpoint (helpers/kube-exec-server.ts:
 * the channel protocol as wsstream and the kubelet speak it, v5.channel.k8s.io or v4), behind which
 * the real command runs on this machine. So the session is the real `env MARKER nsenter -t PID -m
 * -u -n -i sh -s` (PID: this process, whose namespaces root may enter) and the kill of a command
 * past its deadline is the real kill script through a one-off exec. What is not real: the API
 * server and kubelet themselves (their side is written from their sources, not recorded).
 */
import { expect } from 'chai';
import { readdir } from 'node:fs/promises';
import { KubeApi } from '../../lib/kube/api.ts';
import { pollUntil } from '../../lib/wait.ts';
import { KubeExecError, openKubeExec, type KubeExecStream } from '../../lib/kube/exec.ts';
import { PROBE_CONTAINER, ProbePodShell } from '../../lib/node/shells/probe-pod-shell.ts';
import { KubeExecServer, V4, V5, type KubeExecServerOptions } from './helpers/kube-exec-server.ts';

const TARGET = { namespace: 'pc-probe', pod: 'probe-abc', container: PROBE_CONTAINER };

async function sessionDirs(): Promise<string[]> {
  return (await readdir('/tmp')).filter((name) => name.startsWith('pause-conformance-session.'));
}

/** Everything a stream exec printed, once it ended. */
async function collect(stream: KubeExecStream): Promise<{ stdout: string; stderr: string }> {
  const chunks = { stdout: [] as Buffer[], stderr: [] as Buffer[] };
  stream.stdout.on('data', (chunk: Buffer) => chunks.stdout.push(chunk));
  stream.stderr.on('data', (chunk: Buffer) => chunks.stderr.push(chunk));
  await stream.ended;
  return { stdout: Buffer.concat(chunks.stdout).toString('utf8'), stderr: Buffer.concat(chunks.stderr).toString('utf8') };
}

/** Waits for `check` with the project's bounded wait (a timeout names what was awaited). */
function until(check: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  return pollUntil(async () => (check() ? { done: true, value: undefined } : { done: false, seen: 'not yet' }), { awaited: what, timeoutMs, intervalMs: 10 });
}

describe('a Kubernetes exec with stdin kept open (openKubeExec) against a local channel-protocol server', function () {
  this.timeout(10_000);
  let server: KubeExecServer;
  afterEach(async function () {
    await server.stop();
  });

  it('v5: stdin goes as channel 0, its end is a CLOSE for channel 0, output and the exit come back', async function () {
    server = await KubeExecServer.start();
    const stream = await openKubeExec(server.kubeConfig(), TARGET, ['sh', '-c', 'cat; echo done >&2; exit 4']);
    expect(stream.protocol).to.equal(V5);
    stream.stdin.write('hello\n');
    stream.stdin.end();
    const output = collect(stream);
    expect(await stream.ended).to.deep.equal({ exitCode: 4 });
    expect(await output).to.deep.equal({ stdout: 'hello\n', stderr: 'done\n' });
    const [exec] = server.execs;
    expect(exec!.query).to.deep.include({ command: ['sh', '-c', 'cat; echo done >&2; exit 4'], container: PROBE_CONTAINER, stdin: 'true', stdout: 'true', stderr: 'true', tty: 'false' });
    expect(exec!.received.map((message) => [message.channel, message.data.toString('latin1')])).to.deep.equal([
      [0, 'hello\n'],
      [255, '\0'],
    ]);
    expect(exec!.stdinClosedBy).to.equal('close message');
  });

  it('v4 (an API server before v5): its end of stdin closes the connection; no status, and none is missing', async function () {
    server = await KubeExecServer.start({ protocols: [V4] });
    const stream = await openKubeExec(server.kubeConfig(), TARGET, ['sh', '-c', 'cat; exit 4']);
    expect(stream.protocol).to.equal(V4);
    let echoed = '';
    stream.stdout.on('data', (chunk: Buffer) => (echoed += chunk.toString('utf8')));
    stream.stdin.write('hello\n');
    await until(() => echoed === 'hello\n', 'cat echoing stdin');
    stream.stdin.end();
    expect(await stream.ended).to.deep.equal({});
    await until(() => server.running === 0, 'the command ending once its stdin closed');
    expect(server.execs[0]!.stdinClosedBy).to.equal('connection closed');
    expect(server.execs[0]!.exitCode).to.equal(4);
  });

  it('a command that is not there: the kubelet\'s Failure is the end, not an exit code', async function () {
    server = await KubeExecServer.start();
    const stream = await openKubeExec(server.kubeConfig(), TARGET, ['pause-conformance-no-such-command']);
    expect((await stream.ended).failure).to.match(/failed: InternalError: Internal error occurred: .*ENOENT/);
  });

  it('an exec with stdin refused (403): KubeExecError, the server\'s word in it', async function () {
    server = await KubeExecServer.start({ refuse: (query) => (query.get('stdin') === 'true' ? 403 : undefined) });
    let error: unknown;
    await openKubeExec(server.kubeConfig(), TARGET, ['sh', '-s']).catch((e: unknown) => (error = e));
    expect(error).to.be.instanceOf(KubeExecError);
    expect(String(error)).to.match(/could not start: .*403/);
  });
});

describe('ProbePodShell through long-lived exec sessions (real nsenter, sh -s, kill script; local API stand-in)', function () {
  this.timeout(30_000);
  let server: KubeExecServer;
  let shell: ProbePodShell;
  let dirsBefore: string[];
  const target = { pid: process.pid, process: 'node (this test)', why: 'the test enters its own namespaces' };

  before(function () {
    if (process.getuid?.() !== 0) {
      console.log('      (skipped: nsenter needs root)');
      this.skip();
    }
  });
  beforeEach(async function () {
    dirsBefore = await sessionDirs();
  });
  afterEach(async function () {
    await shell?.close();
    await server?.stop();
  });

  function open(options: KubeExecServerOptions = {}): Promise<void> {
    return KubeExecServer.start(options).then((started) => {
      server = started;
      shell = new ProbePodShell(new KubeApi(server.kubeConfig()), TARGET.namespace, TARGET.pod, target, { sessions: 6 });
    });
  }

  const sessionExecs = (): typeof server.execs => server.execs.filter((exec) => exec.query['stdin'] === 'true');
  const oneOffExecs = (): typeof server.execs => server.execs.filter((exec) => exec.query['stdin'] !== 'true');

  it('v5: exact bytes, exit codes and 127, all through one exec; side by side in at most 6; closed, no shell or temp dir left', async function () {
    await open();
    expect(await shell.run(['printf', `a\\000b 'c' "$HOME" \\n\\n%s`, 'end'])).to.deep.equal({ stdout: `a\0b 'c' "$HOME" \n\nend`, stderr: '', exitCode: 0 });
    // The bytes as a one-off exec gives them: final newlines kept.
    const exitThree = ['sh', '-c', 'echo out; echo err >&2; exit 3'];
    expect(await shell.run(exitThree)).to.deep.equal({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
    const missing = await shell.run(['pause-conformance-no-such-command', '--version']);
    expect(missing.exitCode).to.equal(127);
    expect(missing.stderr).to.match(/^sh: \d+: pause-conformance-no-such-command: not found\n$/);
    expect(server.execs, 'one exec for three commands').to.have.length(1);
    const [session] = server.execs;
    expect(session!.protocol).to.equal(V5);
    const command = session!.query['command'] as string[];
    expect(command[0]).to.equal('env');
    expect(command[1]).to.match(/^PAUSE_CONFORMANCE_EXEC=[0-9a-f-]{36}$/);
    expect(command.slice(2)).to.deep.equal(['nsenter', '-t', String(process.pid), '-m', '-u', '-n', '-i', 'sh', '-s']);
    const sideBySide = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(async (i) => (await shell.run(['sh', '-c', `sleep 0.0${i % 10}; echo ${i}`])).stdout));
    expect(sideBySide).to.deep.equal(['1\n', '2\n', '3\n', '4\n', '5\n', '6\n', '7\n', '8\n', '9\n', '10\n']);
    expect(sessionExecs().length).to.be.within(2, 6);
    expect(oneOffExecs()).to.deep.equal([]);
    expect(shell.facts).to.deep.equal({ nodeNamespacesOf: `pid ${process.pid} node (this test)`, pid1Refused: target.why, nodeCommands: 'up to 6 long-lived exec sessions' });
    expect((await sessionDirs()).length).to.equal(dirsBefore.length + sessionExecs().length);

    await shell.close();
    expect(await sessionDirs()).to.deep.equal(dirsBefore);
    await until(() => server.running === 0, 'every session shell ended');
    for (const exec of sessionExecs()) expect(exec.stdinClosedBy).to.equal('close message');
    for (const exec of sessionExecs()) expect(exec.exitCode).to.equal(0);
    expect(shell.facts['nodeCommands']).to.equal('one exec per command (closed)');
    // After close: one exec per command, as before sessions, with the same answer as the session gave.
    expect(await shell.run(exitThree)).to.deep.equal({ stdout: 'out\n', stderr: 'err\n', exitCode: 3 });
    expect(await shell.run(['echo', 'after'])).to.deep.equal({ stdout: 'after\n', stderr: '', exitCode: 0 });
    expect(oneOffExecs().map((exec) => exec.query['command'])).to.deep.include(['nsenter', '-t', String(process.pid), '-m', '-u', '-n', '-i', 'echo', 'after']);
  });

  it('past its deadline: 124, killed on the node by its marker through a one-off exec, and the session takes the next command', async function () {
    await open();
    const t0 = Date.now();
    const slow = await shell.run(['sleep', '47'], { timeoutMs: 500 });
    expect(slow.exitCode).to.equal(124);
    expect(slow.stderr).to.match(/^timed out after 500 ms; killed on the node: pid \d+$/);
    expect(Date.now() - t0).to.be.below(5_000);
    const kills = oneOffExecs();
    expect(kills).to.have.length(1);
    expect((kills[0]!.query['command'] as string[]).slice(0, 9)).to.deep.equal(['nsenter', '-t', String(process.pid), '-m', '-u', '-n', '-i', 'sh', '-c']);
    expect(await shell.run(['echo', 'next'])).to.deep.equal({ stdout: 'next\n', stderr: '', exitCode: 0 });
    expect(sessionExecs(), 'the same session').to.have.length(1);
    const sleepers = await shell.run(['sh', '-c', 'for p in /proc/[0-9]*; do tr "\\000" " " < $p/cmdline 2>/dev/null | grep -qx "sleep 47 " && echo $p; done; true']);
    expect(sleepers.stdout, 'sleep 47 still running').to.equal('');
  });

  it('v4 (no half-close): the sessions work, and close still leaves no temp dir (the trap has run before the connection closes)', async function () {
    await open({ protocols: [V4] });
    expect(await shell.run(['echo', 'over v4'])).to.deep.equal({ stdout: 'over v4\n', stderr: '', exitCode: 0 });
    expect(server.execs[0]!.protocol).to.equal(V4);
    await shell.close();
    expect(await sessionDirs()).to.deep.equal(dirsBefore);
    await until(() => server.running === 0, 'the session shell ended');
    expect(server.execs[0]!.stdinClosedBy).to.equal('connection closed');
  });

  it('exec with stdin refused: every command through one exec of its own, and the facts say why', async function () {
    await open({ refuse: (query) => (query.get('stdin') === 'true' ? 403 : undefined) });
    expect(await shell.run(['sh', '-c', 'echo out; exit 5'])).to.deep.equal({ stdout: 'out\n', stderr: '', exitCode: 5 });
    expect(await shell.run(['echo', 'again'])).to.deep.equal({ stdout: 'again\n', stderr: '', exitCode: 0 });
    expect(shell.facts['nodeCommands']).to.match(/^one exec per command \(no session in the probe pod: exec "env PAUSE_CONFORMANCE_EXEC=\S+ nsenter .* sh -s" with stdin in pc-probe\/probe-abc container probe could not start: .*403/);
    expect(oneOffExecs()).to.have.length(2);
    expect(await sessionDirs()).to.deep.equal(dirsBefore);
  });
});
