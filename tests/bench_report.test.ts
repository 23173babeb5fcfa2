/**
 * What the benchmark reports of several runs, alone (no runtime or
 * library): the median run of a row, flows combined round by round, and
 * the tracing table's "before → nobody subscribed → subscribed" cells,
 * where a reader of `bench/README.md` reads what tracing costs.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { median, medianFlows } from "../bench/runner/medians.ts";
import {
  type Outcome,
  type Results,
  tracedTable,
} from "../bench/runner/report.ts";

const ok = (value: Record<string, unknown>): Outcome => ({ ok: true, value });
const flowRun = (...perS: number[]): Outcome =>
  ok({
    flows: perS.map((per_s, i) => ({
      inflight: [1, 64, 1024][i],
      per_s,
      p50_ms: per_s / 1000,
    })),
  });
const results = (send: Record<string, Outcome>, flow = {}): Results => ({
  send,
  recv: {},
  flow,
  membus: {},
});

describe("bench medians", () => {
  test("bench medians - the median send run is kept, with every run's rate", () => {
    const m = median([
      ok({ calls_per_s: 3 }),
      ok({ calls_per_s: 1 }),
      ok({ calls_per_s: 2 }),
    ], "calls_per_s");
    assert.deepEqual(m, {
      ok: true,
      value: { calls_per_s: 2, all_calls_per_s: [3, 1, 2] },
    });
  });

  test("bench medians - each flow round is its own median run, figures from that run", () => {
    const m = medianFlows([
      flowRun(10, 500, 900),
      flowRun(30, 100, 700),
      flowRun(20, 300, 800),
    ]);
    assert.ok(m.ok);
    const flows = m.value.flows as Array<Record<string, number>>;
    assert.deepEqual(flows.map((f) => f.per_s), [20, 300, 800]);
    // A round's latency comes from the run whose rate was kept.
    assert.deepEqual(flows.map((f) => f.p50_ms), [0.02, 0.3, 0.8]);
    assert.deepEqual(flows[1].all_per_s, [500, 100, 300]);
  });

  test("bench medians - a failed run is what is reported", () => {
    const failed: Outcome = { ok: false, error: "no RESULT", crashed: true };
    assert.equal(medianFlows([flowRun(1, 2, 3), failed]), failed);
    assert.equal(
      median([ok({ calls_per_s: 1 }), failed], "calls_per_s"),
      failed,
    );
  });
});

describe("bench tracing table", () => {
  const sendRow = (table: string) =>
    table.split("\n").find((l) => l.startsWith("| send 64-byte text"))!;

  test("bench tracing table - before, nobody subscribed and subscribed, each change against the one before", () => {
    const table = tracedTable(
      results({ deno: ok({ calls_per_s: 1_100_000 }) }),
      results({ deno: ok({ calls_per_s: 550_000 }) }),
      results({ deno: ok({ calls_per_s: 1_000_000 }) }),
    );
    const cells = sendRow(table).split("|").map((c) => c.trim());
    assert.equal(cells[2], "1.00 M → 1.10 M (+10 %) → 550.0 k (−50 %)");
  });

  test("bench tracing table - a driver with no before run says why under the table", () => {
    const table = tracedTable(
      results({ bun: ok({ calls_per_s: 2_000_000 }) }),
      results({ bun: ok({ calls_per_s: 1_000_000 }) }),
      results({}),
      { bun: "n/a (commit c430c5d not in this clone)" },
    );
    assert.match(sendRow(table), /\| – → 2\.00 M → 1\.00 M \(−50 %\) \|/);
    assert.match(
      table,
      /Before: bun: n\/a \(commit c430c5d not in this clone\)\./,
    );
  });

  test("bench tracing table - a change that rounds to nothing reads +0 %", () => {
    const table = tracedTable(
      results({ deno: ok({ calls_per_s: 999_800 }) }),
      results({ deno: ok({ calls_per_s: 500_000 }) }),
      results({ deno: ok({ calls_per_s: 1_000_000 }) }),
    );
    assert.match(sendRow(table), /\(\+0 %\) →/);
  });

  test("bench tracing table - a crashed run shows as crashed, not as a figure", () => {
    const table = tracedTable(
      results({ node: ok({ calls_per_s: 1 }) }),
      results({ node: { ok: false, error: "exit 139", crashed: true } }),
      results({ node: ok({ calls_per_s: 1 }) }),
    );
    assert.match(sendRow(table), /\*\*crashed\*\*/);
  });
});
