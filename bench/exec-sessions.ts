/**
 * `node bench/exec-sessions.ts`: what a node command costs through a long-lived exec session
 * against one exec per command (issue 14), on the node-container target's testcontainers variant:
 * a node container of the tests' private Docker engine (test/integration/helpers/docker/), reached
 * through the engine's exec API as the k3s provider reaches its node. The same command (a typical
 * fact: `cat /proc/1/stat`) runs BENCH_COMMANDS times each way, one after another and BENCH_PARALLEL
 * side by side (the teardown watch's way), in halves ordered A B B A so drift on a shared machine
 * falls on both. Prints ms per command (wall time / commands), commands per second, and the
 * median and p95 of one command's latency; a session's start is timed apart.
 * Takes the integration tests' machine-wide lock (the private engine has fixed names), needs root
 * and the tools the node-container tests need (ci/bootstrap.sh), and leaves nothing: every
 * session, the container, its network and the engine are gone at the end, and it says so.
 *
 * Environment: BENCH_COMMANDS (per mode, default 200), BENCH_PARALLEL (default 6, the shells' session count).
 */
import { rm } from 'node:fs/promises';
import { UndoStack } from '../lib/cleanup/undo-stack.ts';
import { messageOf } from '../lib/errors.ts';
import type { NodeShell } from '../lib/node/node-shell.ts';
import { NODE_EXEC_SESSIONS } from '../lib/node/shells/container-exec-shell.ts';
import { TestcontainersExecShell } from '../lib/node/shells/testcontainers-exec-shell.ts';
import { newRunId } from '../lib/runtime/run-dir.ts';
import { ENGINE_HOST } from '../test/integration/helpers/docker/engine-layout.ts';
import { engineObjects, hostChangesSince, hostSnapshot, testcontainersLocks } from '../test/integration/helpers/docker/engine-residue.ts';
import { ensureNodeImage } from '../test/integration/helpers/docker/node-image.ts';
import { startNodeContainer } from '../test/integration/helpers/docker/node-containers.ts';
import { startPrivateEngine, type PrivateEngine } from '../test/integration/helpers/docker/private-engine.ts';
import { mochaHooks as integrationLock } from '../test/integration/helpers/exclusive.ts';
import { round, stats } from './stats.ts';

