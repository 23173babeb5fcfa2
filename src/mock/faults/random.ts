/**
 * The fault layer's seeded PRNG: a run on a `VirtualClock` replays exactly
 * from its seed (`bus.faults.seed`).
 *
 * @module
 */

/**
 * Mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)).
 *
 * @example
 * ```ts
 * import { seededRandom } from "./random.ts";
 * const a = seededRandom(42);
 * const b = seededRandom(42);
 * console.log(a() === b()); // true: the same seed draws the same numbers
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
