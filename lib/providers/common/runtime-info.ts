/** Facts about a CRI runtime that go into TargetInfo. */
import type { CriClient } from '../../cri/client.ts';

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
