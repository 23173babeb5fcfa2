/**
 * The mock bus's connection table: who is attached where, looked up by
 * address on every routed message (a number key, not a string per lookup),
 * and the global connect events of joining, leaving and closing. Internal
 * to the bus.
 *
 * An address may hold two links, on two different nodes: the vendor's
 * library registers its master and slave links at once and expects both
 * to be accepted (a -10 on one arms a retry timer that its failover later
 * re-initialises while armed, and it dies of SIGSEGV). The first link is
 * the active one (routing, events); the second is a silent standby that
 * takes over when the active one closes, with no event to anyone, as the
 * library itself reports no break while its other link is registered.
 * @module
 */
import type { BusContext, NodeState } from "./bus_context.ts";
import { connEvent, nodeEvent } from "./login.ts";
import { TaskDelivery, type TaskOptions } from "./delivery.ts";
import type {
  AttachRequest,
  BusAddress,
  GlobalConnectEvent,
  PortSink,
} from "./contract.ts";
import { addressKey, copyAddress, formatAddress } from "./address.ts";
import { type ClientRecord, recordText } from "./records.ts";
import type { MockNode } from "./options.ts";

/** One attached connection as the bus keeps it. */
export interface Conn {
  /** Unique per bus, never reused: tells a reconnection from the old one. */
  readonly id: number;
  readonly address: BusAddress;
  readonly node: MockNode;
  readonly sink: PortSink;
  readonly addInfo: Uint8Array;
  readonly connectedAt: number;
  /** False once detached or closed; deliveries to it are then dropped. */
  open: boolean;
  /** The standby link that took over when this one closed. */
  successor?: Conn;
  /**
   * The id of the first link of its line of successors: traffic to an
   * address stays in order across a takeover (see `Delivery.link`).
   */
  line: number;
}

/** The open connections of one bus. */
export class ConnTable {
  #ctx: BusContext;
  #conns = new Map<number, Conn>();
  /** Second links, by address key: never routed to until promoted. */
  #standby = new Map<number, Conn>();
  /** Connection ids are never reused: they tell a reconnection from the old one. */
  #nextId = 1;

  /** An empty table. */
  constructor(ctx: BusContext) {
    this.#ctx = ctx;
  }

  /** The open connections, in login order. */
  values(): IterableIterator<Conn> {
    return this.#conns.values();
  }

  /** Every open link, active ones first, then standby ones. */
  *links(): IterableIterator<Conn> {
    yield* this.#conns.values();
    yield* this.#standby.values();
  }

  /** The standby link of an address, if it has one. */
  standbyAt(address: { unitId: number; clientId: number }): Conn | undefined {
    return this.#standby.get(addressKey(address));
  }

