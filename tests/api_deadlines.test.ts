/**
 * The API's deadline queue and flow-call bookkeeping (`DeadlineQueue`,
 * `FlowCalls`) on their own, with a hand-driven clock: no backend, runs
 * unchanged under Deno and Bun.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AbortedError, FlowTimeoutError, silentLogger } from "../mod.ts";
import { DeadlineQueue, FlowCalls } from "../internal.ts";
import { VirtualClock } from "../src/mock/mod.ts";

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);
const P = bytes("p");
const quietFlows = (clock: VirtualClock): FlowCalls =>
  new FlowCalls(clock, silentLogger, () => {});

type Op = { kind: "add"; ms: number } | { kind: "remove"; pick: number } | {
  kind: "advance";
  ms: number;
};

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant("add" as const),
    ms: fc.constantFrom(1, 5, 30, 100, 250),
  }),
  fc.record({ kind: fc.constant("remove" as const), pick: fc.nat() }),
  fc.record({
    kind: fc.constant("advance" as const),
    ms: fc.integer({ min: 0, max: 120 }),
  }),
);

describe("deadlines", () => {
  test("deadlines - each live entry expires once, exactly when due, and removed ones never", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
        const clock = new VirtualClock();
        const expired: { id: number; at: number; due: number }[] = [];
        const q = new DeadlineQueue<{ id: number; due: number }>(
          clock,
          (it) => expired.push({ id: it.id, at: clock.now(), due: it.due }),
        );
        const live = new Map<number, ReturnType<typeof q.add>>();
        const removed = new Set<number>();
        let next = 0;
        for (const o of ops) {
          if (o.kind === "add") {
            const id = next++;
            live.set(id, q.add({ id, due: clock.now() + o.ms }, o.ms));
          } else if (o.kind === "remove" && live.size > 0) {
            const id = [...live.keys()][o.pick % live.size];
            q.remove(live.get(id)!);
            live.delete(id);
            removed.add(id);
          } else if (o.kind === "advance") {
            await clock.advance(o.ms);
            for (const e of expired) live.delete(e.id);
          }
        }
        await clock.advance(1000);
        const ids = expired.map((e) => e.id);
        assert.equal(new Set(ids).size, ids.length, "no entry expires twice");
        for (const e of expired) {
          assert.ok(!removed.has(e.id), `removed entry ${e.id} expired`);
          assert.equal(
            e.at,
            e.due,
            `entry ${e.id} expired at ${e.at}, due ${e.due}`,
          );
        }
        assert.equal(
          ids.length + removed.size,
          next,
          "every entry either expired or was removed",
        );
        assert.equal(q.size, 0);
        assert.equal(clock.pendingTimers, 0, "no timer left");
      }),
      { numRuns: 200 },
    );
  });

  test("deadlines - the flow calls use one timer for many calls and frees it when they settle", async () => {
    const clock = new VirtualClock();
    const flows = quietFlows(clock);
    const calls = Array.from(
      { length: 1000 },
      (_, i) => flows.track(i + 1, "p", true, 30_000),
    );
    assert.equal(clock.pendingTimers, 1);
    for (let i = 0; i < 999; i++) {
      flows.returned(null, P, i + 1, 1, bytes(JSON.stringify([i])));
    }
    assert.deepEqual(await calls[998], [998]);
    assert.equal(flows.size, 1);
    const late = assert.rejects(
      calls[999],
      (e: unknown) => e instanceof FlowTimeoutError && e.invokeId === 1000,
    );
    await clock.advance(32_000);
    await late;
    assert.equal(flows.size, 0);
    assert.equal(clock.pendingTimers, 0);
  });
  test("deadlines - one signal aborts all its calls once and is let go when they settle", async () => {
    const clock = new VirtualClock();
    const flows = quietFlows(clock);
    const ac = new AbortController();
    const calls = [1, 2, 3].map((id) =>
      flows.track(id, "p", true, 30_000, ac.signal)
    );
    flows.returned(null, P, 2, 1, bytes('["done"]'));
    assert.deepEqual(await calls[1], ["done"]);
    ac.abort(new Error("stop"));
    for (const i of [0, 2]) {
      await assert.rejects(
        calls[i],
        (e: unknown) =>
          e instanceof AbortedError && (e.cause as Error).message === "stop",
      );
    }
    assert.equal(flows.size, 0);
    assert.equal(clock.pendingTimers, 0);
    const later = new AbortController();
    const p = flows.track(4, "p", false, 1000, later.signal);
    flows.acknowledged(null, P, 4, 1, bytes(""));
    assert.deepEqual(await p, []);
    later.abort();
    await assert.rejects(
      flows.track(5, "p", true, 1000, later.signal),
      AbortedError,
    );
    assert.equal(
      flows.size,
      0,
      "an already aborted signal leaves nothing behind",
    );
  });

  test("flows - the library's own ack timer (-25, no head) times out a call without result; one wanting a result waits on", async () => {
    // The vendor's library raises ack -25 with no head when no acknowledge
    // came in clamp(timeout, 1 s, 5 s), even after the result came.
    const clock = new VirtualClock();
    const flows = quietFlows(clock);
    const noResult = flows.track(1, "p", false, 5000);
    const withResult = flows.track(2, "p", true, 5000);
    flows.acknowledged(null, P, 1, -25, bytes(""));
    flows.acknowledged(null, P, 2, -25, bytes(""));
    await assert.rejects(noResult, FlowTimeoutError);
    assert.equal(flows.size, 1, "the call wanting a result still waits");
    flows.returned(null, P, 2, 1, bytes("[7]"));
    assert.deepEqual(await withResult, [7]);
  });
});
