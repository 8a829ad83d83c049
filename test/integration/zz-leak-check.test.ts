/**
 * Last of the integration suite (files run sorted; `npm test` runs this suite last): after every
 * run the tests made (interrupted, SIGKILLed, refused, on the cri provider), nothing of the
 * harness may be left anywhere on the machine. Unlike a run's own leak check, this looks for ANY
 * run's things, by the marks every run puts on them:
 * - run directories under /var/lib/pause-conformance/runs (and anything else in there),
 * - links named pc<8 hex> (a run's bridge),
 * - CNI cache files of pc-<id> networks (or naming a run directory),
 * - cgroups under /sys/fs/cgroup/{,*}/pause-conformance,
 * - mounts under /var/lib/pause-conformance,
 * - processes whose command line names a path under /var/lib/pause-conformance/,
 * - an NRI socket under /run/nri that nothing listens on (containerd 2.x with NRI on leaves it),
 * - shim sockets under /run/containerd/s that nothing listens on (a killed shim's),
 * - pod log directories pause-conformance-* under /var/log/pods (the cri provider's),
 * - anything of the node-container tests' private Docker engine (helpers/docker/engine-residue.ts:
 *   its processes, mounts, cgroup parent and run dir; its data-root, the image cache, stays).
 * What belongs to a run whose owner is alive right now (someone's run in another terminal) is
 * not a leak and is left out; the test's own process owns no run by now, so none of its are.
 */
import { expect } from 'chai';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { RUN_ID_PATTERN, RUNS_BASE } from '../../lib/runtime/run-layout.ts';
import { linkNames } from './helpers/host.ts';
import { hasExited, readProcStat } from '../../lib/linux/proc-stat.ts';
import { liveRunIds } from './helpers/machine.ts';
import { engineResidue } from './helpers/docker/engine-residue.ts';

const BASE = path.dirname(RUNS_BASE);
const CGROUP_ROOT = '/sys/fs/cgroup';

async function list(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

async function text(file: string): Promise<string> {
  return readFile(file, 'utf8').catch(() => '');
}

/** The run id a path or name points at, if any. */
function runIdIn(value: string): string | undefined {
  return new RegExp(`${RUNS_BASE}/([0-9a-f]{8})`).exec(value)?.[1] ?? /(?:^|[^0-9a-f])pc-?([0-9a-f]{8})(?:$|[^0-9a-f])/.exec(value)?.[1];
}

export async function findAnyResidue(): Promise<{ leaks: string[]; otherRuns: string[] }> {
  const live = await liveRunIds();
  const leaks: string[] = [];
  const otherRuns = new Set<string>();
  const ours = (what: string, id: string | undefined): void => {
    if (id && live.has(id)) otherRuns.add(id);
    else leaks.push(what);
  };

  for (const entry of await list(RUNS_BASE)) ours(`run directory ${path.join(RUNS_BASE, entry)}`, RUN_ID_PATTERN.test(entry) ? entry : undefined);
  for (const entry of await list(BASE)) if (entry !== path.basename(RUNS_BASE)) leaks.push(`${path.join(BASE, entry)}`);
  // The shared folders go with the last run that leaves them empty; with no run alive they must be gone.
  if (live.size === 0) {
    const baseExists = await readdir(BASE).then(() => true, () => false);
    if (baseExists) leaks.push(`${BASE} (left although no run is alive)`);
  }

  for (const link of await linkNames()) {
    const match = /^pc([0-9a-f]{8})$/.exec(link);
    if (match) ours(`link ${link}`, match[1]);
  }

  for (const name of await list('/var/lib/cni/results')) {
    const file = path.join('/var/lib/cni/results', name);
    const content = await text(file);
    if (name.startsWith('pc-') || content.includes(BASE)) ours(`CNI cache ${file}`, runIdIn(name) ?? runIdIn(content));
  }

  for (const hierarchy of ['', ...(await list(CGROUP_ROOT))]) {
    const parent = path.join(CGROUP_ROOT, hierarchy, 'pause-conformance');
    const children = await readdir(parent, { withFileTypes: true }).catch(() => undefined);
    if (!children) continue;
    const runs = children.filter((child) => child.isDirectory());
    for (const child of runs) ours(`cgroup ${path.join(parent, child.name)}`, RUN_ID_PATTERN.test(child.name) ? child.name : undefined);
    if (runs.length === 0) leaks.push(`cgroup ${parent} (empty parent)`);
  }

  for (const line of (await text('/proc/self/mounts')).split('\n')) {
    const mountPoint = (line.split(' ')[1] ?? '').replace(/\\040/g, ' ');
    if (mountPoint.startsWith(BASE + '/')) ours(`mount ${mountPoint}`, runIdIn(mountPoint));
  }

  for (const entry of await list('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const stat = await readProcStat(Number(entry));
    if (!stat || hasExited(stat)) continue;
    const command = (await text(`/proc/${entry}/cmdline`)).split('\0').join(' ').trim();
    // BASE + '/': a path under it, not a neighbour such as /var/lib/pause-conformance-research.
    if (command.includes(BASE + '/')) ours(`process ${entry} (${command.slice(0, 120)})`, runIdIn(command));
  }

  // A socket file nobody listens on is a shim that was killed; /proc/net/unix lists bound paths.
  const bound = new Set((await text('/proc/net/unix')).split('\n').map((line) => line.trim().split(/\s+/)[7]).filter(Boolean));
  for (const name of await list('/run/containerd/s')) {
    const socket = path.join('/run/containerd/s', name);
    if (!bound.has(socket)) leaks.push(`shim socket ${socket} (no listener)`);
  }

  // containerd 2.x with NRI on listens on the machine-wide /var/run/nri/nri.sock and leaves it
  // behind when stopped; the embedded node turns NRI off, so a dead socket there is a leak.
  for (const name of await list('/run/nri')) {
    const socket = path.join('/run/nri', name);
    if (!bound.has(socket)) leaks.push(`NRI socket ${socket} (no listener)`);
  }

  for (const name of await list('/var/log/pods')) {
    if (name.startsWith('pause-conformance-')) ours(`pod log directory /var/log/pods/${name}`, /^pause-conformance-([0-9a-f]{8})_/.exec(name)?.[1]);
  }
  for (const left of await engineResidue()) leaks.push(`private Docker engine: ${left}`);
  return { leaks, otherRuns: [...otherRuns] };
}

describe('leak check after the whole test run', function () {
  it('finds nothing of any run anywhere on the machine', async function () {
    const { leaks, otherRuns } = await findAnyResidue();
    if (otherRuns.length > 0) console.log(`      (left out: runs in progress now, owners alive: ${otherRuns.join(', ')})`);
    expect(leaks).to.deep.equal([]);
  });
});
