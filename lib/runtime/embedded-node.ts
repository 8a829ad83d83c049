/**
 * The embedded node: a private containerd + CNI made from Debian's packages, brought up step by
 * step, each step's undo registered before the step runs. Teardown order (the undo stack runs
 * newest first): pods -> containerd -> residue (shims, processes, mounts, bridge, CNI cache,
 * cgroups, dir). The containerd it runs is chosen (--runtime, runtime-versions.ts) and can be
 * swapped in place, as an operator upgrades a node: stop one containerd (its shims and pods keep
 * running), start another on the same root, state and socket (switchRuntime).
 */
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { missingDirs } from '../cleanup/created-dirs.ts';
import path from 'node:path';
import type { UndoStack } from '../cleanup/undo-stack.ts';
import { CriClient } from '../cri/client.ts';
import { EnvironmentError } from '../errors.ts';
import { renderCniConflist } from './cni-config.ts';
import { renderContainerdConfig } from './containerd-config.ts';
import { startContainerd, type RunningContainerd } from './containerd-process.ts';
import { importImage, readArchiveReferences } from './image-import.ts';
import { appImageSpec, APP_IMAGE, pauseImageSpec, PAUSE_IMAGE } from './local-images.ts';
import { buildOciImage } from './oci-image.ts';
import { prepareOciRuntime, type OciRuntime } from './oci-runtime.ts';
import { createRunDir } from './run-dir.ts';
import { SHARED_PARENTS, type RunLayout } from './run-layout.ts';
import { findResidue, describeResidue, describeShim, findShims, removeResidue, type RunShim } from './run-residue.ts';
import { CONTAINERD_RELEASES, type ContainerdBinaries, type ContainerdRelease, type OciRuntimeChoice } from './runtime-versions.ts';
import { containerdBinaries } from './runtime-cache.ts';

/** A containerd to run: which release, and its binaries on this machine. */
export interface ContainerdToRun {
  release: ContainerdRelease;
  binaries: ContainerdBinaries;
}

export interface EmbeddedNodeOptions {
  layout: RunLayout;
  subnet: string;
  /** Default: Debian stable's installed containerd 1.6 (nothing to fetch); the local provider always says which. */
  containerd?: ContainerdToRun;
  /** Default: runc. */
  oci?: OciRuntimeChoice;
  /** An image archive (OCI or docker save) whose image becomes the sandbox image. */
  sandboxImageTar?: string;
  undo: UndoStack;
  /** Prints a progress step with its duration. */
  step: <T>(title: string, work: () => Promise<T>) => Promise<T>;
}

/** What runs now: the containerd, its config version, the OCI runtime. */
export interface RuntimeInUse {
  containerd: ContainerdToRun;
  oci: OciRuntime;
}

export interface RuntimeSwitch {
  /** SIGTERM to exit of the old containerd (its shims keep running). */
  stopMs: number;
  /** Start to CRI answering of the new one. */
  startMs: number;
  downMs: number;
}

export interface EmbeddedNode {
  layout: RunLayout;
  client: CriClient;
  containerdPid(): number;
  runtime(): RuntimeInUse;
  /** Stops containerd and starts it again with the same configuration, as a service restart would. */
  restartContainerd(): Promise<{ downMs: number }>;
  /**
   * The operator's in-place upgrade (or rollback, or OCI runtime switch): stop this containerd,
   * write the other's config in its own version, start it on the same root, state and socket.
   */
  switchRuntime(to: { containerd?: ContainerdToRun; oci?: OciRuntimeChoice }): Promise<RuntimeSwitch>;
  /** The shims of this node's containerd that run now (by `-address <socket>` on their command line). */
  shims(): Promise<RunShim[]>;
  sandboxImage: string;
  appImage: string;
  /** Whatever of this run is still on the machine, one line each (empty = nothing leaked). */
  leaks(): Promise<string[]>;
}

