/**
 * Property: every flow call made with `invoke()` (a result wanted) ends in
 * exactly one outcome, on time, whatever faults hit the bus meanwhile.
 *
 * What "one outcome" means, precisely: the events are the library's view.
 * Each call that got an invoke id raises exactly one of
 * `onInvokeFlowRespond`, `onInvokeFlowTimeout`, `onInvokeFlowError`, never
 * later than `invokedAt + timeout` (the virtual clock fires the library's
 * timer exactly then, so the allowed step is 0). An acknowledge ≠ 1 does not
 * count: the library does not read acks, so a refused call still gets its
 * -25 timeout at the deadline — that timeout is the call's one outcome. The
 * `invoke()` promise settles once, no later than that outcome, and agrees
 * with it: respond → resolves with the result; an ack ≠ 1 came first →
 * `FlowNotStartedError` (at the ack); else timeout → `FlowTimeoutError`,
 * error → `FlowError` with the same code. A call the library refused at
 * once (not connected) has no events and rejects with `LibraryError` -2.
 * Afterwards no client has a pending flow and no virtual timer is left.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { checkProperty } from "./shared/fc.ts";
import {
  applyOp,
  describeOps,
  healAndDrain,
  type Op,
  opsArb,
} from "./shared/prop_ops.ts";
import {
  errorKind,
  type FlowTrace,
  makeWorld,
  type World,
} from "./shared/prop_world.ts";

export function checkFlow(w: World, t: FlowTrace): void {
  const what =
    `${t.flow} call of client ${t.client} at ${t.at} (timeout ${t.timeoutMs})`;
  assert.ok(t.promise, `${what}: the promise never settled`);
  if (t.invokeId === undefined) {
    assert.equal(
      errorKind(t.threw),
      "LibraryError(-2)",
      `${what}: refused at once`,
    );
    assert.equal(t.outcomes.length, 0, `${what}: events without an invoke id`);
    return;
  }
  assert.equal(
    t.outcomes.length,
    1,
    `${what} (invoke id ${t.invokeId}): ${t.outcomes.length} outcomes: ${
      JSON.stringify(t.outcomes)
    }`,
  );
  const [out] = t.outcomes;
  const deadline = t.at + t.timeoutMs;
  assert.ok(
    out.at <= deadline,
    `${what}: outcome at ${out.at} after the deadline ${deadline}`,
  );
  assert.ok(
    t.promise.at <= out.at,
    `${what}: promise settled at ${t.promise.at}, after the outcome`,
  );
  const refused = t.acks.find((a) => a.ack !== 1);
  if (refused && refused.at <= out.at) {
    assert.equal(errorKind(t.promise.value), "FlowNotStartedError", what);
    assert.equal(t.promise.at, refused.at, `${what}: rejected at the ack`);
  } else if (out.kind === "respond") {
    assert.ok(
      t.promise.ok,
      `${what}: responded but rejected with ${errorKind(t.promise.value)}`,
    );
    assert.deepEqual(t.promise.value, out.value ?? []);
  } else if (out.kind === "timeout") {
    assert.equal(errorKind(t.promise.value), "FlowTimeoutError", what);
    assert.equal(
      out.at,
      deadline,
      `${what}: the library's timer fires at the deadline`,
    );
    assert.equal(
      t.promise.at,
      deadline,
      `${what}: invoke() rejects at the deadline`,
    );
  } else {
    assert.equal(errorKind(t.promise.value), `FlowError(${out.value})`, what);
  }
  // Flows that answer after the deadline (or never) must not get a result through.
  if (t.flow === "late" || t.flow === "silent" || t.flow === "refuse") {
    assert.notEqual(
      out.kind,
      "respond",
      `${what}: a late or missing answer was delivered`,
    );
  }
  const rec = w.bus.flowCalls().find((c) =>
    c.invokeId === t.invokeId && c.from.unitId === w.clients[t.client].unitId &&
    c.from.clientId === w.clients[t.client].id
  );
  if (rec?.late) {
    assert.notEqual(
      out.kind,
      "respond",
      `${what}: the bus answered late, yet it responded`,
    );
  }
}

/** After draining: no pending flows, no virtual timers, every call checked. */
export async function checkAllFlows(w: World): Promise<void> {
  for (const t of w.flows) checkFlow(w, t);
  for (const c of w.clients) {
    assert.equal(
      c.client.pendingFlows,
      0,
      `client ${c.index} still has pending flows`,
    );
  }
  assert.equal(
    w.clock.pendingTimers,
    0,
    "virtual timers left after draining (leaked deadline?)",
  );
  w.close();
  await w.clock.flush();
  assert.equal(w.clock.pendingTimers, 0, "virtual timers left after close");
}

describe("properties - flows", () => {
  test("flows - every invoked flow ends in exactly one of result, timeout, error, on time", async () => {
    const started = Date.now();
    await checkProperty(
      fc.asyncProperty(
        opsArb(4, [
          "invoke",
          "invoke",
          "invoke",
          "advance",
          "advance",
          "ipscFault",
          "crash",
          "restart",
          "stop",
          "start",
          "cutLink",
          "healLink",
          "latency",
          "noLatency",
          "kick",
        ], 40),
        async (ops: Op[]) => {
          const w = makeWorld();
          try {
            await w.clock.flush();
            for (const o of ops) await applyOp(w, o);
            await healAndDrain(w);
            await checkAllFlows(w);
          } catch (e) {
            w.close();
            if (e instanceof Error) e.message += `\nops:\n${describeOps(ops)}`;
            throw e;
          }
        },
      ),
      60,
    );
    console.log(`flows property: ${Date.now() - started} ms`);
  });
});
