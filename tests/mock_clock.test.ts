/**
 * The mock bus's clocks: `VirtualClock` (moves only when told) and
 * `RealClock`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RealClock, unrefTimer, VirtualClock } from "../src/mock/internal.ts";

describe("mock clock", () => {
  test("virtual clock - a timer fires exactly at its time, not before", async () => {
    const clock = new VirtualClock();
    const fired: number[] = [];
    clock.setTimeout(() => fired.push(clock.now()), 30_000);
    await clock.advance(29_999);
    assert.deepEqual(fired, []);
    assert.equal(clock.now(), 29_999);
    await clock.advance(1);
    assert.deepEqual(fired, [30_000]);
    assert.equal(clock.pendingTimers, 0);
  });

  test("virtual clock - timers run in time order, ties in the order set", async () => {
    const clock = new VirtualClock({ start: 100 });
    const order: string[] = [];
    clock.setTimeout(() => order.push("c"), 30);
    clock.setTimeout(() => order.push("a"), 10);
    clock.setTimeout(() => order.push("b1"), 20);
    clock.setTimeout(() => order.push("b2"), 20);
    assert.equal(clock.nextTimerAt(), 110);
    await clock.advance(100);
    assert.deepEqual(order, ["a", "b1", "b2", "c"]);
    assert.equal(clock.now(), 200);
  });

  test("virtual clock - timers set during an advance run when due within it", async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    clock.setTimeout(() => {
      seen.push(clock.now());
      clock.setTimeout(() => seen.push(clock.now()), 5);
      clock.setTimeout(() => seen.push(clock.now()), 500);
    }, 10);
    await clock.advance(100);
    assert.deepEqual(seen, [10, 15]);
    assert.equal(clock.pendingTimers, 1);
    assert.equal(clock.nextTimerAt(), 510);
  });

  test("virtual clock - promise chains settle between timers", async () => {
    const clock = new VirtualClock();
    const sleep = (ms: number) =>
      new Promise<void>((r) => clock.setTimeout(r, ms));
    const trail: number[] = [];
    (async () => {
      for (let i = 0; i < 5; i++) {
        await sleep(1000);
        await Promise.resolve();
        trail.push(clock.now());
      }
    })();
    await clock.advance(5000);
    assert.deepEqual(trail, [1000, 2000, 3000, 4000, 5000]);
  });

  test("virtual clock - clearTimeout cancels, unknown handles are ignored", async () => {
    const clock = new VirtualClock();
    let fired = false;
    const h = clock.setTimeout(() => (fired = true), 10);
    clock.clearTimeout(h);
    clock.clearTimeout(undefined);
    clock.clearTimeout(42);
    await clock.advance(20);
    assert.equal(fired, false);
  });

  test("virtual clock - runAll runs everything and refuses an endless re-arm", async () => {
    const clock = new VirtualClock();
    let n = 0;
    clock.setTimeout(() => n++, 10);
    clock.setTimeout(() => clock.setTimeout(() => n++, 1000), 20);
    await clock.runAll();
    assert.equal(n, 2);
    assert.equal(clock.now(), 1020);
    const rearm = () => clock.setTimeout(rearm, 100);
    rearm();
    await assert.rejects(clock.runAll(50), /more than 50 timers/);
  });

  test("virtual clock - a negative advance is refused", async () => {
    await assert.rejects(new VirtualClock().advance(-1), RangeError);
  });

  test("virtual clock - a long virtual wait takes no real time", async () => {
    const clock = new VirtualClock();
    let fired = 0;
    for (let i = 1; i <= 100; i++) {
      clock.setTimeout(() => fired++, i * 3600_000);
    }
    const t0 = Date.now();
    await clock.advance(100 * 3600_000);
    assert.equal(fired, 100);
    assert.ok(Date.now() - t0 < 2000);
  });

  test("real clock - looks up globalThis.setTimeout at call time", () => {
    const clock = new RealClock();
    const original = globalThis.setTimeout;
    const seen: number[] = [];
    try {
      // deno-lint-ignore no-explicit-any
      (globalThis as any).setTimeout = (_fn: () => void, ms: number) => {
        seen.push(ms);
        return 7;
      };
      assert.equal(clock.setTimeout(() => {}, 123), 7);
    } finally {
      globalThis.setTimeout = original;
    }
    assert.deepEqual(seen, [123]);
  });

  test("real clock - fires on real time and can be cleared", async () => {
    const clock = new RealClock();
    let cleared = false;
    const h = clock.setTimeout(() => (cleared = true), 5);
    clock.clearTimeout(h);
    await new Promise<void>((resolve) => clock.setTimeout(resolve, 10));
    assert.equal(cleared, false);
    assert.ok(Math.abs(clock.now() - Date.now()) < 50);
  });

  test("real clock - unrefTimer accepts real and virtual handles", () => {
    const clock = new RealClock();
    const h = clock.setTimeout(() => {}, 60_000);
    unrefTimer(h);
    clock.clearTimeout(h);
    unrefTimer(new VirtualClock().setTimeout(() => {}, 1));
    unrefTimer(undefined);
  });
});
