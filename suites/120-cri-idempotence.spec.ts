/**
 * Suite: CRI idempotence of the sandbox calls. The CRI (api.proto) says StopPodSandbox "is
 * idempotent, and must not return an error if all relevant resources have already been reclaimed"
 * and RemovePodSandbox "must not return an error if the sandbox has already been removed": the
 * kubelet retries both after pause dies, after a runtime restart, after its own restart, and an
 * error there leaves a pod stuck terminating. The checks are critest's PodSandbox ones, with each
 * call's gRPC answer (OK, NOT_FOUND, ...) and time in the evidence. Measured: containerd 1.6.20
 * answers NOT_FOUND to StopPodSandbox of an unknown id (fixed by containerd/containerd#10520, in
 * 1.6.35, 1.7.21 and 2.0.0); 1.7.24 and 2.1.9 answer OK (docs/observations.md i has critest's).
 *
 * Only where the harness itself makes the CRI calls (the local and cri providers): under a
 * kubelet the calls are the kubelet's, and the harness reaches pods through the Kubernetes API.
 */
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import type { CriAnswer } from '../lib/cri/answer.ts';
import type { BareSandbox, SandboxCalls } from '../lib/pods/pod-driver.ts';
import { evidence, skipBecause, type Evidence } from '../lib/report/evidence.ts';
import { pollUntil } from '../lib/wait.ts';
import { target } from './context.ts';

/** An id as runtimes make them (64 hex digits) that no runtime has ever made. */
const neverMadeId = (): string => randomBytes(32).toString('hex');

/** The driver's own sandbox calls, or a skip that says why this target has none. */
function sandboxCalls(context: Mocha.Context): SandboxCalls {
  const calls = target().pods.sandboxCalls;
  if (calls) return calls;
  if (target().capabilities.kubelet) skipBecause(context, `not checked: the kubelet owns the CRI calls on the ${target().info.provider} target (the harness makes pods through the Kubernetes API)`);
  return skipBecause(context, `not checked: the ${target().info.provider} target's pod driver makes no CRI sandbox calls of its own`);
}

interface Called extends CriAnswer {
  /** Which sandbox, in the check's words: "never made", "stopped once", "removed" ... */
  on: string;
  sandboxId: string;
  state?: string;
}

/** Records every call in the evidence as it is made, so a failure shows all answers so far. */
function recorder(ev: Evidence): (on: string, sandboxId: string, answer: CriAnswer & { state?: string }) => Called {
  const calls: Called[] = [];
  ev['calls'] = [];
  return (on, sandboxId, answer) => {
    const called: Called = { ...answer, on, sandboxId };
    calls.push(called);
    ev['calls'] = calls.map((c) => ({ call: c.call, on: c.on, sandboxId: c.sandboxId, code: c.code, message: c.message, tookMs: c.ms, ...(c.state ? { state: c.state } : {}) }));
    return called;
  };
}

const line = (c: Called): string => `${c.call} (${c.on}) ${c.code}${c.message ? ` "${c.message}"` : ''} ${c.ms} ms`;

/** The CRI's words for each call, quoted in a failure. */
const CRI_SAYS: Record<string, string> = {
  StopPodSandbox: 'the CRI: StopPodSandbox must not return an error if all relevant resources have already been reclaimed',
  RemovePodSandbox: 'the CRI: RemovePodSandbox must not return an error if the sandbox has already been removed',
};

function expectOk(answers: Called[]): void {
  for (const a of answers) expect(a.code, `${a.call} of a sandbox ${a.on} answered ${a.code}: ${a.message} (${CRI_SAYS[a.call] ?? 'it must succeed'})`).to.equal('OK');
}

