/**
 * The fault layer's seeded PRNG: a run on a `VirtualClock` replays exactly
 * from its seed (`bus.faults.seed`).
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.faults.seed(7); // the same drops and jitter on every run
 * ```
 * @module
 */

/**
 * Mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)).
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * new MockBus().faults.seed(42);
 * ```
 */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
