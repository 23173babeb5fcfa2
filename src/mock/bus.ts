/**
 * The in-memory mock SmartBus: nodes linked into one bus, connections
 * attached through {@link BusAttach} (the mock backend, mock IPSCs and the
 * TCP front alike), routing of data, pings and flow calls, global connect
 * events, faults on demand and records for inspection.
 *
 * @example
 * ```ts
 * import { MockBus, VirtualClock } from "@smartbus/netclient/mock";
 * const bus = new MockBus({ clock: new VirtualClock() });
 * bus.addNode({ unitId: 0, port: 8000 });
 * bus.addIpsc({ unitId: 0, processIndex: 0 })
 *   .flow("demo", "echo", (params) => params);
 * ```
 * @module
 */
import { ErrorCode } from "../api/constants.ts";
import { packetHeadSize } from "../api/packinfo.ts";
import { type Clock, RealClock } from "./clock.ts";
import { DeliveryQueue } from "./delivery.ts";
import { MockIpsc, type MockIpscOptions } from "./ipsc.ts";
import type { Conn, Router } from "./conn.ts";
import { FlowBook } from "./flowbook.ts";
import type {
  AttachRequest,
  AttachResult,
  BusAddress,
  BusAttach,
  HeadFields,
  PortSink,
} from "./port.ts";
import { Traffic } from "./traffic.ts";
import { BusFaults } from "./faults.ts";
import {
  type Delivery,
  postDelivery,
  postFn,
  type PostHost,
  type PostOptions,
} from "./bus_post.ts";
import { recordsCap } from "./record_log.ts";
import { connEvent, loginRefusal, nodeEvent } from "./login.ts";
import type {
  LinkDelay,
  MockBusOptions,
  MockNode,
  MockNodeOptions,
} from "./bus_types.ts";

export type {
  LinkDelay,
  MockBusOptions,
  MockNode,
  MockNodeOptions,
} from "./bus_types.ts";
import {
  addressMatches,
  type ClientRecord,
  copyAddress,
  type FlowCallRecord,
  formatAddress,
  type MessageRecord,
  type NotificationRecord,
  recordText,
} from "./records.ts";

interface NodeState extends MockNode {
  running: boolean;
}

/** A record as handed out: a fresh object with its own addresses. */
const snapshot = (m: MessageRecord): MessageRecord => ({
  ...m,
  src: copyAddress(m.src),
  dst: copyAddress(m.dst),
});

const normHost = (h: string): string => h === "localhost" ? "127.0.0.1" : h;
const key = (a: { unitId: number; clientId: number }): string =>
  `${a.unitId}/${a.clientId}`;

/**
 * One mock SmartBus. Connections that fail to log in get these codes:
 * no node at `host:port` or node stopped → `ESTABLI_CONNECT` (-20, the
 * connection could not be established); credentials required but missing →
 * `AUTHOR` (-4); unknown user → `USER` (-5); wrong password → `PWD` (-6);
 * the same unit id + client id already connected anywhere (whatever the
 * type) → `REGISTERED_REPEAT` (-24); the unit already has 16 clients on
 * that node → `CLI_TOOMANY` (-21) (the limit counts the clients of one
 * unit per node, so 32 units × 16 clients fit on one bus); the client is
 * cut off that node by a fault → `ESTABLI_CONNECT` (-20).
 *
 * Ports of closed connections return `CONN_NOT_ESTAB` (-2); sending or
 * pinging oneself returns `SEND_OWN` (-11). Data, pings and flow calls to an
 * address nobody holds return 0 (queued, as the library does) and are
 * dropped, logged and recorded (`status: "dropped"`, or for flows
 * `unhandled`).
 *
 * @example
 * ```ts
 * import { MockBus, VirtualClock } from "@smartbus/netclient/mock";
 * const bus = new MockBus({ clock: new VirtualClock(), strict: true });
 * bus.addNode({ unitId: 0, port: 8000, users: { admin: "secret" } });
 * bus.addNode({ unitId: 1, port: 8001 });
 * console.log(bus.clients()); // []
 * ```
 */
export class MockBus implements BusAttach {
  /** The bus clock. */
  readonly clock: Clock;
  /** Whether unhandled flow calls are answered with an error and reported loudly. */
  readonly strict: boolean;
  /** `sizeof(long)` for delivered heads. */
  readonly longSize: 4 | 8;
  #log: (line: string) => void;
  #loud: (line: string) => void;
  #nodes = new Map<number, NodeState>();
  #conns = new Map<string, Conn>();
  #nextConnId = 1;
  #queue: DeliveryQueue;
  #linkDelay: LinkDelay | undefined;
  #traffic: Traffic;
  #flows: FlowBook;
  #ipscs: MockIpsc[] = [];
  #router: Router;
  #postHost: PostHost;
  /**
   * Fault switches: cut links, latency, drops, misbehaving flows (see
   * {@link BusFaults}).
   */
  readonly faults: BusFaults;

