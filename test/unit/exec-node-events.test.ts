/**
 * NodeEvents over one exec into a node (lib/node/exec-node-events.ts), without a container: the
 * "engine" is a script that runs the node's script right here (`<engine> exec -i --privileged
 * <node> sh -c SCRIPT ...` -> `sh -c SCRIPT ...`) with a PATH holding only the tools the script
 * says it relies on, and a fake `ctr` and `ip` (bash, so /proc shows them as ctr and ip) that each
 * hold a loopback socket to this test, print what the test sends them, and end when the test
 * closes it (as ctr does when containerd restarts). The line parser runs on real `ctr events`
 * lines (fixtures/recorded/ctr-events-node-container.txt, recorded in the test node container).
 */
import { expect } from 'chai';
import { execa, execaSync } from 'execa';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCtrEventLine } from '../../lib/node/ctr-parsers.ts';
import { startExecNodeEvents } from '../../lib/node/exec-node-events.ts';
import type { Change, NodeEvents } from '../../lib/node/node-events.ts';
import { pollUntil } from '../../lib/wait.ts';

const RECORDED = fileURLToPath(new URL('../../fixtures/recorded/', import.meta.url));
const CTR_LINES = readFileSync(path.join(RECORDED, 'ctr-events-node-container.txt'), 'utf8').split('\n').filter(Boolean);
const IP_LINES = readFileSync(path.join(RECORDED, 'ip-monitor-link-node-container.txt'), 'utf8').split('\n').filter(Boolean);

