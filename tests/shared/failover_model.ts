/**
 * The model of failover for the property suites, one for every backend:
 * the mock backend, the stand-in and the vendor's library all run a master
 * and a slave link at once (see `docs/wire-protocol.md`, "Two links").
 *
 * - Each link registers on its own; the mock bus accepts a client's second
 *   link, on another node, as a standby. After a settle time (2.5 reconnect
 *   intervals: a link's retry is due within one), every link whose node runs
 *   and is not cut off for that client is registered.
 * - `connectSuccess` fires when a link registers while the other is not
 *   registered, with that node's unit: which link wins when both can is a
 *   race, so `settle` takes the unit observed and checks it is allowed.
 * - `disconnect` fires when a registered link breaks while the other is not
 *   registered. A failover to a registered slave is silent: no event, the
 *   client stays "connected" with the unit of its last `connectSuccess`.
 * - A kick closes both links at once. On the mock backend that is one
 *   disconnect, then a reconnect. On a native library a link that breaks
 *   dials again at once and may register before the library reads the
 *   other link's close, so the kick may go unheard: zero or one disconnect,
 *   resolved from what was observed.
 * - A send throws -2 exactly when no link is registered.
 */
import assert from "node:assert/strict";
import type { Op } from "./prop_ops.ts";
import type { World } from "./prop_world.ts";

interface LinkClient {
  /** Whether its link to node 0 (master) and node 1 (slave) is registered. */
  links: [boolean, boolean];
  cut: Set<number> | "all" | null;
  disconnects: number;
  /** The unit ids its `connectSuccess` events must carry, in order. */
  connects: number[];
  /** A kick since the last settle, whose disconnect may go unheard. */
  kicked: boolean;
}

/** What a client of the world looks like to {@link LinkFailoverModel.compare}. */
export interface ObservedClient {
  /** Its `disconnect` events so far. */
  disconnects: number;
  /** The unit ids of its `connectSuccess` events so far. */
  connects: number[];
  /** Its state: connected (with the unit) or not. */
  state: { state: string; unitId?: number };
}

/** The two-link failover model (see the module comment). */
export class LinkFailoverModel {
  running = [true, true];
  clients: LinkClient[];
  /** True where a kick is always heard (the mock backend). */
  readonly kickHeard: boolean;

  /** `n` clients, all starting both links at time 0. */
  constructor(n: number, options: { kickHeard: boolean }) {
    this.kickHeard = options.kickHeard;
    this.clients = Array.from({ length: n }, () => ({
      links: [false, false],
      cut: null,
      disconnects: 0,
      connects: [],
      kicked: false,
    }));
  }

  /** Whether client `i` has a registered link (a send is accepted). */
  up(i: number): boolean {
    return this.clients[i].links.some((l) => l);
  }

  #reachable(c: LinkClient, node: number): boolean {
    return this.running[node] && !(c.cut === "all" || c.cut?.has(node));
  }

  #break(c: LinkClient, node: number): void {
    if (!c.links[node]) return;
    c.links[node] = false;
    if (!c.links.some((l) => l)) c.disconnects++;
  }

  /** The op's immediate effect (breaks and reachability); `compare` settles. */
  apply(o: Op): void {
    switch (o.op) {
      case "stop":
        this.running[o.node] = false;
        for (const c of this.clients) this.#break(c, o.node);
        break;
      case "start":
        this.running[o.node] = true;
        break;
      case "kick": {
        const c = this.clients[o.c];
        if (!c.links.some((l) => l)) break;
        c.links = [false, false];
        if (this.kickHeard) c.disconnects++;
        else c.kicked = true;
        break;
      }
      case "cutClient": {
        const c = this.clients[o.c];
        if (o.node === undefined) c.cut = "all";
        else if (c.cut !== "all") {
          c.cut ??= new Set();
          c.cut.add(o.node);
        }
        for (const n of [0, 1]) if (!this.#reachable(c, n)) this.#break(c, n);
        break;
      }
      case "healClient":
        this.clients[o.c].cut = null;
        break;
    }
  }

  /**
   * The settle time passed: resolve what was a race from `observed` (the
   * node reached, a kick heard or not), register every reachable link, then
   * check every client's events and state against the model.
   */
  compare(observed: ObservedClient[], step: string): void {
    this.clients.forEach((c, i) => {
      const o = observed[i];
      const who = `client ${i} after ${step}`;
      if (c.kicked) {
        c.kicked = false;
        // Heard: a disconnect, then a reconnect below. Unheard: the links
        // came back before the library read both closes.
        if (o.disconnects === c.disconnects + 1) c.disconnects++;
        else c.links = [this.#reachable(c, 0), this.#reachable(c, 1)];
      }
      const allowed = [0, 1].filter((n) => this.#reachable(c, n));
      if (!c.links.some((l) => l) && allowed.length > 0) {
        const got = o.state.state === "connected" ? o.state.unitId : undefined;
        assert.ok(
          got !== undefined && allowed.includes(got),
          `${who}: should be up on node ${allowed.join(" or ")}, is on ${got}`,
        );
        c.connects.push(got);
      }
      for (const n of allowed) c.links[n] = true;
      assert.equal(o.disconnects, c.disconnects, `${who}: disconnect events`);
      assert.deepEqual(o.connects, c.connects, `${who}: connects (units)`);
      if (c.links.some((l) => l)) {
        assert.deepEqual(
          o.state,
          { state: "connected", unitId: c.connects[c.connects.length - 1] },
          `${who}: state`,
        );
      } else {
        assert.notEqual(o.state.state, "connected", `${who}: should be down`);
      }
    });
  }
}

/** The first `n` clients of `w` as {@link LinkFailoverModel.compare} reads them. */
export function observeClients(w: World, n: number): ObservedClient[] {
  return w.clients.slice(0, n).map((rec) => ({
    disconnects: rec.disconnects.length,
    connects: rec.connects.map((c) => c.unit),
    state: rec.client.state,
  }));
}
