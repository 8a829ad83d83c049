/**
 * Which sandbox (pause) image a runtime is configured with, and its image id, read from wherever
 * the runtime tells it, in this order, with the place it came from kept for the report:
 *
 * 1. The CRI status' config.sandboxImage (`crictl info`, Status verbose): containerd 1.x.
 *    containerd 2.x no longer exports it (internal/cri/server/status.go marshals only the runtime
 *    config; the image moved to the images plugin's pinned_images["sandbox"]).
 * 2. The one pinned image of the runtime's image list (ListImages / `crictl images -o json`,
 *    `pinned: true`): containerd 1.7+ pins the configured sandbox image. On 2.1.9 this holds for
 *    imported images too (the CRI's image event handler UpdateImage and its start-up CheckImages
 *    label every image named in pinned_images; recorded: research/containerd-2.1 ListImages of an
 *    imported pause image, `pinned: true`), and the entry carries the image id as well. Several
 *    pinned images (pinned_images may name more than "sandbox") are not a verdict.
 * 3. `containerd config dump` on the node, trusted only when the dump's [grpc] address is the
 *    socket the runtime reports it serves: a dump of another (or the default) config file
 *    would name a sandbox image this runtime does not use (k3s's containerd has its own).
 * 4. The image of the sandboxes running on the node (each sandbox's verbose status names the image
 *    it was made from, on every containerd version); the one most of them use.
 *
 * Parsers are tested on recorded outputs (fixtures/recorded/README.md).
 */
import { record, text, type Json } from './json-fields.ts';

export interface ListedImage {
  id: string;
  repoTags: string[];
  pinned: boolean;
}

/** A ListImages answer or `crictl images -o json` (both {images: [{id, repoTags, pinned}]}). */
export function parseImageList(document: Json): ListedImage[] {
  const images = record(document)['images'];
  if (!Array.isArray(images)) return [];
  return images.map((item) => {
    const image = record(item);
    const tags = image['repoTags'];
    return {
      id: text(image['id']) ?? '',
      repoTags: Array.isArray(tags) ? tags.filter((tag): tag is string => typeof tag === 'string') : [],
      pinned: image['pinned'] === true,
    };
  });
}

export type Finding = { image: string; id?: string } | { why: string };

/** The sandbox image by the pinned flag: exactly one pinned image, with exactly one tag. */
export function pinnedSandboxImage(images: ListedImage[]): Finding {
  const pinned = images.filter((image) => image.pinned);
  if (pinned.length === 0) return { why: 'no image is pinned' };
  if (pinned.length > 1) return { why: `${pinned.length} images are pinned (${pinned.map((image) => image.repoTags.join(' ') || image.id).join(', ')})` };
  const [only] = pinned as [ListedImage];
  if (only.repoTags.length !== 1) return { why: `the pinned image ${only.id} has ${only.repoTags.length} tags` };
  return { image: only.repoTags[0]!, ...(only.id ? { id: only.id } : {}) };
}

/**
 * The sandbox image a containerd TOML config names: CRI `sandbox_image = "..."` (config version
 * 2, containerd 1.x) or `sandbox = "..."` under [plugins."io.containerd.cri.v1.images".pinned_images]
 * (config version 3, containerd 2.x).
 */