export async function startEmbeddedNode(options: EmbeddedNodeOptions): Promise<EmbeddedNode> {
  const { layout, undo, step } = options;
  const createdParents = await missingDirs(SHARED_PARENTS);
  /**
   * Shims still running when the residue is removed, i.e. after every pod's sandbox was stopped
   * and removed through the CRI and containerd stopped: the runtime left them behind (issue 9 §2,
   * containerd/containerd#10421). The clean-up ends them, and the leak check names each.
   */
  const leftByRuntime: string[] = [];
  // Registered first so it runs last: whatever the steps below leave is removed by what makes it ours.
  undo.push(`embedded node residue (${layout.dir})`, async () => {
    const shims = await findShims(layout.socket);
    for (const shim of shims) leftByRuntime.push(`${describeShim(shim)}: left running after its sandbox was removed and containerd stopped; ended by the clean-up (SIGTERM)`);
    await removeResidue(layout);
  });
  await step(`run directory ${layout.dir}`, async () => {
    await createRunDir(layout);
    await writeFile(layout.createdDirsFile, JSON.stringify(createdParents) + '\n', { mode: 0o600 });
    for (const dir of [layout.root, layout.state, layout.runcRoot, layout.cniConfDir, layout.cniIpamDir, layout.images, layout.opt]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
  });

  let sandboxImage = PAUSE_IMAGE;
  if (options.sandboxImageTar) {
    const references = await readArchiveReferences(options.sandboxImageTar).catch((error: unknown) => {
      throw new EnvironmentError(`--sandbox-image-tar ${options.sandboxImageTar} cannot be read`, error instanceof Error ? error.message : String(error), 'Pass an archive made by `docker save` or `ctr images export`.');
    });
    if (!references[0]) {
      throw new EnvironmentError(`--sandbox-image-tar ${options.sandboxImageTar} names no image`, 'its index.json / manifest.json carries no image name', 'Save it with a name, e.g. `docker save registry.k8s.io/pause:3.10 -o pause.tar`.');
    }
    sandboxImage = references[0];
  }

  const images = await step('images built from catatonit and busybox-static', async () => {
    const built = [await buildOciImage(appImageSpec(), path.join(layout.images, 'app'))];
    if (!options.sandboxImageTar) built.push(await buildOciImage(pauseImageSpec(), path.join(layout.images, 'pause')));
    return built;
  });

  const containerd = options.containerd ?? { release: CONTAINERD_RELEASES['containerd@1.6'], binaries: await containerdBinaries(CONTAINERD_RELEASES['containerd@1.6'], { cacheDir: '', mirror: '', say: () => undefined }) };
  let inUse: RuntimeInUse = { containerd, oci: await prepareOciRuntime(options.oci ?? 'runc', layout) };
  const writeConfig = async (runtime: RuntimeInUse): Promise<void> => {
    const { release, binaries } = runtime.containerd;
    const config = renderContainerdConfig({
      layout,
      sandboxImage,
      cniBinDir: '/usr/lib/cni',
      ociBinary: runtime.oci.binary,
      shimPath: binaries.shim,
      configVersion: release.configVersion,
      hasNri: release.minor !== '1.6',
    });
    await writeFile(layout.configFile, config, { mode: 0o600 });
  };
  await step(`containerd (config version ${inUse.containerd.release.configVersion}) and CNI configuration`, async () => {
    await writeConfig(inUse);
    await writeFile(path.join(layout.cniConfDir, '10-pause-conformance.conflist'), renderCniConflist(layout, options.subnet), { mode: 0o600 });
  });

  let running: RunningContainerd | undefined;
  const client = new CriClient(`unix://${layout.socket}`);
  const start = async (): Promise<RunningContainerd> => {
    try {
      return await startContainerd(inUse.containerd.binaries.containerd, layout.configFile, layout.socket, layout.logFile);
    } catch (error) {
      throw new EnvironmentError(`the private containerd (${inUse.containerd.release.choice}) did not start`, error instanceof Error ? error.message : String(error), 'The message above is the tail of its log; check that overlayfs and cgroups are available.');
    }
  };
  await step(`private ${inUse.containerd.release.choice} started`, async () => {
    undo.push('stop private containerd', async () => {
      client.close();
      await running?.stop();
    });
    running = await start();
    client.reconnect();
  });

  await step('images imported', async () => {
    for (const image of images) await importImage(layout.socket, image.archive, inUse.containerd.binaries.ctr);
    if (options.sandboxImageTar) await importImage(layout.socket, options.sandboxImageTar, inUse.containerd.binaries.ctr);
  });

  return {
    layout,
    client,
    containerdPid: () => running?.pid ?? 0,
    runtime: () => inUse,
    restartContainerd: async () => {
      const t0 = Date.now();
      await running?.stop();
      running = undefined;
      running = await start();
      client.reconnect();
      return { downMs: Date.now() - t0 };
    },
    switchRuntime: async (to) => {
      const t0 = Date.now();
      await running?.stop();
      running = undefined;
      const stopMs = Date.now() - t0;
      inUse = { containerd: to.containerd ?? inUse.containerd, oci: to.oci && to.oci !== inUse.oci.choice ? await prepareOciRuntime(to.oci, layout) : inUse.oci };
      await writeConfig(inUse);
      const t1 = Date.now();
      running = await start();
      client.reconnect();
      return { stopMs, startMs: Date.now() - t1, downMs: Date.now() - t0 };
    },
    shims: () => findShims(layout.socket),
    sandboxImage,
    appImage: APP_IMAGE,
    leaks: async () => {
      const left = [...leftByRuntime, ...describeResidue(await findResidue(layout))];
      // A folder this run created that is still there AND empty was left behind; a non-empty one
      // is in use by someone else (another run's shims), which is theirs to remove.
      for (const dir of createdParents) {
        const entries = await readdir(dir).catch(() => undefined);
        if (entries && entries.length === 0) left.push(`folder ${dir} (created by this run)`);
      }
      return left;
    },
  };
}
