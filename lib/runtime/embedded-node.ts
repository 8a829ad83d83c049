/**
 * The embedded node: a private containerd + CNI made from Debian's packages, brought up step by
 * step, each step's undo registered before the step runs. Teardown order (the undo stack runs
 * newest first): pods -> containerd -> residue (processes, mounts, bridge, CNI cache, cgroups, dir).
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
import { createRunDir } from './run-dir.ts';
import { SHARED_PARENTS, type RunLayout } from './run-layout.ts';
import { findResidue, describeResidue, removeResidue } from './run-residue.ts';

export interface EmbeddedNodeOptions {
  layout: RunLayout;
  subnet: string;
  /** An image archive (OCI or docker save) whose image becomes the sandbox image. */
  sandboxImageTar?: string;
  undo: UndoStack;
  /** Prints a progress step with its duration. */
  step: <T>(title: string, work: () => Promise<T>) => Promise<T>;
}

export interface EmbeddedNode {
  layout: RunLayout;
  client: CriClient;
  containerdPid(): number;
  /** Stops containerd and starts it again with the same configuration, as a service restart would. */
  restartContainerd(): Promise<{ downMs: number }>;
  sandboxImage: string;
  appImage: string;
  /** Whatever of this run is still on the machine, one line each (empty = nothing leaked). */
  leaks(): Promise<string[]>;
}

export async function startEmbeddedNode(options: EmbeddedNodeOptions): Promise<EmbeddedNode> {
  const { layout, undo, step } = options;
  const createdParents = await missingDirs(SHARED_PARENTS);
  // Registered first so it runs last: whatever the steps below leave is removed by what makes it ours.
  undo.push(`embedded node residue (${layout.dir})`, async () => {
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

  await step('containerd and CNI configuration', async () => {
    await writeFile(layout.configFile, renderContainerdConfig({ layout, sandboxImage, cniBinDir: '/usr/lib/cni', runcBinary: '/usr/sbin/runc' }), { mode: 0o600 });
    await writeFile(path.join(layout.cniConfDir, '10-pause-conformance.conflist'), renderCniConflist(layout, options.subnet), { mode: 0o600 });
  });

  let running: RunningContainerd | undefined;
  const client = new CriClient(`unix://${layout.socket}`);
  const start = async (): Promise<RunningContainerd> => {
    try {
      return await startContainerd(layout.configFile, layout.socket, layout.logFile);
    } catch (error) {
      throw new EnvironmentError('the private containerd did not start', error instanceof Error ? error.message : String(error), 'The message above is the tail of its log; check that overlayfs and cgroups are available.');
    }
  };
  await step('private containerd started', async () => {
    undo.push('stop private containerd', async () => {
      client.close();
      await running?.stop();
    });
    running = await start();
    client.reconnect();
  });

  await step('images imported', async () => {
    for (const image of images) await importImage(layout.socket, image.archive);
    if (options.sandboxImageTar) await importImage(layout.socket, options.sandboxImageTar);
  });

  return {
    layout,
    client,
    containerdPid: () => running?.pid ?? 0,
    restartContainerd: async () => {
      const t0 = Date.now();
      await running?.stop();
      running = undefined;
      running = await start();
      client.reconnect();
      return { downMs: Date.now() - t0 };
    },
    sandboxImage,
    appImage: APP_IMAGE,
    leaks: async () => {
      const left = describeResidue(await findResidue(layout));
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