const COMMAND = ['cat', '/proc/1/stat'];

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name}=${raw}: a whole number of at least 1 is wanted`);
  return value;
}

interface Measured {
  commands: number;
  wallMs: number;
  latencies: number[];
}

/** `count` commands, `parallel` at a time; each must answer exit 0. */
async function measure(shell: NodeShell, count: number, parallel: number): Promise<Measured> {
  const latencies: number[] = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) {
        next++;
        const started = performance.now();
        const result = await shell.run(COMMAND);
        latencies.push(performance.now() - started);
        if (result.exitCode !== 0) throw new Error(`${COMMAND.join(' ')} answered exit ${result.exitCode}: ${result.stderr.trim()}`);
      }
    }),
  );
  return { commands: count, wallMs: performance.now() - t0, latencies };
}

function merge(a: Measured, b: Measured): Measured {
  return { commands: a.commands + b.commands, wallMs: a.wallMs + b.wallMs, latencies: [...a.latencies, ...b.latencies] };
}

function line(label: string, m: Measured): string {
  const s = stats(m.latencies);
  const perCommand = m.wallMs / m.commands;
  return `  ${label.padEnd(34)} ${String(round(perCommand, 2)).padStart(8)} ms/command  ${String(round(1000 / perCommand, 1)).padStart(8)} commands/s   latency median ${round(s.median, 1)} ms, p95 ${round(s.p95, 1)} ms (n=${s.n})`;
}

/** Mode A and mode B in halves, A B B A. */
async function abba(a: () => Promise<Measured>, b: () => Promise<Measured>): Promise<[Measured, Measured]> {
  const a1 = await a();
  const b1 = await b();
  const b2 = await b();
  const a2 = await a();
  return [merge(a1, a2), merge(b1, b2)];
}

async function main(): Promise<number> {
  const count = positive('BENCH_COMMANDS', 200);
  const parallel = positive('BENCH_PARALLEL', NODE_EXEC_SESSIONS);
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: needs root (a private Docker engine, mounts, cgroups)\n');
    return 2;
  }
  // testcontainers reads these at its first use, which comes after this.
  Object.assign(process.env, { DOCKER_HOST: ENGINE_HOST, TESTCONTAINERS_RYUK_DISABLED: 'true', TESTCONTAINERS_HOST_OVERRIDE: 'localhost' });
  say('waiting for the integration-test lock (the private engine is one per machine)');
  await integrationLock.beforeAll.call({ timeout: () => undefined } as unknown as Mocha.Context);
  const undo = new UndoStack();
  const host = await hostSnapshot();
  let engine: PrivateEngine | undefined;
  let failure: unknown;
  try {
    engine = await startPrivateEngine(say);
    const image = await ensureNodeImage();
    say(`engine up, node image ${image.reference} (${image.cached ? 'cached' : `built in ${image.ms} ms`})`);
    const node = await startNodeContainer('testcontainers', `pc-bench-${newRunId()}`, image.reference, (label, stop) => undo.push(label, stop));
    const container = node.testcontainer!;
    const once = new TestcontainersExecShell(container);
    const oneSession = new TestcontainersExecShell(container, { sessions: 1 });
    const sessions = new TestcontainersExecShell(container, { sessions: parallel });
    undo.push('close the bench shells', async () => {
      await Promise.all([oneSession.close(), sessions.close()]);
    });

    const t0 = performance.now();
    await oneSession.run(['true']);
    const sessionStartMs = performance.now() - t0;
    const t1 = performance.now();
    await once.run(['true']);
    const firstOnceMs = performance.now() - t1;
    // Every session of the parallel shell opened before it is timed.
    await Promise.all(Array.from({ length: parallel }, () => sessions.run(['sleep', '0.2'])));
    say(`\n${COMMAND.join(' ')} in node container ${node.name} (testcontainers, the engine's exec API), ${count} commands per mode`);
    say(`  session start (exec created, hijacked, first answer): ${round(sessionStartMs, 1)} ms; the first one-off exec: ${round(firstOnceMs, 1)} ms`);

    const half = Math.ceil(count / 2);
    const [seqOnce, seqSession] = await abba(() => measure(once, half, 1), () => measure(oneSession, half, 1));
    const [parOnce, parSessions] = await abba(() => measure(once, half, parallel), () => measure(sessions, half, parallel));
    say('\none after another');
    say(line('one exec per command', seqOnce));
    say(line('one long-lived session', seqSession));
    say(`  => a session is ${round(seqOnce.wallMs / seqOnce.commands / (seqSession.wallMs / seqSession.commands), 1)}x faster per command`);
    say(`\n${parallel} side by side`);
    say(line('one exec per command', parOnce));
    say(line(`${parallel} long-lived sessions`, parSessions));
    say(`  => sessions are ${round(parOnce.wallMs / parOnce.commands / (parSessions.wallMs / parSessions.commands), 1)}x faster per command`);
    say(`\nfacts: ${JSON.stringify({ once: once.facts, oneSession: oneSession.facts, sessions: sessions.facts })}`);
    await Promise.all([oneSession.close(), sessions.close()]);
    const shells = (await once.run(['ps', '-eo', 'args'])).stdout.split('\n').filter((args) => args.trim() === 'sh -s');
    const dirs = (await once.run(['sh', '-c', 'ls -d /tmp/pause-conformance-session.* 2>/dev/null; true'])).stdout.split('\n').filter(Boolean);
    if (shells.length + dirs.length > 0) throw new Error(`after close, the node still has ${shells.length} session shells and ${dirs.length} session temp dirs`);
    say('sessions closed: no session shell or temp dir left in the node');
  } catch (error) {
    failure = error;
  }

  say('\nteardown');
  const undoFailures = await undo.unwind();
  for (const f of undoFailures) say(`  ✗ ${f.label}: ${f.error}`);
  const left: string[] = [];
  if (engine) {
    const running = engine;
    left.push(...(await engineObjects((args) => running.docker(args))));
    left.push(...(await running.stop()));
  }
  for (const lock of await testcontainersLocks()) if (!host.testcontainersLocks.includes(lock)) await rm(lock, { force: true });
  left.push(...(await hostChangesSince(host)));
  await integrationLock.afterAll();
  say(left.length === 0 ? '  ✓ nothing left: no container, network or volume in the engine, no engine, nothing new on this machine' : `  ✗ left: ${left.join('; ')}`);
  if (failure !== undefined) {
    process.stderr.write(`bench: ${messageOf(failure)}\n`);
    return 1;
  }
  return undoFailures.length > 0 || left.length > 0 ? 1 : 0;
}

process.exit(await main());