export function sandboxImageFromContainerdToml(toml: string): string | undefined {
  const v2 = /^\s*sandbox_image\s*=\s*["']([^"']+)["']/m.exec(toml);
  if (v2) return v2[1];
  const section = /^\s*\[plugins\.["']io\.containerd\.cri\.v1\.images["']\.pinned_images\]\s*$([\s\S]*?)(?=^\s*\[|$(?![\s\S]))/m.exec(toml);
  const v3 = section ? /^\s*sandbox\s*=\s*["']([^"']+)["']/m.exec(section[1] ?? '') : null;
  return v3?.[1];
}

/** The [grpc] address a containerd TOML config sets. */
export function grpcAddressFromContainerdToml(toml: string): string | undefined {
  const section = /^\s*\[grpc\]\s*$([\s\S]*?)(?=^\s*\[|$(?![\s\S]))/m.exec(toml);
  return section ? /^\s*address\s*=\s*["']([^"']+)["']/m.exec(section[1] ?? '')?.[1] : undefined;
}

/** `containerd config dump` read only when it describes the runtime that serves `servedAt` (its socket path). */
export function configDumpSandboxImage(toml: string, servedAt: string | undefined): Finding {
  const address = grpcAddressFromContainerdToml(toml);
  if (!servedAt) return { why: 'the runtime does not say which socket it serves, so the dump cannot be matched to it' };
  if (address !== servedAt.replace(/^unix:\/\//, '')) return { why: `the dump is of a containerd serving ${address ?? 'no [grpc] address'}, not ${servedAt}` };
  const image = sandboxImageFromContainerdToml(toml);
  return image ? { image } : { why: 'the dump names no sandbox image' };
}

/** The image most of the given sandboxes were made from, and how many use it. */
export function commonSandboxImage(images: string[]): { image: string; count: number; of: number } | undefined {
  const counts = new Map<string, number>();
  for (const image of images.filter(Boolean)) counts.set(image, (counts.get(image) ?? 0) + 1);
  const [best] = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return best ? { image: best[0], count: best[1], of: images.length } : undefined;
}

/**
 * `ctr images ls` -> the image id (config digest) of a reference: the CRI keeps, next to each
 * name, a reference named by the image id (sha256:<config digest>) with the same manifest digest.
 */
export function imageIdFromCtrImagesLs(output: string, reference: string): string | undefined {
  const rows = output
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((cells) => cells.length >= 3)
    .map(([ref = '', , digest = '']) => ({ ref, digest }));
  const named = rows.find((row) => row.ref === reference);
  if (!named) return undefined;
  return rows.find((row) => row.ref !== reference && /^sha256:[0-9a-f]{64}$/.test(row.ref) && row.digest === named.digest)?.ref;
}

/** What the resolution found, for RuntimeFacts and TargetInfo. */
export interface SandboxImageFacts {
  sandboxImage?: string;
  /** Where sandboxImage came from, e.g. "the runtime's pinned image (crictl images)". */
  sandboxImageSource?: string;
  sandboxImageId?: string;
  /** Where the id came from, e.g. "crictl inspecti registry.k8s.io/pause:3.10". */
  sandboxImageIdSource?: string;
  /** When no source named the image: what each source said. */
  sandboxImageUnknown?: string;
}

/** One place a runtime may tell its sandbox image; `read` answers a finding, or undefined when the place does not exist on this runtime. */
export interface SandboxImageSource {
  /** Where, for the report: "crictl info config.sandboxImage". */
  describe: string;
  read(): Promise<Finding | undefined>;
}

/**
 * Tries each source in order; the first that names an image wins. The id comes with it (the
 * image list carries it) or from `imageId` (ImageStatus / crictl inspecti / ctr images ls).
 */
export async function resolveSandboxImage(sources: SandboxImageSource[], imageId: (image: string) => Promise<{ id: string; source: string } | undefined>): Promise<SandboxImageFacts> {
  const tried: string[] = [];
  for (const source of sources) {
    let finding: Finding | undefined;
    try {
      finding = await source.read();
    } catch (error) {
      // One place failing to answer does not hide the others; it is said when none answers.
      finding = { why: `failed: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}` };
    }
    if (finding === undefined) continue;
    if ('why' in finding) {
      tried.push(`${source.describe}: ${finding.why}`);
      continue;
    }
    const facts: SandboxImageFacts = { sandboxImage: finding.image, sandboxImageSource: source.describe };
    if (finding.id) {
      facts.sandboxImageId = finding.id;
      facts.sandboxImageIdSource = source.describe;
      return facts;
    }
    const id = await imageId(finding.image);
    if (id) {
      facts.sandboxImageId = id.id;
      facts.sandboxImageIdSource = id.source;
    }
    return facts;
  }
  return { sandboxImageUnknown: tried.join('; ') || 'no source' };
}
