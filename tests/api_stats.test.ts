/**
 * The parts behind `stats()` and the tracing channels, alone: the latency
 * histogram's precision and recent window, how flow callbacks count into
 * the figures (the outcomes the mock bus cannot produce included), and
 * the tracer's hand-published fallback against the runtime's own.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import diagnostics_channel from "node:diagnostics_channel";
import { FlowError, FlowTimeoutError } from "../mod.ts";
import {
  ClientCounters,
  FLOW_TIMEOUT_GRACE_MS,
  FlowCalls,
  LatencyStat,
  OperationTracer,
  runtimeHasTracingChannel,
} from "../internal.ts";
import { VirtualClock } from "../src/mock/mod.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const one = (ms: number) => {
  const st = new LatencyStat();
  st.record(ms, 0);
  return LatencyStat.summarize([st], 0).lifetime;
};

describe("latency histogram", () => {
  test("latency histogram - whole ms below 64 are exact, other values at most 1/32 low", () => {
    for (let ms = 0; ms < 64; ms++) {
      assert.deepEqual(one(ms), {
        count: 1,
        sum: ms,
        p50: ms,
        p90: ms,
        p99: ms,
        max: ms,
      });
    }
    for (const ms of [0.0004, 0.03, 0.0624]) {
      const p = one(ms).p50!;
      assert.ok(p <= ms && ms - p < 1 / 1024, `${ms} → ${p}`);
    }
    for (let ms = 0.07; ms < 3_600_000; ms *= 1.37) {
      const s = one(ms);
      assert.ok(
        s.p50! <= ms && s.p50! >= ms * (1 - 1 / 32),
        `${ms} → ${s.p50}`,
      );
      assert.equal(s.max, ms);
    }
    const huge = one(1e12); // past the last bucket (2^36 units, ~18.6 h)
    assert.equal(huge.max, 1e12);
    assert.ok(huge.p50! > 3.6e7 && huge.p50! <= 1e12);
    assert.equal(one(-5).max, 0, "a clock stepping back counts as 0");
  });

  test("latency histogram - percentiles are nearest-rank over the samples", () => {
    const st = new LatencyStat();
    for (let ms = 1; ms <= 100; ms++) st.record(ms, 0);
    const s = LatencyStat.summarize([st], 0).lifetime;
    assert.equal(s.count, 100);
    assert.equal(s.sum, 5050);
    assert.equal(s.p50, 50);
    assert.equal(s.p90, 90);
    assert.ok(s.p99! <= 99 && s.p99! >= 99 * (1 - 1 / 32), `p99 ${s.p99}`);
    assert.equal(s.max, 100);
  });

  test("latency histogram - the recent window is the current 10 s slot and the five before", () => {
    const st = new LatencyStat();
    st.record(5, 0);
    st.record(7, 25_000);
    const at = (now: number) => LatencyStat.summarize([st], now);
    assert.equal(at(59_999).recent.count, 2);
    assert.deepEqual(at(60_000).recent, {
      count: 1,
      sum: 7,
      p50: 7,
      p90: 7,
      p99: 7,
      max: 7,
    });
    assert.equal(at(90_000).recent.count, 0);
    assert.equal(at(90_000).lifetime.count, 2);
    // A slot is reused for a later 10 s: what it held is gone.
    st.record(9, 60_000);
    assert.deepEqual(at(60_000).recent.count, 2);
    assert.equal(at(60_000).recent.max, 9);
    assert.equal(at(60_000).lifetime.max, 9);
  });

  test("latency histogram - absorb adds another's life and recent slots", () => {
    const a = new LatencyStat();
    const b = new LatencyStat();
    a.record(4, 1000);
    b.record(8, 2000);
    b.record(12, 70_000);
    a.absorb(b);
    const s = LatencyStat.summarize([a], 70_000);
    assert.equal(s.lifetime.count, 3);
    assert.equal(s.lifetime.sum, 24);
    assert.equal(s.lifetime.max, 12);
    assert.equal(s.recent.count, 1, "slots older than the window stay out");
    assert.deepEqual(
      LatencyStat.summarize([a], 70_000),
      LatencyStat.summarize([new LatencyStat(), a], 70_000),
    );
  });
});

describe("flow figures", () => {
  function calls() {
    const clock = new VirtualClock();
    const counters = new ClientCounters();
    const raised: string[] = [];
    const flows = new FlowCalls(
      clock,
      { debug() {}, info() {}, warn() {}, error() {} },
      (method) => void raised.push(method),
      counters,
    );
    const figures = () =>
      counters.totals(clock.now(), {
        flows: flows.inFlight,
        pings: 0,
      }).flows;
    return { clock, counters, raised, flows, figures };
  }
  const ended = (f: ReturnType<ReturnType<typeof calls>["figures"]>) =>
    f.answered + f.failed + f.notStarted + f.timedOut + f.aborted + f.inFlight;

  test("flow figures - result codes count as failed by code, a result that is not JSON as -99", async () => {
    const { clock, flows, figures, counters } = calls();
    const p = flows.track(1, "ivr", true, 30_000);
    const q = flows.track(2, "ivr", true, 30_000);
    await clock.advance(10);
    flows.acknowledged(null, bytes("ivr"), 1, 1, bytes(""));
    flows.acknowledged(null, bytes("ivr"), 1, 1, bytes("")); // counted once
    flows.returned(null, bytes("ivr"), 1, -5, bytes(""));
    flows.returned(null, bytes("ivr"), 2, 1, bytes("not json"));
    await assert.rejects(p, (e) => e instanceof FlowError && e.code === -5);
    await assert.rejects(q);
    const f = figures();
    assert.equal(f.started, 2);
    assert.equal(f.acknowledged, 1);
    assert.equal(f.failed, 2);
    assert.deepEqual(f.failedByCode, { "-99": 1, "-5": 1 });
    assert.equal(ended(f), f.started);
    assert.equal(counters.flowAck.count, 1);
    assert.equal(counters.flowResult.count, 0, "only answers are timed");
  });

  test("flow figures - the seed's invokeFlow() is followed: answered with latencies, or timed out silently", async () => {
    const { clock, flows, figures, counters, raised } = calls();
    flows.started(3, "ivr", true, 1000);
    flows.started(4, "ivr", true, 1000);
    flows.started(5, "ivr", false, 1000);
    assert.equal(flows.size, 0, "none is awaited");
    assert.equal(flows.inFlight, 3);
    await clock.advance(12);
    flows.acknowledged(null, bytes("ivr"), 4, 1, bytes(""));
    flows.acknowledged(null, bytes("ivr"), 5, 1, bytes(""));
    await clock.advance(30);
    flows.returned(null, bytes("ivr"), 4, 1, bytes('["x"]'));
    let f = figures();
    assert.deepEqual(
      [f.started, f.acknowledged, f.answered, f.inFlight],
      [3, 2, 2, 1],
    );
    const acks = LatencyStat.summarize([counters.flowAck], clock.now());
    assert.equal(acks.lifetime.max, 12);
    const results = LatencyStat.summarize([counters.flowResult], clock.now());
    assert.equal(results.lifetime.max, 42);
    raised.length = 0;
    await clock.advance(1000 + FLOW_TIMEOUT_GRACE_MS);
    f = figures();
    assert.equal(f.timedOut, 1);
    assert.equal(f.inFlight, 0);
    assert.deepEqual(
      raised,
      [],
      "the seed's events come from the library only",
    );
    flows.returned(null, bytes("ivr"), 3, -25, bytes(""));
    assert.equal(figures().timedOut, 1, "a late report is not counted again");
  });

  test("flow figures - aborts, a reused invoke id and closing each count once", async () => {
    const { flows, figures } = calls();
    const ac = new AbortController();
    const a = flows.track(6, "ivr", true, 30_000, ac.signal);
    ac.abort();
    await assert.rejects(a);
    flows.returned(null, bytes("ivr"), 6, 1, bytes("[]"));
    const first = flows.track(7, "ivr", true, 30_000);
    const second = flows.track(7, "ivr", true, 30_000);
    await assert.rejects(first, FlowTimeoutError);
    const pre = new AbortController();
    pre.abort();
    await assert.rejects(flows.track(8, "ivr", true, 30_000, pre.signal));
    flows.started(9, "ivr", true, 30_000);
    flows.rejectAll(() => new Error("closing"));
    await assert.rejects(second);
    const f = figures();
    assert.deepEqual(
      [f.started, f.answered, f.timedOut, f.aborted, f.inFlight],
      [5, 0, 1, 4, 0],
    );
    assert.equal(ended(f), f.started);
  });
});

describe("tracer", () => {
  /** The events of `name`'s five channels, as plain channels see them. */
  function record(name: string): { events: string[]; off: () => void } {
    const events: string[] = [];
    const offs: (() => void)[] = [];
    for (const e of ["start", "end", "asyncStart", "asyncEnd", "error"]) {
      const channel = `tracing:${name}:${e}`;
      const fn = (m: unknown) => {
        const c = m as { result?: unknown; error?: unknown };
        events.push(
          `${e}${"result" in c ? `=${c.result}` : ""}${
            "error" in c ? `!${(c.error as Error).message}` : ""
          }`,
        );
      };
      diagnostics_channel.subscribe(channel, fn);
      offs.push(() => diagnostics_channel.unsubscribe(channel, fn));
    }
    return { events, off: () => offs.forEach((f) => f()) };
  }

  async function drive(t: OperationTracer<object>): Promise<void> {
    assert.equal(t.sync({}, () => 1), 1);
    assert.throws(() =>
      t.sync({}, () => {
        throw new Error("s");
      })
    );
    assert.equal(await t.promise({}, () => Promise.resolve(2)), 2);
    await assert.rejects(
      t.promise({}, () => Promise.reject(new Error("p"))),
      /p/,
    );
    assert.throws(() =>
      t.promise({}, () => {
        throw new Error("t");
      })
    );
    const outcome: unknown[] = [];
    await t.promise(
      {},
      () => Promise.resolve(3),
      (_c, e) => void outcome.push(e),
    );
    assert.deepEqual(outcome, [undefined]);
  }

  test("tracer - by hand it publishes what the runtime's tracingChannel does", async () => {
    const byHand = record("smartbus-test:hand");
    const hand = new OperationTracer("smartbus-test:hand", false);
    assert.equal(hand.active, true);
    await drive(hand);
    byHand.off();
    assert.equal(hand.active, false);
    assert.deepEqual(byHand.events, [
      "start",
      "end=1",
      "start",
      "error!s",
      "end!s",
      "start",
      "end",
      "asyncStart=2",
      "asyncEnd=2",
      "start",
      "end",
      "error!p",
      "asyncStart!p",
      "asyncEnd!p",
      "start",
      "error!t",
      "end!t",
      "start",
      "end",
      "asyncStart=3",
      "asyncEnd=3",
    ]);
    if (!runtimeHasTracingChannel) return;
    const runtime = record("smartbus-test:runtime");
    await drive(new OperationTracer("smartbus-test:runtime", true));
    runtime.off();
    assert.deepEqual(runtime.events, byHand.events);
  });
});
