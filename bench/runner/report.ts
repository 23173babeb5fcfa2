/**
 * Turns the benchmark results into the table (markdown, printed and put in
 * `bench/README.md`), with every figure beside its Python and C baselines of
 * the same run, and the targets met or missed.
 *
 * ```ts
 * import { table } from "./report.ts";
 * declare const results: import("./report.ts").Results;
 * console.log(table(results).markdown);
 * ```
 * @module
 */
import { type DriverName, DRIVERS } from "./plan.ts";

/** One driver's result of one benchmark, or why there is none. */
export type Outcome =
  | { ok: true; value: Record<string, unknown> }
  | { ok: false; error: string; crashed: boolean };

/** Everything one run measured. */
export interface Results {
  /** `send` calls per second, per driver. */
  send: Partial<Record<DriverName, Outcome>>;
  /** Receive: streaming and burst drain, per driver. */
  recv: Partial<Record<DriverName, Outcome>>;
  /** Flow round trips at each concurrency, per driver. */
  flow: Partial<Record<DriverName, Outcome>>;
  /** The in-memory mock bus, per runtime. */
  membus: Partial<Record<"deno" | "bun", Outcome>>;
}

/** A target's verdict for one driver. */
export interface Verdict {
  /** The table row. */
  row: string;
  /** The driver judged. */
  driver: string;
  /** Whether the target is met. */
  met: boolean;
  /** The figure and the target, for the summary. */
  detail: string;
}

type Get = (v: Record<string, unknown>) => number | undefined;
interface Row {
  label: string;
  bench: keyof Results;
  get: Get;
  unit: "rate" | "ms" | "us" | "mb" | "bytes" | "count";
  /** Higher is better (rates) or lower (latency, memory). */
  higher: boolean;
  ratios: boolean;
  target?: {
    text: string;
    drivers: string[];
    check: (v: number, py?: number, c?: number, driver?: string) => boolean;
  };
}

const num = (x: unknown): number | undefined =>
  typeof x === "number" && Number.isFinite(x) ? x : undefined;
const flowAt = (k: number, key: string): Get => (v) => {
  const f = (v.flows as Array<Record<string, unknown>> | undefined)?.find((x) =>
    x.inflight === k
  );
  return f ? num(f[key]) : undefined;
};
const MB = 1024 * 1024;
const JS = ["deno", "bun", "node"];

