/**
 * `node bench/runtimes.ts [--rounds N] [--cold]`: what each containerd choice of the embedded node
 * costs before any check runs, measured, printed:
 * - getting its binaries from the cache (warm: the .deb hashed again, `containerd --version`);
 *   with --cold, a first fetch into a fresh temporary cache (private apt update + download +
 *   unpack), which downloads ~30 MB per archive version and is removed afterwards;
 * - starting it: the embedded node's own step, from exec to its CRI answering, on a fresh run
 *   directory each round (the node is brought up and torn down, its leak check must be empty).
 * As root. Median (min-max) over the rounds.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { UndoStack } from '../lib/cleanup/undo-stack.ts';
import { DEFAULT_DEBIAN_MIRROR } from '../lib/runtime/debian-archive.ts';
import { startEmbeddedNode } from '../lib/runtime/embedded-node.ts';
import { newRunId } from '../lib/runtime/run-dir.ts';
import { runLayout } from '../lib/runtime/run-layout.ts';
import { containerdBinaries, DEFAULT_RUNTIME_CACHE } from '../lib/runtime/runtime-cache.ts';
import { CONTAINERD_CHOICES, CONTAINERD_RELEASES } from '../lib/runtime/runtime-versions.ts';
import { round, stats } from './stats.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' }, cold: { type: 'boolean', default: false } } });
const rounds = Number(values.rounds);
const quiet = (): void => undefined;

function line(label: string, samples: number[]): string {
  const s = stats(samples);
  return `${label.padEnd(52)} ${String(round(s.median)).padStart(6)} ms  (${round(s.min)}-${round(s.max)}, n=${s.n})`;
}

for (const choice of CONTAINERD_CHOICES) {
  const release = CONTAINERD_RELEASES[choice];
  if (values.cold && release.source.kind === 'archive') {
    const cacheDir = await mkdtemp(path.join(os.tmpdir(), 'pc-bench-cache-'));
    try {
      const t0 = Date.now();
      await containerdBinaries(release, { cacheDir, mirror: DEFAULT_DEBIAN_MIRROR, say: quiet });
      console.log(line(`${choice}: first fetch (cold cache)`, [Date.now() - t0]));
    } finally {
      await rm(cacheDir, { recursive: true, force: true });
    }
  }
  const warm: number[] = [];
  const start: number[] = [];
  for (let round_ = 0; round_ < rounds; round_++) {
    const t0 = Date.now();
    const binaries = await containerdBinaries(release, { cacheDir: DEFAULT_RUNTIME_CACHE, mirror: DEFAULT_DEBIAN_MIRROR, say: quiet });
    warm.push(Date.now() - t0);
    const undo = new UndoStack();
    const steps = new Map<string, number>();
    try {
      const node = await startEmbeddedNode({
        layout: runLayout(newRunId()),
        subnet: '10.213.95.0/24',
        containerd: { release, binaries },
        undo,
        step: async (title, work) => {
          const s0 = Date.now();
          const result = await work();
          steps.set(title, Date.now() - s0);
          return result;
        },
      });
      start.push(steps.get(`private ${choice} started`) ?? NaN);
      await undo.unwind();
      const left = await node.leaks();
      if (left.length > 0) throw new Error(`the bench's node left: ${left.join('; ')}`);
    } finally {
      await undo.unwind();
    }
  }
  console.log(line(`${choice}: binaries from the cache (verified)`, warm));
  console.log(line(`${choice}: containerd start to CRI answering`, start));
}
