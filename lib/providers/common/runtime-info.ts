/** Facts about a CRI runtime that go into TargetInfo. */
import type { CriClient } from '../../cri/client.ts';
import { parseSandboxInspect } from '../../node/inspect-parsers.ts';
import { commonSandboxImage, parseImageList, pinnedSandboxImage, resolveSandboxImage, type SandboxImageFacts } from '../../node/sandbox-image.ts';

/** How many running sandboxes are asked which image they were made from. */
const RUNNING_SANDBOXES_READ = 5;

/** The image id (config digest) of an image the runtime has, as { sandboxImageId } or {}. */
export async function imageIdOf(client: CriClient, image: string): Promise<{ sandboxImageId?: string }> {
  try {
    const status = await client.imageStatus(image);
    return status.image?.id ? { sandboxImageId: status.image.id } : {};
  } catch {
    return {};
  }
}

/** The sandbox image a containerd CRI runtime is configured with, from its verbose Status info. */
export function sandboxImageFromStatusInfo(info: Record<string, string>): string | undefined {
  const config = info['config'];
  if (!config) return undefined;
  try {
    const parsed = JSON.parse(config) as { sandboxImage?: unknown };
    return typeof parsed.sandboxImage === 'string' ? parsed.sandboxImage : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The runtime's sandbox image over CRI, from wherever it tells it (lib/node/sandbox-image.ts):
 * the verbose Status' config (containerd 1.x), the one pinned image of ListImages (1.7+, 2.x),
 * the image its running sandboxes were made from; the id from the image list or ImageStatus.
 */
export async function criSandboxImage(client: CriClient, statusInfo: Record<string, string>): Promise<SandboxImageFacts> {
  return resolveSandboxImage(
    [
      { describe: 'CRI Status (verbose): config.sandboxImage', read: async () => {
        const image = sandboxImageFromStatusInfo(statusInfo);
        return image ? { image } : { why: 'not reported (containerd 2.x no longer exports it)' };
      } },
      { describe: "the runtime's one pinned image (CRI ListImages)", read: async () => pinnedSandboxImage(parseImageList({ images: await client.listImages() })) },
      {
        describe: 'the image of the running sandboxes (CRI PodSandboxStatus verbose)',
        read: async () => {
          const running = (await client.listPodSandbox({ state: 'SANDBOX_READY' })).slice(0, RUNNING_SANDBOXES_READ);
          const images = await Promise.all(running.map(async (sandbox) => parseSandboxInspect(await client.podSandboxStatus(sandbox.id, true)).image ?? ''));
          const common = commonSandboxImage(images);
          return common ? { image: common.image } : { why: running.length === 0 ? 'no sandbox is running' : 'the running sandboxes name no image' };
        },
      },
    ],
    async (image) => {
      const { sandboxImageId } = await imageIdOf(client, image);
      return sandboxImageId ? { id: sandboxImageId, source: `CRI ImageStatus ${image}` } : undefined;
    },
  );
}
