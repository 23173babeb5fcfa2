/**
 * Clocks, memory and percentiles for the JS benchmarks, the same under
 * Deno, Bun and Node.
 *
 * ```ts
 * import { collectGarbage, memory } from "./measure.ts";
 * collectGarbage();
 * console.log(memory().heap);
 * ```
 * @module
 */
import process from "node:process";

/** Milliseconds from a monotonic clock. */
export function now(): number {
  return performance.now();
}

/** CPU time (user + system, every thread) this process used so far, seconds. */
export function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** Resident set size and JS heap in use, bytes. */
export function memory(): { rss: number; heap: number } {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

/**
 * A full collection when the runtime allows it: `Bun.gc(true)`, or `gc()`
 * (Deno with `--v8-flags=--expose-gc`, Node with `--expose-gc`). Returns
 * whether one ran, so that heap figures can say they are not post-GC.
 */
export function collectGarbage(): boolean {
  const g = globalThis as {
    Bun?: { gc(force: boolean): void };
    gc?: () => void;
  };
  if (g.Bun) {
    g.Bun.gc(true);
    return true;
  }
  if (typeof g.gc === "function") {
    g.gc();
    g.gc();
    return true;
  }
  return false;
}

/** The `q` quantile (0–1) of `sorted` (ascending), nearest rank. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * q))];
}
