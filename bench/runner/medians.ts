/**
 * How the runner keeps one figure of several runs of a benchmark: the
 * median run, and for flows the median run of each round.
 *
 * ```ts
 * import { median } from "./medians.ts";
 * const run = (calls_per_s: number) => ({ ok: true as const, value: { calls_per_s } });
 * console.log(median([run(3), run(1), run(2)], "calls_per_s"));
 * ```
 * @module
 */
import type { Outcome } from "./report.ts";

/** The run with the median `key` (a failed run wins: it must be seen); all values kept as `all_<key>`. */
export function median(list: Outcome[], key: string): Outcome {
  const failed = list.find((o) => !o.ok);
  if (failed || list.length === 1) return failed ?? list[0];
  const ok = list as Array<Extract<Outcome, { ok: true }>>;
  const sorted = [...ok].sort((a, b) =>
    (a.value[key] as number) - (b.value[key] as number)
  );
  const mid = sorted[Math.floor(sorted.length / 2)];
  return {
    ok: true,
    value: { ...mid.value, [`all_${key}`]: ok.map((o) => o.value[key]) },
  };
}

/**
 * Flow runs combined round by round (1, 64, 1024 in flight): each round
 * is the run with that round's median rate, so one slow round in a run
 * does not pull the others along. A failed run wins, as in `median`.
 */
export function medianFlows(list: Outcome[]): Outcome {
  const failed = list.find((o) => !o.ok);
  if (failed || list.length === 1) return failed ?? list[0];
  const ok = list as Array<Extract<Outcome, { ok: true }>>;
  type Round = Record<string, unknown> & { per_s: number };
  const runs = ok.map((o) => o.value.flows as Round[]);
  const flows = runs[0].map((_, i) => {
    const sorted = runs.map((r) => r[i]).sort((a, b) => a.per_s - b.per_s);
    return {
      ...sorted[Math.floor(sorted.length / 2)],
      all_per_s: runs.map((r) => r[i].per_s),
    };
  });
  return { ok: true, value: { ...ok[0].value, flows } };
}