  /** A bus with no nodes. */
  constructor(options: MockBusOptions = {}) {
    this.clock = options.clock ?? new RealClock();
    this.strict = options.strict ?? false;
    this.longSize = options.longSize ?? 8;
    const logger = options.logger;
    this.#log = logger ?? (() => {});
    this.#loud = logger ?? ((line) => console.error(line));
    this.#queue = new DeliveryQueue(
      this.clock,
      (e) => this.log(`a delivery threw: ${e instanceof Error ? e.stack : e}`),
    );
    this.#router = {
      clock: this.clock,
      strict: this.strict,
      find: (dst) => this.#find(dst),
      ipscDown: (a) =>
        this.#ipscs.some((i) =>
          i.unitId === a.unitId && i.processIndex === a.clientId
        ),
      post: (src, to, run, onDrop, kind) =>
        this.#post(src, to, run, { onDrop, kind }),
      postDelivery: (d, srcNode) => this.#postDelivery(d, srcNode),
      head: (cmd, cmdType, src, dst, len) =>
        this.#head(cmd, cmdType, src, dst, len),
      log: (line) => this.log(line),
      loud: (line) => this.#loud(`[mockbus ${this.clock.now()}] ${line}`),
    };
    // deno-lint-ignore no-this-alias
    const bus = this;
    this.#postHost = {
      queue: this.#queue,
      get faults() {
        return bus.faults;
      },
      get linkDelay() {
        return bus.#linkDelay;
      },
      nodeOf: (src) => this.#nodeOf(src),
      log: (line) => this.log(line),
    };
    const cap = recordsCap(options.records);
    this.#flows = new FlowBook(this.#router, cap);
    this.#traffic = new Traffic(this.#router, this.#flows, cap);
    this.faults = new BusFaults({
      conns: () => this.#conns.values(),
      nodeRunning: (u) => this.#nodes.get(u)?.running === true,
      hasNode: (u) => this.#nodes.has(u),
      close: (c, why) => this.#close(c, why),
      tellNode: (u, to, status) => {
        const { src, event } = nodeEvent(this.#nodes.get(u)!, status);
        this.#post(src, to, () => to.sink.globalConnect(event), { told: true });
      },
      tellConn: (about, to, status) => {
        const event = connEvent(about, status);
        this.#post(about.address, to, () => to.sink.globalConnect(event), {
          told: true,
        });
      },
      flowFault: (a, fault, lateByMs) => {
        const ipsc = this.#ipscs.find((i) =>
          i.unitId === a.unitId && i.processIndex === a.processIndex
        );
        ipsc?.setFlowFault(fault, lateByMs);
        return ipsc !== undefined;
      },
      clearFlowFaults: () => {
        for (const i of this.#ipscs) i.setFlowFault(null);
      },
      log: (line) => this.log(line),
    });
  }

  /** Write one line to the bus logger. */
  log(line: string): void {
    this.#log(`[mockbus ${this.clock.now()}] ${line}`);
  }

  // ---- nodes -------------------------------------------------------------

  /** Add a node (started) and link it to the others. */
  addNode(options: MockNodeOptions): MockNode {
    const { unitId, port } = options;
    if (!Number.isInteger(unitId) || unitId < 0 || unitId > 15) {
      throw new RangeError(`node unit id must be 0–15, got ${unitId}`);
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new RangeError(`node port must be 1–65535, got ${port}`);
    }
    const host = normHost(options.host ?? "127.0.0.1");
    if (this.#nodes.has(unitId)) throw new Error(`node ${unitId} exists`);
    if (this.#nodeAt(host, port)) throw new Error(`${host}:${port} is taken`);
    const node: NodeState = {
      unitId,
      host,
      port,
      users: options.users ? { ...options.users } : undefined,
      running: true,
    };
    this.#nodes.set(unitId, node);
    this.#announceNode(node, 1);
    return node;
  }

  /** The node with `unitId`; throws when there is none. */
  node(unitId: number): MockNode {
    const node = this.#nodes.get(unitId);
    if (!node) throw new Error(`no node ${unitId} on the bus`);
    return node;
  }

  /** Every node, in the order added. */
  nodes(): MockNode[] {
    return [...this.#nodes.values()];
  }

  /** Stop a node: its connections close (`sink.closed`), everyone else hears status 0. */
  stopNode(unitId: number, reason = `node ${unitId} stopped`): void {
    const node = this.#nodes.get(unitId);
    if (!node) throw new Error(`no node ${unitId} on the bus`);
    if (!node.running) return;
    for (const conn of [...this.#conns.values()]) {
      if (conn.node === node) this.#close(conn, reason);
    }
    node.running = false;
    this.#announceNode(node, 0);
    this.log(`node ${unitId} stopped`);
  }

  /** Start a stopped node: others hear status 1; its mock IPSCs log in again. */
  startNode(unitId: number): void {
    const node = this.#nodes.get(unitId);
    if (!node) throw new Error(`no node ${unitId} on the bus`);
    if (node.running) return;
    node.running = true;
    this.#announceNode(node, 1);
    this.log(`node ${unitId} started`);
    for (const ipsc of this.#ipscs) {
      if (ipsc.nodeUnitId === unitId) ipsc.reconnect();
    }
  }

  /** Cut the connection at `address` (unit id + client id); false if none. */
  kick(
    address: { unitId: number; clientId: number },
    reason = "kicked",
  ): boolean {
    const conn = this.#conns.get(key(address));
    if (!conn) return false;
    this.#close(conn, reason);
    return true;
  }

  /**
   * The fault seam for latency: every later delivery from `src` to `dst`
   * takes `delay(src, dst)` ms of bus time (`undefined`: none). Order per
   * link is kept.
   */
  setLinkDelay(delay: LinkDelay | undefined): void {
    this.#linkDelay = delay;
  }

  // ---- IPSCs -------------------------------------------------------------

  /** Add a mock IPSC flow server and log it in (to the first node by default). */
  addIpsc(options: MockIpscOptions): MockIpsc {
    const nodeUnitId = options.node ?? this.#nodes.keys().next().value;
    if (nodeUnitId === undefined) throw new Error("add a node before an IPSC");
    const ipsc = new MockIpsc(
      {
        clock: this.clock,
        attach: (h, p, req, sink) => this.attach(h, p, req, sink),
        log: (line) => this.log(line),
        unhandled: (from, id, why) => this.#flows.unhandled(from, id, why),
      },
      this.node(nodeUnitId),
      options,
    );
    this.#ipscs.push(ipsc);
    ipsc.reconnect();
    return ipsc;
  }

  /** Every mock IPSC added. */
  ipscs(): MockIpsc[] {
    return [...this.#ipscs];
  }

  // ---- inspection --------------------------------------------------------

  /** Who is connected where. */
  clients(): ClientRecord[] {
    return [...this.#conns.values()].map((c) => ({
      address: copyAddress(c.address),
      nodeUnitId: c.node.unitId,
      addInfo: recordText(c.addInfo),
      connectedAt: c.connectedAt,
    }));
  }

  /**
   * Messages sent by clients matching `from` (every message without it),
   * of those kept (see `MockBusOptions.records`). `bytes` is the bus's one
   * copy, shared with the receiver: read it, do not mutate it.
   */
  sent(from?: Partial<BusAddress>): MessageRecord[] {
    return this.#traffic.messages.toArray().filter((m) =>
      addressMatches(m.src, from)
    ).map(snapshot);
  }

  /** Messages delivered to clients matching `to` (of those kept; see {@link MockBus.sent}). */
  received(to?: Partial<BusAddress>): MessageRecord[] {
    return this.#traffic.messages.toArray().filter((m) =>
      m.status === "delivered" && addressMatches(m.dst, to)
    ).map(snapshot);
  }

  /** Every flow call kept (see `MockBusOptions.records`), with its state as of now. */
  flowCalls(): FlowCallRecord[] {
    return this.#flows.calls();
  }

  /** Every notification sent (of those kept; see `MockBusOptions.records`). */
  notifications(): NotificationRecord[] {
    return this.#traffic.notifications.toArray().map((n) => ({
      ...n,
      from: copyAddress(n.from),
      to: { ...n.to },
    }));
  }

  /** Flow calls that no flow handled. */
  unhandled(): FlowCallRecord[] {
    return this.#flows.calls().filter((c) => c.unhandled !== undefined);
  }

  /** Throw, listing them, if any flow call went unhandled. */
  assertNoUnhandled(): void {
    const list = this.unhandled();
    if (list.length === 0) return;
    const lines = list.map((c) =>
      `  ${c.project}/${c.flow} from ${
        formatAddress(c.from)
      } (invoke id ${c.invokeId}): ${c.unhandled}`
    );
    throw new Error(
      `${list.length} unhandled flow call(s):\n${lines.join("\n")}`,
    );
  }

  /**
   * Back to a fresh bus with the same nodes and IPSCs: every connection is
   * closed (its sink hears `closed("bus reset")`, nobody hears status 0),
   * queued deliveries and the link delay are dropped, records cleared, every
   * node started, and the mock IPSCs (with their flows) log in again.
   */
  reset(): void {
    const conns = [...this.#conns.values()];
    for (const c of conns) c.open = false;
    this.#conns.clear();
    this.#queue.clear();
    this.#linkDelay = undefined;
    this.faults.clear();
    for (const c of conns) {
      this.#post(c.address, c, () => c.sink.closed("bus reset"), {
        always: true,
      });
    }
    this.#traffic.clear();
    this.#flows.clear();
    for (const node of this.#nodes.values()) node.running = true;
    for (const ipsc of this.#ipscs) ipsc.resetState();
    this.log("bus reset");
  }

  // ---- attach ------------------------------------------------------------

  /** Log in a connection at the node `host:port` (see the class doc for codes). */
  attach(
    host: string,
    port: number,
    request: AttachRequest,
    sink: PortSink,
  ): AttachResult {
    const node = this.#nodeAt(normHost(host), port);
    const who = formatAddress(request.address);
    const fail = (code: number, reason: string): AttachResult => {
      this.log(`login of ${who} at ${host}:${port} refused: ${reason}`);
      return { ok: false, code, reason };
    };
    if (!node) return fail(ErrorCode.ESTABLI_CONNECT, "no node there");
    if (this.faults.clientCut(request.address, node.unitId)) {
      return fail(ErrorCode.ESTABLI_CONNECT, "its link to the node is cut");
    }
    const refusal = loginRefusal(node, request, this.#conns.values());
    if (refusal) return fail(refusal.code, refusal.reason);
    const conn: Conn = {
      id: this.#nextConnId++,
      address: copyAddress(request.address),
      node,
      sink,
      addInfo: request.addInfo.slice(),
      connectedAt: this.clock.now(),
      open: true,
    };
    for (const n of this.#nodes.values()) {
      if (!n.running) continue;
      const { src, event } = nodeEvent(n, 2);
      this.#post(src, conn, () => sink.globalConnect(event));
    }
    for (const other of this.#conns.values()) {
      const present = connEvent(other, 2);
      this.#post(other.address, conn, () => sink.globalConnect(present));
      const joined = connEvent(conn, 1);
      this.#post(conn.address, other, () => other.sink.globalConnect(joined), {
        srcNode: node.unitId,
      });
    }
    this.#conns.set(key(conn.address), conn);
    this.log(`${who} logged in at node ${node.unitId}`);
    return {
      ok: true,
      port: this.#traffic.port(conn, () => this.#leave(conn)),
    };
  }

  // ---- internals ---------------------------------------------------------

  #nodeAt(host: string, port: number): NodeState | undefined {
    for (const n of this.#nodes.values()) {
      if (n.host === host && n.port === port) return n;
    }
    return undefined;
  }

  #find(dst: BusAddress): Conn | undefined {
    const c = this.#conns.get(key(dst));
    return c && c.address.clientType === dst.clientType ? c : undefined;
  }

  #post(
    src: BusAddress,
    to: Conn,
    run: () => void,
    options: PostOptions = {},
  ): void {
    postFn(this.#postHost, src, to, run, options);
  }

  #postDelivery(d: Delivery, srcNode: number | undefined): void {
    postDelivery(this.#postHost, d, srcNode);
  }

  /** The node `src` sits on (a node's own address: that node). */
  #nodeOf(src: BusAddress): number | undefined {
    if (src.clientId === -1) return src.unitId;
    return this.#conns.get(key(src))?.node.unitId;
  }

  #head(
    cmd: number,
    cmdType: number,
    src: BusAddress,
    dst: BusAddress,
    dataLen: number,
  ): HeadFields {
    return {
      cmd,
      cmdType,
      src: copyAddress(src),
      dst: copyAddress(dst),
      packetSize: packetHeadSize(this.longSize) + dataLen,
      dataLen,
    };
  }

  #announceNode(node: MockNode, status: number): void {
    for (const c of this.#conns.values()) {
      const { src, event } = nodeEvent(node, status);
      this.#post(src, c, () => c.sink.globalConnect(event));
    }
  }

  /** Take `conn` off the bus; everyone else hears status 0. */
  #leave(conn: Conn): void {
    if (!conn.open) return;
    conn.open = false;
    this.#conns.delete(key(conn.address));
    this.log(`${formatAddress(conn.address)} left`);
    for (const c of this.#conns.values()) {
      const event = connEvent(conn, 0);
      this.#post(conn.address, c, () => c.sink.globalConnect(event), {
        srcNode: conn.node.unitId,
      });
    }
  }

  #close(conn: Conn, reason: string): void {
    if (!conn.open) return;
    this.#leave(conn);
    this.log(`${formatAddress(conn.address)} closed: ${reason}`);
    this.#post(conn.address, conn, () => conn.sink.closed(reason), {
      always: true,
    });
  }
}
