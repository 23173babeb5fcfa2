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
import { makeWorld, RECONNECT_MS, type World } from "./shared/prop_world.ts";

interface ModelClient {
  node: number | null;
  nextAttempt: number;
  disconnects: number;
  connects: number[];
  cut: Set<number> | "all" | null;
}

class Model {
  running = [true, true];
  clients: ModelClient[];
  constructor(n: number) {
    this.clients = Array.from({ length: n }, () => ({
      node: null,
      nextAttempt: 0,
      disconnects: 0,
      connects: [],
      cut: null,
    }));
    this.#attempts(0);
  }

  reachable(c: ModelClient, node: number): boolean {
    return this.running[node] && !(c.cut === "all" || c.cut?.has(node));
  }

  /** Run every attempt due up to `t`, in time order per client. */
  #attempts(t: number): void {
    for (const c of this.clients) {
      while (c.node === null && c.nextAttempt <= t) {
        const node = [0, 1].find((n) => this.reachable(c, n));
        if (node === undefined) c.nextAttempt += RECONNECT_MS;
        else {
          c.node = node;
          c.connects.push(node);
        }
      }
    }
  }

  #break(c: ModelClient, now: number): void {
    if (c.node === null) return;
    c.node = null;
    c.disconnects++;
    c.nextAttempt = now + RECONNECT_MS;
  }

  apply(o: Op, now: number): void {
    switch (o.op) {
      case "advance":
        this.#attempts(now + o.ms);
        break;
      case "stop":
        this.running[o.node] = false;
        for (const c of this.clients) {
          if (c.node === o.node) this.#break(c, now);
        }
        break;
      case "start":
        this.running[o.node] = true;
        break;
      case "kick":
        this.#break(this.clients[o.c], now);
        break;
      case "cutClient": {
        const c = this.clients[o.c];
        if (o.node === undefined) c.cut = "all";
        else if (c.cut !== "all") {
          c.cut ??= new Set();
          c.cut.add(o.node);
        }
        if (c.node !== null && !this.reachable(c, c.node)) this.#break(c, now);
        break;
      }
      case "healClient":
        this.clients[o.c].cut = null;
        break;
    }
  }
}

function compare(w: World, m: Model, step: string): void {
  w.clients.forEach((rec, i) => {
    const mc = m.clients[i];
    const who = `client ${i} (${rec.unitId}/${rec.id}) after ${step}`;
    assert.equal(
      rec.disconnects.length,
      mc.disconnects,
      `${who}: disconnect events`,
    );
    assert.deepEqual(
      rec.connects.map((c) => c.unit),
      mc.connects,
      `${who}: connects (unit ids reached)`,
    );
    const state = rec.client.state;
    if (mc.node === null) {
      assert.notEqual(state.state, "connected", `${who}: should be down`);
    } else {assert.deepEqual(
        state,
        { state: "connected", unitId: mc.node },
        `${who}: state`,
      );}
  });
}

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
            const m = new Model(w.clients.length);
            compare(w, m, "start");
            for (const [i, o] of ops.entries()) {
              const now = w.clock.now();
              m.apply(o, now);
              await applyOp(w, o);
              if (o.op === "send" || o.op === "invoke") {
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
              compare(w, m, `op ${i} ${JSON.stringify(o)}`);
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
