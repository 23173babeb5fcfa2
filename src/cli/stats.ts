/**
 * Latency figures and the progress bar of `smartbus invoke --repeat`.
 *
 * @example
 * ```ts
 * import { percentile, summarize } from "./stats.ts";
 * console.log(percentile([1, 2, 3, 4], 50)); // 2
 * console.log(summarize([1, 2, 3], 0, 1000));
 * ```
 * @module
 */

/**
 * The `p`-th percentile (nearest rank) of ascending `sorted`; NaN when empty.
 *
 * @example
 * ```ts
 * import { percentile } from "./stats.ts";
 * console.log(percentile([5, 1, 9].sort((a, b) => a - b), 99)); // 9
 * ```
 */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

const ms = (v: number): string =>
  Number.isNaN(v) ? "-" : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;

/**
 * One line: calls, wall time, throughput, p50/p99 of the successful calls'
 * latencies (ms), and failures.
 *
 * @example
 * ```ts
 * import { summarize } from "./stats.ts";
 * console.log(summarize([1.5, 2.5], 1, 100)); // "3 calls in 0.10 s: ..."
 * ```
 */
export function summarize(
  latencies: readonly number[],
  failed: number,
  wallMs: number,
): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const total = sorted.length + failed;
  const rate = wallMs > 0 ? (total * 1000) / wallMs : 0;
  return `${total} calls in ${(wallMs / 1000).toFixed(2)} s: ${
    rate.toFixed(1)
  } calls/s, p50 ${ms(percentile(sorted, 50))}, p99 ${
    ms(percentile(sorted, 99))
  }, ${failed} failed`;
}

/**
 * A text progress bar: `[#####-----] 50/100 (2 failed)`.
 *
 * @example
 * ```ts
 * import { progressBar } from "./stats.ts";
 * console.log(progressBar(5, 10, 0, 10)); // "[#####-----] 5/10"
 * ```
 */
export function progressBar(
  done: number,
  total: number,
  failed: number,
  width = 30,
): string {
  const filled = total > 0 ? Math.round((done / total) * width) : width;
  return `[${"#".repeat(filled)}${
    "-".repeat(width - filled)
  }] ${done}/${total}` +
    (failed > 0 ? ` (${failed} failed)` : "");
}
