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
import { ErrorCode } from "../../abi/constants.ts";
import { type Clock, RealClock } from "./clock.ts";
import { DeliveryQueue } from "./delivery.ts";
import { MockIpsc, type MockIpscOptions } from "../ipsc/ipsc.ts";
import { type Conn, headFields, type Router } from "./router.ts";
import { FlowBook, unhandledError } from "./flow_routing.ts";
import type {
  AttachRequest,
  AttachResult,
  BusAddress,
  BusAttach,
  PortSink,
} from "./port.ts";
import { Traffic } from "./traffic.ts";
import { BusFaults } from "../faults/faults.ts";
import {
  type Delivery,
  postDelivery,
  postFn,
  type PostHost,
  type PostOptions,
} from "./post.ts";
import { recordsCap } from "./record_log.ts";
import { loginRefusal } from "./login.ts";
import { ConnTable } from "./connections.ts";
import { LogCapture, logStamp } from "../log_capture.ts";
import type {
  LinkDelay,
  MockBusOptions,
  MockNode,
  MockNodeOptions,
} from "./options.ts";

export type {
  LinkDelay,
  MockBusOptions,
  MockNode,
  MockNodeOptions,
} from "./options.ts";
import {
  type ClientRecord,
  type FlowCallRecord,
  formatAddress,
  type MessageRecord,
  type NotificationRecord,
} from "./records.ts";

interface NodeState extends MockNode {
  running: boolean;
}

const normHost = (h: string): string => h === "localhost" ? "127.0.0.1" : h;

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
  #logs = new LogCapture();
  #nodes = new Map<number, NodeState>();
  #conns: ConnTable;
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
    // Without a logger lines are kept for logs(); a throwing or hanging
    // handler (a bug in the test) is also printed.
    this.#log = logger ?? ((line) => this.#logs.push(line));
    this.#loud = logger ?? ((line) => {
      this.#logs.push(line);
      console.error(line);
    });
    this.#queue = new DeliveryQueue(
      this.clock,
      (e) => this.log(`a delivery threw: ${e instanceof Error ? e.stack : e}`),
    );
    this.#router = {
      clock: this.clock,
      strict: this.strict,
      find: (dst) => this.#conns.find(dst),
      ipscDown: (a) =>
        this.#ipscs.some((i) =>
          i.unitId === a.unitId && i.processIndex === a.clientId
        ),
      post: (src, to, run, onDrop, kind) =>
        this.#post(src, to, run, { onDrop, kind }),
      postDelivery: (d, srcNode) => this.#postDelivery(d, srcNode),
      head: (cmd, cmdType, src, dst, len) =>
        headFields(this.longSize, cmd, cmdType, src, dst, len),
      log: (line) => this.log(line),
      loud: (line) => this.#loud(`[mockbus ${logStamp(this.clock)}] ${line}`),
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
      nodeOf: (src) => this.#conns.nodeOf(src),
      log: (line) => this.log(line),
    };
    this.#conns = new ConnTable({
      post: (src, to, run, options) => this.#post(src, to, run, options),
      nodes: () => this.#nodes.values(),
      log: (line) => this.log(line),
    });
    const cap = recordsCap(options.records);
    this.#flows = new FlowBook(this.#router, cap);
    this.#traffic = new Traffic(this.#router, this.#flows, cap);
    this.faults = new BusFaults({
      conns: () => this.#conns.values(),
      nodeRunning: (u) => this.#nodes.get(u)?.running === true,
      hasNode: (u) => this.#nodes.has(u),
      close: (c, why) => this.#conns.close(c, why),
      tellNode: (u, to, status) =>
        this.#conns.tellNode(this.#nodes.get(u)!, to, status),
      tellConn: (about, to, status) => this.#conns.tellConn(about, to, status),
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
    this.#log(`[mockbus ${logStamp(this.clock)}] ${line}`);
  }

  /**
   * Where lines go without a `logger`: this bus's and those of the apps on
   * it through a `MockBackend` (their `SmartBus` default logger). Read them
   * with `logs()`.
   */
  get logCapture(): LogCapture {
    return this.#logs;
  }

  /** The newest lines logged without a `logger` (see {@link logCapture}). */
  logs(): string[] {
    return this.#logs.lines();
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
    this.#conns.announceNode(node, 1);
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
      if (conn.node === node) this.#conns.close(conn, reason);
    }
    node.running = false;
    this.#conns.announceNode(node, 0);
    this.log(`node ${unitId} stopped`);
  }

  /** Start a stopped node: others hear status 1; its mock IPSCs log in again. */
  startNode(unitId: number): void {
    const node = this.#nodes.get(unitId);
    if (!node) throw new Error(`no node ${unitId} on the bus`);
    if (node.running) return;
    node.running = true;
    this.#conns.announceNode(node, 1);
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
    const conn = this.#conns.at(address);
    if (!conn) return false;
    this.#conns.close(conn, reason);
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
    return this.#conns.records();
  }

  /**
   * Messages sent by clients matching `from` (every message without it),
   * of those kept (see `MockBusOptions.records`). `bytes` is the bus's one
   * copy, shared with the receiver: read it, do not mutate it.
   */
  sent(from?: Partial<BusAddress>): MessageRecord[] {
    return this.#traffic.sent(from);
  }

  /** Messages delivered to clients matching `to` (of those kept; see {@link MockBus.sent}). */
  received(to?: Partial<BusAddress>): MessageRecord[] {
    return this.#traffic.received(to);
  }

  /** Every flow call kept (see `MockBusOptions.records`), with its state as of now. */
  flowCalls(): FlowCallRecord[] {
    return this.#flows.calls();
  }

  /** Every notification sent (of those kept; see `MockBusOptions.records`). */
  notifications(): NotificationRecord[] {
    return this.#traffic.notificationRecords();
  }

  /** Flow calls that no flow handled. */
  unhandled(): FlowCallRecord[] {
    return this.#flows.calls().filter((c) => c.unhandled !== undefined);
  }

  /** Throw, listing them, if any flow call went unhandled. */
  assertNoUnhandled(): void {
    const list = this.unhandled();
    if (list.length > 0) throw unhandledError(list);
  }

  /**
   * Back to a fresh bus with the same nodes and IPSCs: every connection is
   * closed (its sink hears `closed("bus reset")`, nobody hears status 0),
   * queued deliveries and the link delay are dropped, records cleared, every
   * node started, and the mock IPSCs (with their flows) log in again.
   */
  reset(): void {
    const conns = this.#conns.clear();
    for (const c of conns) c.open = false;
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
    const conn = this.#conns.join(node, request, sink, this.clock.now());
    this.log(`${who} logged in at node ${node.unitId}`);
    return {
      ok: true,
      port: this.#traffic.port(conn, () => this.#conns.leave(conn)),
    };
  }

  // ---- internals ---------------------------------------------------------

  #nodeAt(host: string, port: number): NodeState | undefined {
    for (const n of this.#nodes.values()) {
      if (n.host === host && n.port === port) return n;
    }
    return undefined;
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
}
