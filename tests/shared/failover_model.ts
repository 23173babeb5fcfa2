/**
 * A model of the library's failover for the property suites: each client is
 * up on a node, or down with its next connect attempt due at a known time;
 * an attempt tries the master (node 0), then the slave (node 1), and
 * succeeds on the first one that runs and is not cut off for that client; a
 * failed round retries one reconnect interval later.
 */
import assert from "node:assert/strict";
import type { Op } from "./prop_ops.ts";
import type { World } from "./prop_world.ts";

interface ModelClient {
  node: number | null;
  nextAttempt: number;
  disconnects: number;
  connects: number[];
  cut: Set<number> | "all" | null;
}

export class FailoverModel {
  running = [true, true];
  clients: ModelClient[];
  readonly reconnectMs: number;
  /** `n` clients, all connecting at time 0, retrying every `reconnectMs`. */
  constructor(n: number, reconnectMs: number) {
    this.reconnectMs = reconnectMs;
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
        if (node === undefined) c.nextAttempt += this.reconnectMs;
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
    c.nextAttempt = now + this.reconnectMs;
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

export function compareFailover(
  w: World,
  m: FailoverModel,
  step: string,
): void {
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
