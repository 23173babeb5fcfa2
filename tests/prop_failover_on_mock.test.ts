/**
 * Property: failover on the mock backend follows the two-link model
 * (`tests/shared/failover_model.ts`, the one the native libraries follow
 * too): both links log in at once, a failover to a registered slave is
 * silent, a client comes back on a reachable node. Each op is followed by
 * a settle time of 2.5 reconnect intervals of virtual time, then every
 * client must match the model: the same disconnect events (one per
 * outage, never more), the same connects with the unit id reached, the
 * same state; and `send` succeeds exactly when the model says up, else
 * throws `LibraryError` -2 (never vanishes silently). Mock backend only.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LibraryError } from "../mod.ts";
import { checkProperty } from "./shared/fc.ts";
import { applyOp, describeOps, type Op, opsArb } from "./shared/prop_ops.ts";
import { makeWorld, RECONNECT_MS } from "./shared/prop_world.ts";
import { LinkFailoverModel, observeClients } from "./shared/failover_model.ts";

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
            const n = w.clients.length;
            const m = new LinkFailoverModel(n, { kickHeard: true });
            m.compare(observeClients(w, n), "start");
            for (const [i, o] of ops.entries()) {
              m.apply(o);
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
                if (!m.up(c)) {
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
              await w.clock.advance(RECONNECT_MS * 2.5);
              m.compare(observeClients(w, n), `op ${i} ${JSON.stringify(o)}`);
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
