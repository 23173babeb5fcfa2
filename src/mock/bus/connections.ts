/**
 * The mock bus's connection table: who is attached where, looked up by
 * address on every routed message (a number key, not a string per lookup),
 * and the global connect events of joining, leaving and closing. Internal
 * to the bus.
 *
 * @example
 * ```ts
 * import { addressKey } from "./connections.ts";
 * console.log(addressKey({ unitId: 17, clientId: 1 }) === addressKey({ unitId: 17, clientId: 1 })); // true
 * ```
 * @module
 */
import type { MockNode } from "./options.ts";
import type { Conn } from "./router.ts";
import { connEvent, nodeEvent } from "./login.ts";
import type { PostOptions } from "./post.ts";
import type { AttachRequest, BusAddress, PortSink } from "./port.ts";
import {
  type ClientRecord,
  copyAddress,
  formatAddress,
  recordText,
} from "./records.ts";

/**
 * One number per (unit id, client id): both fit in 16 bits (client ids
 * ≥ -1), so the key is exact and costs no string.
 *
 * @example
 * ```ts
 * import { addressKey } from "./connections.ts";
 * console.log(addressKey({ unitId: 0, clientId: -1 })); // 0
 * ```
 */
export const addressKey = (a: { unitId: number; clientId: number }): number =>
  (a.unitId & 0xffff) * 0x10000 + ((a.clientId + 1) & 0xffff);

/** What the table needs from its bus. */
export interface ConnHost {
  /** Post `run` from `src` to `to` (see `postFn`). */
  post(src: BusAddress, to: Conn, run: () => void, options?: PostOptions): void;
  /** Every node, running or not. */
  nodes(): Iterable<MockNode>;
  log(line: string): void;
}

/**
 * The open connections of one bus.
 *
 * @example
 * ```ts
 * import { ConnTable } from "./connections.ts";
 * const table = new ConnTable({ post() {}, nodes: () => [], log: console.log });
 * console.log(table.find({ unitId: 17, clientId: 0, clientType: 4 })); // undefined
 * ```
 */
export class ConnTable {
  #host: ConnHost;
  #conns = new Map<number, Conn>();
  /** Connection ids are never reused: they tell a reconnection from the old one. */
  #nextId = 1;

  /** An empty table. */
  constructor(host: ConnHost) {
    this.#host = host;
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
    node: MockNode,
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
    const host = this.#host;
    for (const n of this.#host.nodes()) {
      if (!n.running) continue;
      const { src, event } = nodeEvent(n, 2);
      host.post(src, conn, () => sink.globalConnect(event));
    }
    for (const other of this.#conns.values()) {
      const present = connEvent(other, 2);
      host.post(other.address, conn, () => sink.globalConnect(present));
      const joined = connEvent(conn, 1);
      host.post(conn.address, other, () => other.sink.globalConnect(joined), {
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
    this.#host.log(`${formatAddress(conn.address)} left`);
    for (const c of this.#conns.values()) {
      const event = connEvent(conn, 0);
      this.#host.post(conn.address, c, () => c.sink.globalConnect(event), {
        srcNode: conn.node.unitId,
      });
    }
  }

  /** Take `conn` off the bus as a broken link: it hears `closed(reason)`. */
  close(conn: Conn, reason: string): void {
    if (!conn.open) return;
    this.leave(conn);
    this.#host.log(`${formatAddress(conn.address)} closed: ${reason}`);
    this.#host.post(conn.address, conn, () => conn.sink.closed(reason), {
      always: true,
    });
  }

  /** The fault layer tells `to` it lost (0) or regained (1) sight of `node`. */
  tellNode(node: MockNode, to: Conn, status: 0 | 1): void {
    const { src, event } = nodeEvent(node, status);
    this.#host.post(src, to, () => to.sink.globalConnect(event), {
      told: true,
    });
  }

  /** The fault layer tells `to` it lost (0) or regained (1) sight of `about`. */
  tellConn(about: Conn, to: Conn, status: 0 | 1): void {
    const event = connEvent(about, status);
    this.#host.post(about.address, to, () => to.sink.globalConnect(event), {
      told: true,
    });
  }

  /** Tell every connection that `node` went down (0) or up (1). */
  announceNode(node: MockNode, status: number): void {
    for (const c of this.#conns.values()) {
      const { src, event } = nodeEvent(node, status);
      this.#host.post(src, c, () => c.sink.globalConnect(event));
    }
  }
}