describe('CRI idempotence: StopPodSandbox and RemovePodSandbox succeed on sandboxes gone or already stopped', function () {
  const made: BareSandbox[] = [];

  after(async function () {
    // Every sandbox made here goes, also when a check failed halfway; the run's undo stack would
    // remove what this cannot.
    const calls = target().pods.sandboxCalls;
    // A sandbox is only ever made through calls: where there are none, nothing was made.
    if (!calls) return;
    const failures: string[] = [];
    for (const sandbox of made.splice(0)) {
      await calls
        .discard(sandbox)
        .catch((error: unknown) => failures.push(`${sandbox.name} ${sandbox.id}: ${error instanceof Error ? error.message : String(error)}`));
    }
    if (failures.length > 0) throw new Error(`bare sandboxes not removed: ${failures.join('; ')}`);
  });

  async function bareSandbox(calls: SandboxCalls, name: string): Promise<BareSandbox> {
    const sandbox = await calls.run(name);
    made.push(sandbox);
    return sandbox;
  }

  // The same question to each call: an id no runtime ever made (what the kubelet retries after a runtime restart).
  for (const [call, ask] of [
    ['StopPodSandbox', (calls: SandboxCalls, id: string) => calls.stop(id)],
    ['RemovePodSandbox', (calls: SandboxCalls, id: string) => calls.remove(id)],
  ] as const) {
    it(`${call} of a sandbox id that never existed answers OK`, async function () {
      const calls = sandboxCalls(this);
      const ev = evidence(this);
      const record = recorder(ev);
      const id = neverMadeId();
      const answer = record('never made', id, await ask(calls, id));
      ev['summary'] = line(answer);
      expectOk([answer]);
    });
  }

  it('StopPodSandbox twice on a sandbox: both answer OK, the sandbox NOTREADY', async function () {
    const calls = sandboxCalls(this);
    const ev = evidence(this);
    const record = recorder(ev);
    const sandbox = await bareSandbox(calls, 'idempotence-stop-twice');
    const first = record('ready', sandbox.id, await calls.stop(sandbox.id));
    const second = record('stopped once', sandbox.id, await calls.stop(sandbox.id));
    const status = record('stopped twice', sandbox.id, await calls.status(sandbox.id));
    ev['summary'] = [first, second, status].map(line).join('; ');
    expectOk([first, second]);
    expect(status.state, 'state after two stops').to.equal('SANDBOX_NOTREADY');
  });

  it('RemovePodSandbox of a sandbox already removed answers OK', async function () {
    const calls = sandboxCalls(this);
    const ev = evidence(this);
    const record = recorder(ev);
    const sandbox = await bareSandbox(calls, 'idempotence-remove-twice');
    const stop = record('ready', sandbox.id, await calls.stop(sandbox.id));
    const first = record('stopped', sandbox.id, await calls.remove(sandbox.id));
    const second = record('removed', sandbox.id, await calls.remove(sandbox.id));
    const status = record('removed twice', sandbox.id, await calls.status(sandbox.id));
    ev['summary'] = [stop, first, second, status].map(line).join('; ');
    expectOk([stop, first, second]);
    // Gone for good: PodSandboxStatus of a removed sandbox is NOT_FOUND (that one is an error by design).
    expect(status.code, 'PodSandboxStatus after the removes').to.equal('NOT_FOUND');
  });

  it('StopPodSandbox and RemovePodSandbox of a sandbox whose pause was SIGKILLed answer OK', async function () {
    const calls = sandboxCalls(this);
    const ev = evidence(this);
    const record = recorder(ev);
    const node = target().node;
    const sandbox = await bareSandbox(calls, 'idempotence-pause-killed');
    const facts = await node.sandbox(sandbox.id);
    if (!facts.pausePid) throw new Error(`sandbox ${sandbox.id} has no pause pid (state ${facts.state})`);
    const killedAt = Date.now();
    await node.kill(facts.pausePid, 'KILL');
    // As the kubelet does: it calls StopPodSandbox once it sees the sandbox NOTREADY.
    const notReady = await pollUntil(
      async () => {
        const answer = await calls.status(sandbox.id);
        return answer.code === 'OK' && answer.state !== 'SANDBOX_READY' ? { done: true, value: answer } : { done: false, seen: `${answer.code} ${answer.state ?? ''}` };
      },
      { awaited: `sandbox ${sandbox.id} NOTREADY after SIGKILL of pause ${facts.pausePid}`, timeoutMs: 10_000 },
    );
    const seen = record('pause killed', sandbox.id, notReady);
    const notReadyAfterKillMs = Date.now() - killedAt;
    const stop = record('pause killed', sandbox.id, await calls.stop(sandbox.id));
    const stopAgain = record('pause killed, stopped', sandbox.id, await calls.stop(sandbox.id));
    const remove = record('pause killed, stopped', sandbox.id, await calls.remove(sandbox.id));
    const removeAgain = record('pause killed, removed', sandbox.id, await calls.remove(sandbox.id));
    ev['pause'] = { pid: facts.pausePid, aliveAfterRemove: await node.processAlive(facts.pausePid) };
    ev['timings'] = { notReadyAfterKillMs };
    ev['summary'] = `pause ${facts.pausePid} SIGKILLed, ${seen.state} after ${notReadyAfterKillMs} ms; ${[stop, stopAgain, remove, removeAgain].map(line).join('; ')}`;
    expectOk([stop, stopAgain, remove, removeAgain]);
  });
});
