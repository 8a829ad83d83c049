/**
 * Root hooks of the integration suite: one integration run per machine at a time. The tests make
 * machine-wide things on purpose (decoy run directories and bridges, SIGKILLed runs whose
 * leftovers the next run must find) and check the whole machine for leftovers at the end; two
 * such runs side by side would see each other's decoys. Ordinary harness runs may go on beside
 * it: the tests tell those apart by their live owners.
 *
 * The lock is a file made with link(2), so it appears complete or not at all; a lock whose
 * holder died is taken over.
 */
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { pollUntil } from '../../../lib/wait.ts';
import { startTicks } from './host.ts';
import { errnoCode } from '../../../lib/linux/errno.ts';

const LOCK = '/run/lock/pause-conformance-integration.lock';
const WAIT_MS = 15 * 60_000;

interface Holder {
  pid: number;
  startTicks: string;
}

async function holder(): Promise<Holder | undefined> {
  try {
    return JSON.parse(await readFile(LOCK, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

async function alive(h: Holder): Promise<boolean> {
  return (await startTicks(h.pid).catch(() => undefined)) === h.startTicks;
}

let me: Holder | undefined;

async function tryLock(): Promise<{ done: true; value: undefined } | { done: false; seen: string }> {
  const mine = `${LOCK}.${process.pid}`;
  await writeFile(mine, JSON.stringify(me));
  try {
    await link(mine, LOCK);
    return { done: true, value: undefined };
  } catch (error) {
    if (errnoCode(error) !== 'EEXIST') throw error;
    const current = await holder();
    if (current && (await alive(current))) return { done: false, seen: `held by pid ${current.pid}` };
    await unlink(LOCK).catch(() => undefined);
    return { done: false, seen: `held by pid ${current?.pid ?? 'unknown'}, which is gone: taking it over` };
  } finally {
    await unlink(mine).catch(() => undefined);
  }
}

export const mochaHooks = {
  async beforeAll(this: Mocha.Context): Promise<void> {
    this.timeout(WAIT_MS + 10_000);
    me = { pid: process.pid, startTicks: await startTicks(process.pid) };
    await pollUntil(tryLock, { awaited: `the integration-test lock ${LOCK} (one integration run per machine)`, timeoutMs: WAIT_MS, intervalMs: 500 });
  },
  async afterAll(): Promise<void> {
    const current = await holder();
    if (current && me && current.pid === me.pid && current.startTicks === me.startTicks) await unlink(LOCK);
  },
};
