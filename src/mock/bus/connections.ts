/**
 * The mock bus's connection table: who is attached where, looked up by
 * address on every routed message (a number key, not a string per lookup),
 * and the global connect events of joining, leaving and closing. Internal
 * to the bus.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * console.log(bus.clients()); // [] (the table's records)
 * ```
 * @module
 */
import type { BusContext, NodeState } from "./context.ts";
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
}

/** The open connections of one bus. */
export class ConnTable {
  #ctx: BusContext;
  #conns = new Map<number, Conn>();
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

  /** Who is connected where (snapshots). */
  records(): ClientRecord[] {
    return [...this.#conns.values()].map((c) => ({
      address: copyAddress(c.address),
      nodeUnitId: c.node.unitId,
      addInfo: recordText(c.addInfo),
      connectedAt: c.connectedAt,
    }));
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
    const conns = [...this.#conns.values()];
    this.#conns.clear();
    return conns;
  }

  /**
   * Log `request` in at `node` (already allowed to): the new connection
   * hears of every running node and every connection already there
   * (status 2), and they hear it joined (status 1).
   */
  join(
    node: NodeState,
    request: AttachRequest,
    sink: PortSink,
    now: number,
  ): Conn {
    const conn: Conn = {
      id: this.#nextId++,
      address: copyAddress(request.address),
      node,
      sink,
      addInfo: request.addInfo.slice(),
      connectedAt: now,
      open: true,
    };
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

  /** Take `conn` off the bus; everyone else hears status 0. */
  leave(conn: Conn): void {
    if (!conn.open) return;
    conn.open = false;
    this.#conns.delete(addressKey(conn.address));
    this.#ctx.log(`${formatAddress(conn.address)} left`);
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
    const run = (): void => to.sink.globalConnect(event);
    this.#ctx.post(new TaskDelivery(src, to, "event", run, options));
  }
}
