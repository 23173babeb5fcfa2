/**
 * Models of failover for the property suites.
 *
 * {@link FailoverModel}, the mock backend's: each client is up on a node, or
 * down with its next connect attempt due at a known time; an attempt tries
 * the master (node 0), then the slave (node 1), and succeeds on the first
 * one that runs and is not cut off for that client; a failed round retries
 * one reconnect interval later.
 *
 * {@link TwoLinkFailoverModel}, the native library's (the vendor's and the
 * stand-in): both links run at once (see there).
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

interface TwoLinkClient {
  /** The node of its registered link, or null when none is registered. */
  node: number | null;
  disconnects: number;
  /** The unit ids its `connectSuccess` events must carry, in order. */
  connects: number[];
  cut: Set<number> | "all" | null;
}

/**
 * The failover of the native library (the vendor's, and the stand-in as it
 * implements it), for a client with a master (node 0) and a slave (node 1)
 * on the mock bus. The rules, from the vendor's observed behaviour
 * (`docs/wire-protocol.md`, "Two links: master and slave") and the mock's:
 *
 * - The library runs a link to each node at once, each registering on its
 *   own. The mock registers a client address on one node at a time and
 *   answers the other link -10, which retries every reconnect interval;
 *   a link to a stopped node, or a node the client is cut from, is closed
 *   before the answer and retries too. So at most one link is registered:
 *   the client is up on that link's node, or down.
 * - `connection_cb(0)` fires when a link registers while the other is not
 *   registered: here, every registration (a `connectSuccess` with the node's
 *   unit). `disconnect_cb` fires when a registered link breaks while the
 *   other is not registered: here, every break (one `disconnect`).
 * - Which link registers next is a race, not a rule: both start at once
 *   (master and slave within the same ms); a broken link reconnects at once
 *   while the other retries on its own timer. So when a client is down and
 *   both nodes are reachable for it, either may be reached: `settle` takes
 *   the one observed and checks it is reachable. With one reachable node
 *   (its node stopped, or cut), it is that one.
 * - With a reachable node, the client is up again within a settle time of
 *   2.5 reconnect intervals (a retry is due within one).
 * - A send throws -2 exactly when the client is down.
 *
 * `-10` refusals raise `connectFail` only when the other link is not
 * registered (the start race); they are not compared.
 */
export class TwoLinkFailoverModel {
  running = [true, true];
  clients: TwoLinkClient[];

  /** `n` clients, all starting both links at time 0. */
  constructor(n: number) {
    this.clients = Array.from({ length: n }, () => ({
      node: null,
      disconnects: 0,
      connects: [],
      cut: null,
    }));
  }

  reachable(c: TwoLinkClient, node: number): boolean {
    return this.running[node] && !(c.cut === "all" || c.cut?.has(node));
  }

  #break(c: TwoLinkClient): void {
    if (c.node === null) return;
    c.node = null;
    c.disconnects++;
  }

  /** The op's immediate effect (breaks and reachability); `settle` follows. */
  apply(o: Op): void {
    switch (o.op) {
      case "stop":
        this.running[o.node] = false;
        for (const c of this.clients) if (c.node === o.node) this.#break(c);
        break;
      case "start":
        this.running[o.node] = true;
        break;
      case "kick":
        this.#break(this.clients[o.c]);
        break;
      case "cutClient": {
        const c = this.clients[o.c];
        if (o.node === undefined) c.cut = "all";
        else if (c.cut !== "all") {
          c.cut ??= new Set();
          c.cut.add(o.node);
        }
        if (c.node !== null && !this.reachable(c, c.node)) this.#break(c);
        break;
      }
      case "healClient":
        this.clients[o.c].cut = null;
        break;
    }
  }

  /**
   * The settle time passed: every down client with a reachable node is up
   * on one of them. `observed(i)` is the node client i is actually on (or
   * null): it must be one the model allows, and the model takes it.
   */
  settle(observed: (i: number) => number | null, step: string): void {
    this.clients.forEach((c, i) => {
      if (c.node !== null) return;
      const allowed = [0, 1].filter((n) => this.reachable(c, n));
      if (allowed.length === 0) return;
      const got = observed(i);
      assert.ok(
        got !== null && allowed.includes(got),
        `client ${i} after ${step}: should be up on node ${
          allowed.join(" or ")
        }, is on ${got}`,
      );
      c.node = got;
      c.connects.push(got);
    });
  }
}

/**
 * Compare the first `m.clients.length` clients of `w` with the two-link
 * model, after `m.settle` resolved which node each reconnect reached.
 */
export function compareTwoLink(
  w: World,
  m: TwoLinkFailoverModel,
  step: string,
): void {
  const observed = (i: number): number | null => {
    const s = w.clients[i].client.state;
    return s.state === "connected" ? s.unitId : null;
  };
  m.settle(observed, step);
  m.clients.forEach((mc, i) => {
    const rec = w.clients[i];
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
    if (mc.node === null) {
      assert.notEqual(
        rec.client.state.state,
        "connected",
        `${who}: should be down`,
      );
    } else {
      assert.deepEqual(
        rec.client.state,
        { state: "connected", unitId: mc.node },
        `${who}: state`,
      );
    }
  });
}
