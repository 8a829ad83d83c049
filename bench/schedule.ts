/** Which lifecycles the bench runs at one concurrency, in which order. */
export type Mode = 'harness' | 'raw';

/** Lifecycles per mode at a concurrency: BENCH_PODS, but at least three blocks' worth of full concurrency. */
export function podsAt(pods: number, concurrency: number): number {
  return Math.max(pods, 3 * concurrency);
}

/**
 * Harness (H) and raw (R) blocks alternate in pairs whose order flips (H R, R H, H R...), so a
 * load that rises or falls during the level (other work on the machine) falls on both. A block
 * holds `concurrency` pods (so that many are really in flight) or a quarter of the level's,
 * whichever is more, so each mode gets a few blocks.
 */
export function blockOrder(pods: number, concurrency: number): [Mode, number][] {
  const size = Math.max(concurrency, Math.ceil(pods / 4));
  const left: Record<Mode, number> = { harness: pods, raw: pods };
  const order: [Mode, number][] = [];
  for (let pair = 0; left.harness > 0 || left.raw > 0; pair++) {
    for (const mode of pair % 2 === 0 ? (['harness', 'raw'] as const) : (['raw', 'harness'] as const)) {
      const count = Math.min(size, left[mode]);
      if (count > 0) order.push([mode, count]);
      left[mode] -= count;
    }
  }
  return order;
}

