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

/**
 * Milliseconds as the CLI prints them: two decimals below 10 ms, one
 * above; `-` for none.
 *
 * @example
 * ```ts
 * import { formatMs } from "./stats.ts";
 * console.log(formatMs(3.14159), formatMs(42), formatMs(null)); // 3.14 ms 42.0 ms -
 * ```
 */
export function formatMs(v: number | null): string {
  return v === null || Number.isNaN(v)
    ? "-"
    : `${v < 10 ? v.toFixed(2) : v.toFixed(1)} ms`;
}

/** The figures of a `--repeat` run (the JSON form of its summary). */
export interface RunSummary {
  /** Calls made (succeeded + failed). */
  calls: number;
  /** Calls that failed. */
  failed: number;
  /** Wall time, seconds. */
  seconds: number;
  /** Calls per second. */
  rate: number;
  /** Median latency of the successful calls, ms (null: none succeeded). */
  p50Ms: number | null;
  /** 99th percentile latency, ms (null: none succeeded). */
  p99Ms: number | null;
}

const round = (v: number, digits: number): number =>
  Math.round(v * 10 ** digits) / 10 ** digits;

/**
 * The figures of a run: calls, wall time, throughput, p50/p99 of the
 * successful calls' latencies (ms), failures.
 *
 * @example
 * ```ts
 * import { summary } from "./stats.ts";
 * console.log(summary([1.5, 2.5], 1, 100).rate); // 30
 * ```
 */
export function summary(
  latencies: readonly number[],
  failed: number,
  wallMs: number,
): RunSummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  const calls = sorted.length + failed;
  const pct = (p: number): number | null =>
    sorted.length ? round(percentile(sorted, p), 3) : null;
  return {
    calls,
    failed,
    seconds: round(wallMs / 1000, 3),
    rate: round(wallMs > 0 ? (calls * 1000) / wallMs : 0, 1),
    p50Ms: pct(50),
    p99Ms: pct(99),
  };
}

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
  const s = summary(latencies, failed, wallMs);
  return `${s.calls} calls in ${(wallMs / 1000).toFixed(2)} s: ${
    s.rate.toFixed(1)
  } calls/s, p50 ${formatMs(s.p50Ms)}, p99 ${
    formatMs(s.p99Ms)
  }, ${s.failed} failed`;
}

/**
 * The live status line of a run on a terminal: the bar, the rate so far and
 * the time left at that rate.
 *
 * @example
 * ```ts
 * import { progressLine } from "./stats.ts";
 * console.log(progressLine(50, 100, 0, 2000)); // "[###...] 50/100 25.0 calls/s, 2.0 s left"
 * ```
 */
export function progressLine(
  done: number,
  total: number,
  failed: number,
  elapsedMs: number,
): string {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const left = rate > 0 ? `${((total - done) / rate).toFixed(1)} s left` : "";
  return `${progressBar(done, total, failed)} ${rate.toFixed(1)} calls/s` +
    (left ? `, ${left}` : "");
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
