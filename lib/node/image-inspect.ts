/**
 * Parser for an image's status with its config: what the sandbox image's entrypoint is, so a
 * suite can check that the pause process runs it. Two shapes carry the same facts:
 * - CRI gRPC ImageStatus(verbose): {image: {id, repoTags...}, info: {info: "<json>"}};
 * - `crictl inspecti -o json`: {status: {id, repoTags...}, info: {imageSpec, chainID}}.
 * containerd puts the OCI image config under info.imageSpec.config (Entrypoint, Cmd).
 * Fixture: fixtures/recorded/cri-imagestatus-verbose-pause.json (embedded node, containerd 1.6.20).
 */
import { verboseInfo } from './inspect-parsers.ts';
import type { ImageFacts } from './node-view.ts';
import { record, type Json } from './json-fields.ts';


function strings(value: Json): string[] {
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

/** Returns undefined when the document names no image (the runtime does not have it). */
export function parseImageInspect(document: Json): ImageFacts | undefined {
  const top = record(document);
  const image = record(top['image'] ?? top['status']);
  const id = image['id'];
  if (typeof id !== 'string' || id === '') return undefined;
  const config = record(record(verboseInfo(top['info'])['imageSpec'])['config']);
  return {
    id,
    repoTags: strings(image['repoTags']),
    repoDigests: strings(image['repoDigests']),
    entrypoint: strings(config['Entrypoint']),
    cmd: strings(config['Cmd']),
  };
}