function rows(): Row[] {
  const out: Row[] = [
    {
      label: "send 64-byte text, calls/s",
      bench: "send",
      get: (v) => num(v.calls_per_s),
      unit: "rate",
      higher: true,
      ratios: true,
      target: {
        text: "≥ 10× Python (Deno, Bun), ≥ 5× (Node)",
        drivers: JS,
        check: (v, py, _c, d) =>
          py !== undefined && v >= (d === "node" ? 5 : 10) * py,
      },
    },
    {
      label: "receive, streaming through the mock bus (server-bound), msgs/s",
      bench: "recv",
      get: (v) => num(v.msgs_per_s),
      unit: "rate",
      higher: true,
      ratios: true,
    },
    {
      label: "receive, library → handler (burst drain), msgs/s",
      bench: "recv",
      get: (v) => num(v.burst_msgs_per_s) || undefined,
      unit: "rate",
      higher: true,
      ratios: true,
      target: {
        text: "≥ 5× Python",
        drivers: JS,
        check: (v, py) => py !== undefined && v >= 5 * py,
      },
    },
    {
      label: "receive, burst drain: receiver CPU per message, µs",
      bench: "recv",
      get: (v) =>
        num(v.burst_cpu_s) !== undefined && (v.burst as number) > 1
          ? (v.burst_cpu_s as number) * 1e6 / ((v.burst as number) - 1)
          : undefined,
      unit: "us",
      higher: false,
      ratios: true,
    },
    {
      label: "receive, streaming: receiver CPU per message, µs",
      bench: "recv",
      get: (v) =>
        num(v.cpu_s) !== undefined
          ? (v.cpu_s as number) * 1e6 /
            ((v.count as number) - (v.warm as number))
          : undefined,
      unit: "us",
      higher: false,
      ratios: true,
    },
    {
      label: "receive: heap growth after GC, MB",
      bench: "recv",
      get: (v) =>
        num(v.heap_after) !== undefined
          ? ((v.heap_after as number) - (v.heap_before as number)) / MB
          : undefined,
      unit: "mb",
      higher: false,
      ratios: false,
      target: { text: "< 1 MB (no growth)", drivers: JS, check: (v) => v < 1 },
    },
    {
      label: "receive: RSS growth, MB",
      bench: "recv",
      get: (v) =>
        num(v.rss_after) !== undefined
          ? ((v.rss_after as number) - (v.rss_before as number)) / MB
          : undefined,
      unit: "mb",
      higher: false,
      ratios: false,
      target: { text: "< 8 MB (flat)", drivers: JS, check: (v) => v < 8 },
    },
  ];
  for (const k of [1, 64, 1024]) {
    out.push(
      {
        label: `flow round trips, ${k} in flight, /s`,
        bench: "flow",
        get: flowAt(k, "per_s"),
        unit: "rate",
        higher: true,
        ratios: true,
        target: k === 1024
          ? {
            text: "≥ C",
            drivers: JS,
            check: (v, _py, c) => c !== undefined && v >= c,
          }
          : undefined,
      },
      {
        label: `flow, ${k} in flight: driver CPU per round trip, µs`,
        bench: "flow",
        get: (v) => {
          const cpu = flowAt(k, "cpu_s")(v);
          const n = flowAt(k, "count")(v);
          return cpu !== undefined && n ? cpu * 1e6 / n : undefined;
        },
        unit: "us",
        higher: false,
        ratios: true,
        target: k === 1 ? undefined : {
          text: "≤ ½ Python",
          drivers: JS,
          check: (v, py) => py !== undefined && v * 2 <= py,
        },
      },
      {
        label: `flow, ${k} in flight, p50 ms`,
        bench: "flow",
        get: flowAt(k, "p50_ms"),
        unit: "ms",
        higher: false,
        ratios: true,
      },
      {
        label: `flow, ${k} in flight, p99 ms`,
        bench: "flow",
        get: flowAt(k, "p99_ms"),
        unit: "ms",
        higher: false,
        ratios: true,
        target: k === 1
          ? {
            text: "≤ Python",
            drivers: JS,
            check: (v, py) => py !== undefined && v <= py,
          }
          : undefined,
      },
    );
  }
  out.push({
    // The vendor's library drops an answer that beats its own record of
    // the call: such a call times out. Zero is the figure to expect.
    label: "flow calls with no answer within the timeout, all rounds",
    bench: "flow",
    get: (v) => {
      const flows = v.flows as Array<Record<string, unknown>> | undefined;
      return flows?.reduce((n, f) => n + (num(f.errors) ?? 0), 0);
    },
    unit: "count",
    higher: false,
    ratios: false,
  });
  out.push(
    {
      label: "mock bus core: messages routed/s",
      bench: "membus",
      get: (v) => num(v.routed_per_s),
      unit: "rate",
      higher: true,
      ratios: false,
      target: {
        text: "≥ 1,000,000/s",
        drivers: ["deno", "bun"],
        check: (v) => v >= 1e6,
      },
    },
    {
      label: "mock bus core: heap kept per routed message, bytes",
      bench: "membus",
      get: (v) => num(v.routed_heap_per_msg),
      unit: "bytes",
      higher: false,
      ratios: false,
    },
    {
      label: "mock bus via API (send → receiveData), msgs/s",
      bench: "membus",
      get: (v) => num(v.api_per_s),
      unit: "rate",
      higher: true,
      ratios: false,
    },
    {
      label: "mock bus via API: flows/s (64 in flight)",
      bench: "membus",
      get: (v) => num(v.flows_per_s),
      unit: "rate",
      higher: true,
      ratios: false,
    },
    {
      label: "mock bus: heap per 100,000 pending flow calls, MB",
      bench: "membus",
      get: (v) => num(v.pending_mb_per_100k),
      unit: "mb",
      higher: false,
      ratios: false,
      target: {
        text: "< 64 MB",
        drivers: ["deno", "bun"],
        check: (v) => v < 64,
      },
    },
    {
      label: "mock bus: heap left once they settled, MB per 100,000",
      bench: "membus",
      get: (v) => num(v.settled_mb_per_100k),
      unit: "mb",
      higher: false,
      ratios: false,
      target: {
        text: "< 1 MB (all freed)",
        drivers: ["deno", "bun"],
        check: (v) => v < 1,
      },
    },
    {
      label: "mock bus: heap left after bus.reset(), MB per 100,000",
      bench: "membus",
      get: (v) => num(v.after_reset_mb_per_100k),
      unit: "mb",
      higher: false,
      ratios: false,
    },
  );
  return out;
}

function fmt(v: number, unit: Row["unit"]): string {
  if (unit === "rate") {
    if (v >= 1e6) return `${(v / 1e6).toFixed(2)} M`;
    if (v >= 1e3) return `${(v / 1e3).toFixed(1)} k`;
    return v.toFixed(0);
  }
  if (unit === "ms") {
    return v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(2) : v.toFixed(0);
  }
  if (unit === "mb") return v.toFixed(1);
  return v.toFixed(0);
}

const times = (r: number): string =>
  r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2);