  /** Who is connected where (snapshots). */
  records(): ClientRecord[] {
    return [...this.#conns.values()].map((c) => {
      const r: ClientRecord = {
        address: copyAddress(c.address),
        nodeUnitId: c.node.unitId,
        addInfo: recordText(c.addInfo),
        connectedAt: c.connectedAt,
      };
      const s = this.#standby.get(addressKey(c.address));
      if (s) r.standbyNodeUnitId = s.node.unitId;
      return r;
    });
  }

  /** The connection at (unit id, client id), whatever its type. */
  at(address: { unitId: number; clientId: number }): Conn | undefined {
    return this.#conns.get(addressKey(address));
  }

  /** The open connection at exactly this address (type included). */
  find(dst: BusAddress): Conn | undefined {
    const c = this.#conns.get(addressKey(dst));
    return c !== undefined && c.address.clientType === dst.clientType
      ? c
      : undefined;
  }

  /** The node `src` sits on (a node's own address: that node). */
  nodeOf(src: BusAddress): number | undefined {
    if (src.clientId === -1) return src.unitId;
    return this.#conns.get(addressKey(src))?.node.unitId;
  }

  /** Forget every connection without telling anyone; returns them. */
  clear(): Conn[] {
    const conns = [...this.links()];
    this.#conns.clear();
    this.#standby.clear();
    return conns;
  }

  /**
   * Log `request` in at `node` (already allowed to): the new connection
   * hears of every running node and every connection already there
   * (status 2), and they hear it joined (status 1). An address already on
   * the bus (at another node: `loginRefusal` saw to it) joins as its
   * standby link, silently.
   */
  join(
    node: NodeState,
    request: AttachRequest,
    sink: PortSink,
    now: number,
  ): Conn {
    const key = addressKey(request.address);
    const id = this.#nextId++;
    const conn: Conn = {
      id,
      line: id,
      address: copyAddress(request.address),
      node,
      sink,
      addInfo: request.addInfo.slice(),
      connectedAt: now,
      open: true,
    };
    if (this.#conns.has(key)) {
      this.#standby.set(key, conn);
      return conn;
    }
    for (const n of this.#ctx.nodes.values()) {
      if (!n.running) continue;
      const { src, event } = nodeEvent(n, 2);
      this.#event(src, conn, event);
    }
    for (const other of this.#conns.values()) {
      this.#event(other.address, conn, connEvent(other, 2));
      this.#event(conn.address, other, connEvent(conn, 1), {
        srcNode: conn.node.unitId,
      });
    }
    this.#conns.set(addressKey(conn.address), conn);
    return conn;
  }

  /**
   * `old`'s address goes on at `next`, on another node. Without a cut
   * between nodes everyone sees both alike: nobody hears a thing (the
   * library reports nothing either). Where a cut made one side unseen,
   * those whose view changes are told, as the fault layer tells of cuts.
   */
  #moved(old: Conn, next: Conn): void {
    const ctx = this.#ctx;
    if (!ctx.faultsActive) return;
    const f = ctx.faults;
    for (const o of this.#conns.values()) {
      if (o === next) continue;
      const before = f.cutBetween(old.node.unitId, o) === undefined;
      const after = f.cutBetween(next.node.unitId, o) === undefined;
      if (before === after) continue;
      this.tellConn(next, o, after ? 1 : 0);
      this.tellConn(o, next, after ? 1 : 0);
    }
    for (const n of ctx.nodes.values()) {
      if (!n.running) continue;
      const before = f.cutBetween(n.unitId, old) === undefined;
      const after = f.cutBetween(n.unitId, next) === undefined;
      if (before !== after) this.tellNode(n, next, after ? 1 : 0);
    }
  }

  /**
   * Take `conn` off the bus; everyone else hears status 0, unless its
   * address has a standby link, which takes over without a word.
   */
  leave(conn: Conn): void {
    if (!conn.open) return;
    conn.open = false;
    const key = addressKey(conn.address);
    const who = formatAddress(conn.address);
    if (this.#standby.get(key) === conn) {
      this.#standby.delete(key);
      this.#ctx.log(`${who} left its standby link at node ${conn.node.unitId}`);
      return;
    }
    this.#conns.delete(key);
    const next = this.#standby.get(key);
    if (next) {
      this.#standby.delete(key);
      conn.successor = next;
      next.line = conn.line;
      this.#conns.set(key, next);
      this.#ctx.log(
        `${who} left node ${conn.node.unitId}, goes on at node ${next.node.unitId}`,
      );
      this.#moved(conn, next);
      return;
    }
    this.#ctx.log(`${who} left`);
    for (const c of this.#conns.values()) {
      this.#event(conn.address, c, connEvent(conn, 0), {
        srcNode: conn.node.unitId,
      });
    }
  }

  /** Take `conn` off the bus as a broken link: it hears `closed(reason)`. */
  close(conn: Conn, reason: string): void {
    if (!conn.open) return;
    this.leave(conn);
    this.#ctx.log(`${formatAddress(conn.address)} closed: ${reason}`);
    this.closedBy(conn, reason);
  }

  /** Tell `conn` (already off the table) that the bus closed it. */
  closedBy(conn: Conn, reason: string): void {
    const d = new TaskDelivery(
      conn.address,
      conn,
      "event",
      () => conn.sink.closed(reason),
      { always: true },
    );
    this.#ctx.post(d);
  }

  /** The fault layer tells `to` it lost (0) or regained (1) sight of `node`. */
  tellNode(node: MockNode, to: Conn, status: 0 | 1): void {
    const { src, event } = nodeEvent(node, status);
    this.#event(src, to, event, { told: true });
  }

  /** The fault layer tells `to` it lost (0) or regained (1) sight of `about`. */
  tellConn(about: Conn, to: Conn, status: 0 | 1): void {
    this.#event(about.address, to, connEvent(about, status), { told: true });
  }

  /** Tell every connection that `node` went down (0) or up (1). */
  announceNode(node: MockNode, status: number): void {
    for (const c of this.#conns.values()) {
      const { src, event } = nodeEvent(node, status);
      this.#event(src, c, event);
    }
  }

  /** Post a global connect event from `src` to `to`. */
  #event(
    src: BusAddress,
    to: Conn,
    event: GlobalConnectEvent,
    options?: TaskOptions,
  ): void {
    const run = (at: Conn): void => at.sink.globalConnect(event);
    this.#ctx.post(new TaskDelivery(src, to, "event", run, options));
  }
}