describe('ctr events lines (parseCtrEventLine, on lines recorded in the test node container)', function () {
  it('reads a task exit: namespace, topic, container_id, the exited process and the ns publish time', function () {
    const exit = parseCtrEventLine(CTR_LINES[2]!);
    expect(exit).to.deep.equal({
      publishedAtMs: Date.parse('2026-12-03T10:25:04.849Z') + 0.782447,
      namespace: 'k8s.io',
      topic: '/tasks/exit',
      containerId: 'b64843a17211b5f15caf26e47b6367bdcd1b4bdac94beecadc331495c12b0849',
      processId: 'a4e3bc702ac6801e8107a4857a46833e571cb59fc7623b711cdfde7fc672d0fc',
    });
  });

  it('reads a time whose ns digits ctr printed fewer of (trailing zeros dropped), and an exec by its exec_id', function () {
    const started = parseCtrEventLine(CTR_LINES[9]!);
    expect(started?.topic).to.equal('/tasks/exec-started');
    expect(started?.publishedAtMs).to.be.closeTo(Date.parse('2026-12-03T10:25:05.317Z') + 0.69917, 1e-6);
    expect(started?.processId).to.equal('9f94d8407f32a3de99039d1dccddd52d23a2a25350a8f0d71210256b19ccf452');
  });

  it('reads every /tasks/* line of the recording, and nothing else: /containers/*, /snapshot/* and ctr\'s own error carry no task', function () {
    const parsed = CTR_LINES.map((line) => ({ line, event: parseCtrEventLine(line) }));
    for (const { line, event } of parsed) {
      if (/ \/tasks\//.test(line)) expect(event?.containerId, line).to.match(/^[0-9a-f]{64}$/);
      else expect(event, line).to.equal(undefined);
    }
    const deletes = parsed.filter(({ event }) => event?.topic === '/tasks/delete').map(({ event }) => event!.containerId.slice(0, 12));
    expect(deletes).to.deep.equal(['406df2aa0a91', '299889fa3884', 'b64843a17211', '7cf2fe4d011d']);
    expect(CTR_LINES.at(-1)).to.equal('ctr: rpc error: code = Unavailable desc = transport is closing');
  });
});

/** A loopback server the fake ctr and ip connect to: this test's handle on each of them. */
class FakeNode {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'pc-exec-events-'));
  readonly bin = path.join(this.dir, 'bin');
  readonly engine = path.join(this.dir, 'engine');
  private readonly server: Server = createServer((socket) => this.accepted(socket));
  /** Each connection by what its fake said first: "ctr --address ... events ..." or "ip -o monitor link". */
  readonly connections: { hello: string; socket: Socket; closed: boolean }[] = [];
  private waiting: (() => void)[] = [];

  async start(options: { withCtr: boolean }): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const port = (this.server.address() as { port: number }).port;
    mkdirSync(this.bin);
    // The tools the script relies on in a node (exec-node-events.ts's header), and nothing else.
    for (const tool of ['mktemp', 'mkfifo', 'sed', 'cat', 'readlink', 'sleep', 'rm']) symlinkSync(execaSync('sh', ['-c', `command -v ${tool}`]).stdout, path.join(this.bin, tool));
    const fake = (name: string, onEnd: string): string =>
      [
        '#!/bin/bash',
        `exec 3<>/dev/tcp/127.0.0.1/${port} || exit 1`,
        `printf '%s\\n' "${name} $*" >&3`,
        'while IFS= read -r line <&3; do printf "%s\\n" "$line"; done',
        onEnd,
        '',
      ].join('\n');
    if (options.withCtr) writeFileSync(path.join(this.bin, 'ctr'), fake('ctr', 'echo "ctr: rpc error: code = Unavailable desc = transport is closing" >&2; exit 1'));
    writeFileSync(path.join(this.bin, 'ip'), fake('ip', 'exit 0'));
    // `<engine> exec -i --privileged <node> sh -c SCRIPT sh SOCKET FILTER`: the node is here, its sh /bin/sh.
    writeFileSync(this.engine, `#!/bin/sh\n[ "$1 $2 $3" = "exec -i --privileged" ] || { echo "unexpected: $*" >&2; exit 2; }\n[ "$5" = sh ] || { echo "unexpected: $*" >&2; exit 2; }\nshift 5\nPATH=${this.bin} exec /bin/sh "$@"\n`);
    for (const file of ['ctr', 'ip', 'engine']) if (file !== 'ctr' || options.withCtr) chmodSync(file === 'engine' ? this.engine : path.join(this.bin, file), 0o755);
  }

  private accepted(socket: Socket): void {
    let hello = '';
    const onData = (chunk: Buffer): void => {
      hello += chunk.toString('utf8');
      if (!hello.includes('\n')) return;
      socket.off('data', onData);
      const entry = { hello: hello.trim(), socket, closed: false };
      socket.on('close', () => (entry.closed = true));
      socket.on('error', () => undefined);
      this.connections.push(entry);
      for (const wake of this.waiting.splice(0)) wake();
    };
    socket.on('data', onData);
  }

  live(name: 'ctr' | 'ip'): { hello: string; socket: Socket; closed: boolean } | undefined {
    return this.connections.filter((c) => c.hello.startsWith(`${name} `) && !c.closed).at(-1);
  }

  /** Processes running the fakes (their args carry this test's bin dir). */
  async fakesRunning(): Promise<string[]> {
    const ps = await execa('ps', ['-eo', 'pid,args'], { reject: false });
    return String(ps.stdout).split('\n').filter((line) => line.includes(this.bin));
  }

  async stop(): Promise<void> {
    for (const c of this.connections) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const within = <T>(awaited: string, probe: () => T | undefined, timeoutMs = 10_000): Promise<T> =>
  pollUntil(async () => {
    const value = probe();
    return value === undefined ? { done: false, seen: 'not yet' } : { done: true, value };
  }, { awaited, timeoutMs, intervalMs: 20 });

describe('NodeEvents over one exec into the node (startExecNodeEvents, on fake ctr and ip)', function () {
  this.timeout(30_000);
  let fake: FakeNode;
  let events: NodeEvents | undefined;

  afterEach(async function () {
    await events?.close();
    events = undefined;
    await fake.stop();
  });

  it('starts both sources before it resolves, and tells task and link changes of the followed keys only', async function () {
    fake = new FakeNode();
    await fake.start({ withCtr: true });
    events = await startExecNodeEvents({ engine: fake.engine, container: 'kind-worker' });
    // Started means running and holding a socket: what each said first may still be on its way.
    await within('both fakes connected', () => (fake.live('ctr') && fake.live('ip') ? true : undefined));
    expect(fake.live('ctr')?.hello).to.equal('ctr --address /run/containerd/containerd.sock events namespace==k8s.io,topic~="^/tasks/"');
    expect(fake.live('ip')?.hello).to.equal('ip -o monitor link');
    const sources = events.sources();
    expect(sources.task).to.deep.equal({ source: `ctr events in the node (${fake.engine} exec into kind-worker, /run/containerd/containerd.sock, /tasks/* of k8s.io)` });
    expect(sources.link).to.deep.equal({ source: `ip -o monitor link in the node (${fake.engine} exec into kind-worker)` });
    expect(events.whyNot({ kind: 'path', path: '/var/run/netns/cni-1' })).to.equal(`no inotify in the node: kind-worker is reached through ${fake.engine} exec`);
    expect(events.whyNot({ kind: 'task', id: 'x' })).to.equal(undefined);

    const seen: Change[] = [];
    const stop = events.follow([{ kind: 'task', id: 'b64843a17211b5f15caf26e47b6367bdcd1b4bdac94beecadc331495c12b0849' }, { kind: 'link', ifindex: 5 }], (change) => seen.push(change));
    // Lines of other containers, /containers/* events and links other than 5 reach nobody.
    fake.live('ctr')!.socket.write(`${CTR_LINES.slice(0, 30).join('\n')}\n`);
    fake.live('ip')!.socket.write(`${IP_LINES.join('\n')}\n`);
    await within('the followed changes', () => (seen.filter((c) => c.key.kind === 'link').length === 5 && seen.some((c) => c.source === 'containerd event /tasks/delete') ? true : undefined));
    expect(seen.filter((c) => c.key.kind === 'task').map((c) => c.source)).to.deep.equal([
      'containerd event /tasks/exec-added', 'containerd event /tasks/exec-started', 'containerd event /tasks/exit',
      'containerd event /tasks/exec-added', 'containerd event /tasks/exec-started', 'containerd event /tasks/exit',
      'containerd event /tasks/exec-added', 'containerd event /tasks/exec-started', 'containerd event /tasks/exit',
      'containerd event /tasks/exit', 'containerd event /tasks/delete',
    ]);
    // Every line of ifindex 5 is a change (three changes, then "Deleted" twice); the bridge's and ifindex 6's reach nobody.
    expect(seen.filter((c) => c.key.kind === 'link').map((c) => c.source)).to.deep.equal(Array(5).fill('ip monitor'));
    stop();
  });

  it('starts ctr events again when it ends (containerd restarted), saying meanwhile why there is none', async function () {
    fake = new FakeNode();
    await fake.start({ withCtr: true });
    events = await startExecNodeEvents({ engine: fake.engine, container: 'kind-worker', containerdSocket: '/run/k3s/containerd/containerd.sock', containerdNamespace: 'k8s.io' });
    const first = await within('ctr connected', () => fake.live('ctr'));
    expect(first.hello).to.match(/^ctr --address \/run\/k3s\/containerd\/containerd.sock events /);
    first.socket.destroy();
    const why = await within('task source none', () => { const t = events!.sources().task; return 'none' in t ? t.none : undefined; });
    expect(why).to.match(/^ctr events in the node ended \(exit 1: ctr: rpc error: code = Unavailable desc = transport is closing\); starting it again in 200 ms$/);
    expect(events.whyNot({ kind: 'task', id: 'x' })).to.equal(why);
    const second = await within('a new ctr events', () => (fake.live('ctr') !== first ? fake.live('ctr') : undefined));
    await within('task source live again', () => ('source' in events!.sources().task ? true : undefined));
    const seen: Change[] = [];
    events.follow([{ kind: 'task', id: '7cf2fe4d011d87eb8f439e49160b4482d786545ae5867b950f1b946167f3bdac' }], (change) => seen.push(change));
    second.socket.write(`${CTR_LINES[22]}\n`);
    await within('the delete after the restart', () => seen[0]);
    expect(seen[0]!.source).to.equal('containerd event /tasks/delete');
    expect('source' in events.sources().link, 'ip monitor went on').to.equal(true);
  });

  it('says ctr is not in the node (exit 127, what sh said) and polls tasks, while links are still told', async function () {
    fake = new FakeNode();
    await fake.start({ withCtr: false });
    events = await startExecNodeEvents({ engine: fake.engine, container: 'kind-worker' });
    const why = await within('task source none for good', () => { const t = events!.sources().task; return 'none' in t && /exit 127/.test(t.none) ? t.none : undefined; });
    expect(why).to.match(/^ctr is not in the node kind-worker \(exit 127: sh: \d+: ctr: not found\)$/);
    expect(events.sources().link).to.have.property('source');
  });

  it('leaves nothing running when closed: stdin ends, the script kills ctr and ip and removes its fifos', async function () {
    fake = new FakeNode();
    await fake.start({ withCtr: true });
    const listTemp = async (): Promise<string[]> => (await execa('sh', ['-c', 'ls -d /tmp/pause-conformance-events.* 2>/dev/null || true'])).stdout.split('\n').filter(Boolean);
    const before = await listTemp();
    events = await startExecNodeEvents({ engine: fake.engine, container: 'kind-worker' });
    expect(await fake.fakesRunning()).to.have.length(2);
    const mine = (await listTemp()).filter((dir) => !before.includes(dir));
    expect(mine, 'the script\'s fifo dir').to.have.length(1);
    await events.close();
    events = undefined;
    expect(await fake.fakesRunning()).to.deep.equal([]);
    await within('both fakes\' sockets closed', () => (fake.connections.every((c) => c.closed) ? true : undefined));
    expect((await listTemp()).filter((dir) => mine.includes(dir))).to.deep.equal([]);
  });

  it('leaves nothing running when the process that started it is SIGKILLed', async function () {
    fake = new FakeNode();
    await fake.start({ withCtr: true });
    const module = fileURLToPath(new URL('../../lib/node/exec-node-events.ts', import.meta.url));
    const owner = execa(process.execPath, ['--input-type=module', '-e', `const { startExecNodeEvents } = await import(${JSON.stringify(module)}); await startExecNodeEvents({ engine: ${JSON.stringify(fake.engine)}, container: 'kind-worker' }); console.log('started'); setInterval(() => {}, 1000);`], { reject: false, buffer: false, stdout: 'pipe' });
    await new Promise<void>((resolve) => owner.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('started') && resolve()));
    expect(await fake.fakesRunning()).to.have.length(2);
    owner.kill('SIGKILL');
    await owner;
    await pollUntil(async () => {
      const left = await fake.fakesRunning();
      return left.length === 0 ? { done: true, value: undefined } : { done: false, seen: left.join('; ') };
    }, { awaited: 'no fake ctr or ip left after the owner was SIGKILLed', timeoutMs: 10_000, intervalMs: 50 });
  });
});