/**
 * The markdown table, and the verdict of every target. With `targets:
 * false` (the vendor library's table: the targets are the stand-in's) the
 * table has neither the target column nor the in-memory bus rows.
 */
export function table(
  results: Results,
  na: Partial<Record<DriverName, string>> = {},
  options: { targets?: boolean } = {},
): {
  markdown: string;
  verdicts: Verdict[];
} {
  const targets = options.targets ?? true;
  const verdicts: Verdict[] = [];
  const last = targets ? " target |" : "";
  const lines = [
    `| measure | ${DRIVERS.join(" | ")} |${last}`,
    `| --- | ${DRIVERS.map(() => "---:").join(" | ")} |${
      targets ? " --- |" : ""
    }`,
  ];
  for (const row of rows()) {
    if (!targets && row.bench === "membus") continue;
    const res = results[row.bench] as Partial<Record<string, Outcome>>;
    const value = (d: string): number | undefined => {
      const o = res[d];
      return o?.ok ? row.get(o.value) : undefined;
    };
    const py = value("python");
    const c = value("c");
    const cells = DRIVERS.map((d) => {
      const o = res[d];
      if (!o) {
        return row.bench === "membus" && d !== "deno" && d !== "bun"
          ? ""
          : (na[d] ?? "n/a");
      }
      if (!o.ok) return o.crashed ? "**crashed**" : o.error;
      const v = row.get(o.value);
      if (v === undefined) return "–";
      let cell = fmt(v, row.unit);
      if (row.ratios && d !== "python" && d !== "original" && d !== "c") {
        const better = (base: number | undefined) =>
          base === undefined || base === 0 || v === 0
            ? "?"
            : times(row.higher ? v / base : base / v);
        cell += ` (×${better(py)} py, ×${better(c)} C)`;
      } else if (
        row.ratios && (d === "python" || d === "original") && c !== undefined &&
        v !== 0
      ) {
        cell += ` (×${times(row.higher ? v / c : c / v)} C)`;
      }
      if (targets && row.target?.drivers.includes(d)) {
        const met = row.target.check(v, py, c, d);
        verdicts.push({
          row: row.label,
          driver: d,
          met,
          detail: `${fmt(v, row.unit)} vs ${row.target.text}`,
        });
        cell += met ? " ✅" : " ❌";
      }
      return cell;
    });
    const target = targets ? ` ${row.target?.text ?? ""} |` : "";
    lines.push(`| ${row.label} | ${cells.join(" | ")} |${target}`);
  }
  return { markdown: lines.join("\n"), verdicts };
}

/**
 * The JS drivers' send and flow rows on the package before statistics and
 * tracing, with nobody subscribed, and with one subscriber on every
 * tracing channel, from one run: `before → none (change) → subscribed
 * (change)`, each change against the figure before it. A set not run, or a
 * driver it could not run, shows "–" (`beforeNa` says why, under the
 * table).
 */
export function tracedTable(
  plain: Results,
  traced: Results,
  before: Results,
  beforeNa: Partial<Record<string, string>> = {},
): string {
  const lines = [
    `| measure | ${JS.join(" | ")} |`,
    `| --- | ${JS.map(() => "---:").join(" | ")} |`,
  ];
  const change = (from: number, to: number) => {
    if (from === 0) return "?";
    const pct = Math.abs((to / from - 1) * 100).toFixed(0);
    // A change that rounds to 0 reads "+0 %", never "−0 %".
    return `${to >= from || pct === "0" ? "+" : "−"}${pct} %`;
  };
  for (const row of rows()) {
    if (row.bench !== "send" && row.bench !== "flow") continue;
    if (row.unit === "count") continue;
    const bench = row.bench;
    const cells = JS.map((d) => {
      const runs = [before, plain, traced].map((r) =>
        (r[bench] as Partial<Record<string, Outcome>>)[d]
      );
      const failed = runs.find((o) => o && !o.ok);
      if (failed && !failed.ok) {
        return failed.crashed ? "**crashed**" : failed.error;
      }
      if (!runs[1]?.ok) return "n/a";
      const values = runs.map((o) => o?.ok ? row.get(o.value) : undefined);
      return values.map((v, i) => {
        if (v === undefined) return "–";
        const prev = values[i - 1];
        return prev === undefined
          ? fmt(v, row.unit)
          : `${fmt(v, row.unit)} (${change(prev, v)})`;
      }).join(" → ");
    });
    lines.push(`| ${row.label} | ${cells.join(" | ")} |`);
  }
  const reasons = JS.filter((d) => beforeNa[d]).map((d) =>
    `${d}: ${beforeNa[d]}`
  );
  if (reasons.length) lines.push("", `Before: ${reasons.join("; ")}.`);
  return lines.join("\n");
}
