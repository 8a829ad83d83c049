/**
 * A sandbox image that differs between the nodes of one run. A cluster run has one target per
 * node; the nodes whose sandbox image (reference, or id under the same reference) is not the one
 * most nodes use are flagged. Two nodes that disagree with no majority are both flagged.
 */
import type { TargetInfo } from '../target.ts';

export interface SandboxImageOutlier {
  nodeName: string;
  sandboxImage: string;
  sandboxImageId?: string;
  /** What differs from the majority: the reference itself, or the id behind the same reference. */
  differs: 'reference' | 'id';
}

export interface SandboxImageDrift {
  /** The reference (and id, when the nodes tell it) most nodes use, and how many nodes are not flagged; undefined with no majority. */
  majority?: { sandboxImage: string; sandboxImageId?: string; nodes: number };
  nodes: number;
  outliers: SandboxImageOutlier[];
}

/** The value more than half of the items share, if one does. */
function majorityOf(values: string[]): string | undefined {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  for (const [value, count] of counts) if (count * 2 > values.length) return value;
  return undefined;
}

export function sandboxImageDrift(targets: { info: Pick<TargetInfo, 'nodeName' | 'sandboxImage' | 'sandboxImageId'> }[]): SandboxImageDrift {
  const infos = targets.map((t) => t.info);
  const drift: SandboxImageDrift = { nodes: infos.length, outliers: [] };
  const outlier = (info: (typeof infos)[number], differs: SandboxImageOutlier['differs']): SandboxImageOutlier => ({
    nodeName: info.nodeName,
    sandboxImage: info.sandboxImage,
    ...(info.sandboxImageId ? { sandboxImageId: info.sandboxImageId } : {}),
    differs,
  });
  if (infos.length < 2) return drift;
  const reference = majorityOf(infos.map((i) => i.sandboxImage));
  if (reference === undefined) {
    drift.outliers = infos.map((i) => outlier(i, 'reference'));
    return drift;
  }
  const sameReference = infos.filter((i) => i.sandboxImage === reference);
  drift.outliers.push(...infos.filter((i) => i.sandboxImage !== reference).map((i) => outlier(i, 'reference')));
  // Under one reference, ids are compared only between nodes that report one: an unknown id is not a difference.
  const withId = sameReference.filter((i) => i.sandboxImageId);
  const id = majorityOf(withId.map((i) => i.sandboxImageId!));
  if (withId.length > 1) {
    for (const info of withId) if (info.sandboxImageId !== id) drift.outliers.push(outlier(info, 'id'));
  }
  drift.majority = { sandboxImage: reference, ...(id ? { sandboxImageId: id } : {}), nodes: infos.length - drift.outliers.length };
  return drift;
}

/** One line for a person: "" when every node uses the same sandbox image. */
export function describeDrift(drift: SandboxImageDrift): string {
  if (drift.outliers.length === 0) return '';
  const items = drift.outliers.map((o) => `${o.nodeName} uses ${o.sandboxImage}${o.differs === 'id' ? ` (id ${o.sandboxImageId})` : ''}`);
  const against = drift.majority ? `the other ${drift.majority.nodes} of ${drift.nodes} nodes use ${drift.majority.sandboxImage}${drift.majority.sandboxImageId && drift.outliers.some((o) => o.differs === 'id') ? ` (id ${drift.majority.sandboxImageId})` : ''}` : `no sandbox image is shared by most of the ${drift.nodes} nodes`;
  return `sandbox image differs between nodes: ${items.join('; ')}; ${against}`;
}
