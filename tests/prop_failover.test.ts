/**
 * Property: failover follows a model of the library. Each client is either
 * up on a node or down with its next connect attempt due at a known time;
 * an attempt tries the master (node 0), then the slave (node 1), and
 * succeeds on the first one that runs and is not cut off for that client;
 * a failed round retries one reconnect interval later. After every op the
 * real clients must match the model: the same number of disconnect events
 * (one per break, never more), the same connects with the unit id reached,
 * the same state; and `send` succeeds exactly when the model says up, else
 * throws `LibraryError` -2 (never vanishes silently).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LibraryError } from "../mod.ts";
import { checkProperty } from "./shared/fc.ts";
import { applyOp, describeOps, type Op, opsArb } from "./shared/prop_ops.ts";
import { makeWorld, RECONNECT_MS } from "./shared/prop_world.ts";
import { compareFailover, FailoverModel } from "./shared/failover_model.ts";

describe("properties - failover", () => {
  test("failover - disconnects, reconnects and sends follow the master/slave model", async () => {
    const started = Date.now();
    await checkProperty(
      fc.asyncProperty(
        opsArb(4, [
          "advance",
          "advance",
          "stop",
          "start",
          "stop",
          "start",
          "kick",
          "cutClient",
          "healClient",
          "send",
          "send",
          "invoke",
        ], 40),
        async (ops: Op[]) => {
          const w = makeWorld();
          try {
            await w.clock.flush();
            const m = new FailoverModel(w.clients.length, RECONNECT_MS);
            compareFailover(w, m, "start");
            for (const [i, o] of ops.entries()) {
              const now = w.clock.now();
              m.apply(o, now);
              const sendsBefore = w.sends.length;
              await applyOp(w, o);
              // A send to one's own unit is skipped (an input error).
              const skipped = o.op === "send" && w.sends.length === sendsBefore;
              if ((o.op === "send" && !skipped) || o.op === "invoke") {
                // Down: refused at once with -2 (send throws, invoke() rejects
                // without an invoke id); up: accepted.
                const c = o.op === "send" ? o.from : o.c;
                const threw = o.op === "send"
                  ? w.sends[w.sends.length - 1].threw
                  : w.flows[w.flows.length - 1].threw;
                if (m.clients[c].node === null) {
                  assert.ok(
                    threw instanceof LibraryError && threw.code === -2,
                    `${o.op} ${i} while down must fail with -2, got ${threw}`,
                  );
                } else {
                  assert.equal(
                    threw,
                    undefined,
                    `${o.op} ${i} while up failed: ${threw}`,
                  );
                }
              }
              compareFailover(w, m, `op ${i} ${JSON.stringify(o)}`);
            }
            w.close();
          } catch (e) {
            w.close();
            if (e instanceof Error) e.message += `\nops:\n${describeOps(ops)}`;
            throw e;
          }
        },
      ),
      100,
    );
    console.log(`failover property: ${Date.now() - started} ms`);
  });
});
