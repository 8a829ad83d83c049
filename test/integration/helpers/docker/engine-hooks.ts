/**
 * Mocha hooks for a describe block that works on the private engine: before, check what it needs
 * (root and the tools; else it says why and skips), start the engine and make sure the node image
 * is there; after, let the block clean what it made outside its runs, then prove the engine left
 * nothing: no Docker object in it, nothing of it on this machine, nothing new on the host.
 */
import { expect } from 'chai';
import { onPath } from '../../../../lib/providers/common/on-path.ts';
import { rm } from 'node:fs/promises';
import { engineObjects, hostChangesSince, hostSnapshot, testcontainersLocks, type HostSnapshot } from './engine-residue.ts';
import { ensureNodeImage, type NodeImage } from './node-image.ts';
import { startPrivateEngine, type PrivateEngine } from './private-engine.ts';

export interface EngineHooksOptions {
  /** Tools the block needs besides root (looked up on PATH and in /usr/sbin, /sbin). */
  tools: string[];
  /** Runs after the engine answers and the node image is there. */
  prepare?: (engine: PrivateEngine) => Promise<void>;
  /** Runs before the engine is checked and stopped: removes what the block made outside its runs. */
  cleanUp?: (engine: PrivateEngine, host: HostSnapshot) => Promise<void>;
}

export interface EngineUnderTest {
  engine(): PrivateEngine;
  image(): NodeImage;
  /** Figures for the log line the after hook prints (engine start/stop, image build, the block's own). */
  figures: Record<string, number | string>;
}

function missingRequirement(tools: string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (a Docker daemon, mounts, cgroups)';
  for (const tool of tools) if (!onPath(tool, `${process.env['PATH']}:/usr/sbin:/sbin`)) return `${tool} is not installed (bash ci/bootstrap.sh installs it)`;
  return undefined;
}

export function usePrivateEngine(options: EngineHooksOptions): EngineUnderTest {
  let engine: PrivateEngine | undefined;
  let image: NodeImage | undefined;
  let host: HostSnapshot;
  const figures: Record<string, number | string> = {};

  before(async function () {
    const missing = missingRequirement(['dockerd', 'docker', 'mmdebstrap', 'jq', 'unshare', ...options.tools]);
    if (missing) {
      console.log(`      (skipped: ${missing})`);
      this.skip();
    }
    // A cold node image build takes ~1 min, more on a loaded machine.
    this.timeout(15 * 60_000);
    host = await hostSnapshot();
    const t0 = Date.now();
    engine = await startPrivateEngine((line) => console.log(`      ${line}`));
    figures['engineStartMs'] = Date.now() - t0;
    image = await ensureNodeImage();
    figures[image.cached ? 'imageWarmMs' : 'imageColdMs'] = image.ms;
    await options.prepare?.(engine);
  });

  after(async function () {
    if (!engine) return;
    this.timeout(120_000);
    const running = engine;
    // The engine is stopped whatever the clean-up says: a failed one is reported after the stop.
    const cleanUpFailure = await options.cleanUp?.(running, host).then(() => undefined, (error: unknown) => error);
    // testcontainers leaves its lock file when the process that used it ends; those processes (the runs) have.
    for (const lock of await testcontainersLocks()) if (!host.testcontainersLocks.includes(lock)) await rm(lock, { force: true });
    const objects = await engineObjects((args) => running.docker(args));
    const t0 = Date.now();
    const left = await running.stop();
    figures['engineStopMs'] = Date.now() - t0;
    engine = undefined;
    console.log(`      figures: ${JSON.stringify(figures)}`);
    if (cleanUpFailure !== undefined) throw cleanUpFailure;
    expect(objects, 'Docker objects left in the engine').to.deep.equal([]);
    expect(left, 'the engine left on this machine').to.deep.equal([]);
    expect(await hostChangesSince(host), 'new on this machine').to.deep.equal([]);
  });

  return {
    engine: () => {
      if (!engine) throw new Error('the private engine is not running (see the before hook)');
      return engine;
    },
    image: () => {
      if (!image) throw new Error('the node image is not there (see the before hook)');
      return image;
    },
    figures,
  };
}
