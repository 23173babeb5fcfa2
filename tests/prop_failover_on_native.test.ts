/**
 * Failover through a native library (the stand-in, or the vendor's with
 * `SMARTBUS_TEST_LIBRARY`) on TCP, in real time, against the two-link
 * model (`tests/shared/failover_model.ts`, the mock backend's too: both
 * links log in at once, the mock keeps the second as a standby, a failover
 * to it is silent, which link wins a race is observed, not predicted).
 * Real timing is not exact, so each op is followed by a settle time of 2.5
 * reconnect intervals and the clients are compared with the model at the
 * end of it: the same disconnects, the same connects with the unit id
 * reached, the same state; a send succeeds exactly when the model says up,
 * else throws `LibraryError` -2. Sends go to a client of a peer unit on the
 * mock backend: the library sends nothing to its own unit (-11).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { LibraryError } from "../mod.ts";
import { checkProperty } from "./shared/fc.ts";
import { LinkFailoverModel, observeClients } from "./shared/failover_model.ts";
import { nativeEnv, TEST_LIBRARY } from "./shared/native_env.ts";
import { type Op, opsArb } from "./shared/prop_ops.ts";
import {
  NATIVE_UNIT,
  nativeSkip,
  nativeWorld,
  propertyPassed,
  runtime,
  withinDeadline,
} from "./shared/prop_native_world.ts";
import { bounded } from "./shared/raw_client.ts";

const CLIENTS = 3;
/** The peer unit's one client: world client CLIENTS, every send's target. */
const PEER = CLIENTS;

describe(`properties - native failover (${runtime ?? "unsupported runtime"})`, () => {
  test(
    "native failover - disconnects, reconnects and sends follow the model in real time",
    {
      skip: nativeSkip,
      timeout: 60_000,
    },
    async () => {
      const env = await bounded(nativeEnv(runtime!)(), 10_000, "env start");
      const settleMs = env.reconnectMs * 2.5;
      const started = Date.now();
      let step = "start";
      try {
        await withinDeadline(
          45_000,
          () => `native failover: awaiting ${step}`,
          (signal) =>
            checkProperty(
              fc.asyncProperty(
                opsArb(CLIENTS, [
                  "stop",
                  "start",
                  "kick",
                  "cutClient",
                  "healClient",
                  "send",
                ], 5),
                async (ops: Op[]) => {
                  step = "first connect";
                  const w = await nativeWorld(env, CLIENTS, signal, 1);
                  try {
                    const m = new LinkFailoverModel(CLIENTS, {
                      kickHeard: false,
                    });
                    m.compare(observeClients(w, CLIENTS), "start");
                    for (const [i, o] of ops.entries()) {
                      signal.throwIfAborted();
                      step = `op ${i} ${JSON.stringify(o)}`;
                      m.apply(o);
                      if (o.op === "send") {
                        const t = w.send(o.from, PEER);
                        const down = !m.up(o.from);
                        assert.equal(
                          t.threw instanceof LibraryError &&
                            t.threw.code === -2,
                          down,
                          `send ${i} (model: ${
                            down ? "down" : "up"
                          }) threw ${t.threw}`,
                        );
                      } else if (o.op === "stop") env.bus.stopNode(o.node);
                      else if (o.op === "start") env.bus.startNode(o.node);
                      else if (o.op === "kick") {
                        env.bus.kick({
                          unitId: NATIVE_UNIT,
                          clientId: w.clients[o.c].id,
                        });
                      } else if (o.op === "cutClient") {
                        const a = {
                          unitId: NATIVE_UNIT,
                          clientId: w.clients[o.c].id,
                        };
                        env.bus.faults.cutClient(
                          a,
                          o.node === undefined ? {} : { node: o.node },
                        );
                      } else if (o.op === "healClient") {
                        env.bus.faults.healClient({
                          unitId: NATIVE_UNIT,
                          clientId: w.clients[o.c].id,
                        });
                      }
                      await new Promise((r) => setTimeout(r, settleMs));
                      m.compare(
                        observeClients(w, CLIENTS),
                        `op ${i} ${JSON.stringify(o)}`,
                      );
                    }
                  } catch (e) {
                    if (e instanceof Error) {
                      e.message += `\nops:\n${
                        ops.map((o) => JSON.stringify(o)).join("\n")
                      }`;
                    }
                    throw e;
                  } finally {
                    w.close();
                  }
                },
              ),
              3,
              0.005,
              // Without shrinking: real-time runs are slow (see prop_on_native).
              { endOnFailure: true },
            ),
        );
      } finally {
        await bounded(env.close(), 5000, "env close");
      }
      console.log(
        `native failover property (${runtime}): ${Date.now() - started} ms`,
      );
      propertyPassed(`${runtime} ${TEST_LIBRARY}`);
    },
  );
});
