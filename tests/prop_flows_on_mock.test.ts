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
 * The other awaitable calls ride along: an `rtt()` or a `connect()` resolves
 * in time or rejects exactly at its deadline (`TimeoutError`,
 * `ConnectError`), an rtt while down at once with `LibraryError` -2.
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
import { checkCall, checkFlow } from "./shared/prop_checks.ts";
import { makeWorld, type MockWorld } from "./shared/prop_world.ts";

/** After draining: no pending flows, no virtual timers, every call checked. */
export async function checkAllFlows(w: MockWorld): Promise<void> {
  for (const t of w.flows) checkFlow(w, t);
  for (const t of w.calls) checkCall(w, t);
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
          "await",
          "await",
          "cutClient",
          "healClient",
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
