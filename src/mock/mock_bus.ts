/**
 * The in-memory mock SmartBus: nodes linked into one bus, connections
 * attached alike (the mock backend, mock IPSCs and the TCP front), routing
 * of data, pings and flow calls, global connect events, faults on demand
 * (`faults/`) and records for inspection. The bus core is in `bus/`; this
 * class puts it together with the mock IPSCs and the fault layer.
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
import { BusContext } from "./bus/bus_context.ts";
import { attach, nodeAt, normHost } from "./bus/attach.ts";
import { unhandledError } from "./bus/flow_routing.ts";
import type {
  AttachRequest,
  AttachResult,
  BusAddress,
  PortSink,
} from "./bus/contract.ts";
import type { Clock } from "./bus/clock.ts";
import type { LogCapture } from "./bus/log_capture.ts";
import type { RecordLog } from "./bus/record_log.ts";
import type {
  ClientRecord,
  FlowCallRecord,
  MessageRecord,
  NotificationRecord,
} from "./bus/records.ts";
import type {
  LinkDelay,
  MockBusOptions,
  MockNode,
  MockNodeOptions,
} from "./bus/options.ts";
import { BusFaults } from "./faults/faults.ts";
import { MockIpsc, type MockIpscOptions } from "./ipsc/ipsc.ts";

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
 * `unhandled`). A flow call wanting its result from an IPSC that does not
 * exist is answered at once, as the bus does: a result with ret
 * `DEST_NONEXIST` (-23), or in strict mode an acknowledge -1 whose message
 * names the call; one whose IPSC exists but is down (crashed, node stopped)
 * gets no answer and times out.
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
export class MockBus {
  /** The bus clock. */
  readonly clock: Clock;
  /** Whether unhandled flow calls are answered with an error and reported loudly. */
  readonly strict: boolean;
  /** `sizeof(long)` for delivered heads. */
  readonly longSize: 4 | 8;
  /**
   * Fault switches: cut links, latency, drops, misbehaving flows (see
   * {@link BusFaults}).
   */
  readonly faults: BusFaults;
  #ctx: BusContext;
  #nodeWatchers = new Set<(unitId: number, running: boolean) => void>();

  /** A bus with no nodes. */
  constructor(options: MockBusOptions = {}) {
    const ctx = new BusContext(options);
    this.#ctx = ctx;
    this.clock = ctx.clock;
    this.strict = ctx.strict;
    this.longSize = ctx.longSize;
    this.faults = new BusFaults(ctx);
    ctx.faults = this.faults;
  }

  /** Write one line to the bus logger. */
  log(line: string): void {
    this.#ctx.log(line);
  }

  /**
   * Where lines go without a `logger`: this bus's and those of the apps on
   * it through a `MockBackend` (their `SmartBus` default logger). Read them
   * with {@link logs}.
   */
  get logCapture(): LogCapture {
    return this.#ctx.logCapture;
  }

  /**
   * The newest lines logged without a `logger`, oldest first.
   *
   * @example
   * ```ts
   * import { MockBus } from "@smartbus/netclient/mock";
   * const bus = new MockBus();
   * bus.log("hello");
   * console.log(bus.logs().some((l) => l.endsWith("hello"))); // true
   * ```
   */
  logs(): string[] {
    return this.#ctx.logCapture.lines();
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
    const ctx = this.#ctx;
    if (ctx.nodes.has(unitId)) throw new Error(`node ${unitId} exists`);
    if (nodeAt(ctx, host, port)) throw new Error(`${host}:${port} is taken`);
    const node = {
      unitId,
      host,
      port,
      users: options.users ? { ...options.users } : undefined,
      running: true,
    };
    ctx.nodes.set(unitId, node);
    ctx.conns.announceNode(node, 1);
    return node;
  }

  /** The node with `unitId`; throws when there is none. */
  node(unitId: number): MockNode {
    const node = this.#ctx.nodes.get(unitId);
    if (!node) throw new Error(`no node ${unitId} on the bus`);
    return node;
  }

  /** Every node, in the order added. */
  nodes(): MockNode[] {
    return [...this.#ctx.nodes.values()];
  }

  /** Stop a node: its connections close (`sink.closed`), everyone else hears status 0. */
  stopNode(unitId: number, reason = `node ${unitId} stopped`): void {
    const node = this.#ctx.nodes.get(unitId);
    if (!node) throw new Error(`no node ${unitId} on the bus`);
    if (!node.running) return;
    for (const conn of [...this.#ctx.conns.links()]) {
      if (conn.node === node) this.#ctx.conns.close(conn, reason);
    }
    node.running = false;
    this.#ctx.conns.announceNode(node, 0);
    this.log(`node ${unitId} stopped`);
    this.#nodeState(unitId, false);
  }

  /** Start a stopped node: others hear status 1; its mock IPSCs log in again. */
  startNode(unitId: number): void {
    const node = this.#ctx.nodes.get(unitId);
    if (!node) throw new Error(`no node ${unitId} on the bus`);
    if (node.running) return;
    node.running = true;
    this.#ctx.conns.announceNode(node, 1);
    this.log(`node ${unitId} started`);
    this.#nodeState(unitId, true);
    for (const ipsc of this.#ctx.ipscs) {
      if (ipsc.nodeUnitId === unitId) ipsc.reconnect();
    }
  }

  /** Cut the connection at `address` (unit id + client id), both its links if it has two; false if none. */
  kick(
    address: { unitId: number; clientId: number },
    reason = "kicked",
  ): boolean {
    const conn = this.#ctx.conns.at(address);
    if (!conn) return false;
    // Its standby link first, or it would take over the kicked address.
    const standby = this.#ctx.conns.standbyAt(address);
    if (standby) this.#ctx.conns.close(standby, reason);
    this.#ctx.conns.close(conn, reason);
    return true;
  }

  /**
   * The fault seam for latency: every later delivery from `src` to `dst`
   * takes `delay(src, dst)` ms of bus time (`undefined`: none). Order per
   * link is kept.
   */
  setLinkDelay(delay: LinkDelay | undefined): void {
    this.#ctx.linkDelay = delay;
  }

  // ---- IPSCs -------------------------------------------------------------

  /** Add a mock IPSC flow server and log it in (to the first node by default). */
  addIpsc(options: MockIpscOptions): MockIpsc {
    const nodeUnitId = options.node ?? this.#ctx.nodes.keys().next().value;
    if (nodeUnitId === undefined) throw new Error("add a node before an IPSC");
    const ipsc = new MockIpsc(this.#ctx, this.node(nodeUnitId), options);
    this.#ctx.ipscs.push(ipsc);
    ipsc.reconnect();
    return ipsc;
  }

  /** Every mock IPSC added. */
  ipscs(): MockIpsc[] {
    return [...this.#ctx.ipscs] as MockIpsc[];
  }

  // ---- inspection --------------------------------------------------------

  /** Who is connected where. */
  clients(): ClientRecord[] {
    return this.#ctx.conns.records();
  }

  /**
   * Messages sent by clients matching `from` (every message without it),
   * of those kept (see `MockBusOptions.records`). `bytes` is the bus's one
   * copy, shared with the receiver: read it, do not mutate it.
   */
  sent(from?: Partial<BusAddress>): MessageRecord[] {
    return this.#ctx.messages.sent(from);
  }

  /** Messages delivered to clients matching `to` (of those kept; see {@link MockBus.sent}). */
  received(to?: Partial<BusAddress>): MessageRecord[] {
    return this.#ctx.messages.received(to);
  }

  /**
   * Bytes the kept records are counted to hold, never above
   * `MockBusOptions.recordsBudget` (64 MiB by default).
   *
   * @example
   * ```ts
   * import { MockBus } from "@smartbus/netclient/mock";
   * const bus = new MockBus({ recordsBudget: 1024 * 1024 });
   * console.log(bus.recordBytes <= 1024 * 1024); // true, whatever the traffic
   * ```
   */
  get recordBytes(): number {
    return this.#ctx.recordsBudget.used;
  }

  /** Every flow call kept (see `MockBusOptions.records`), with its state as of now. */
  flowCalls(): FlowCallRecord[] {
    return this.#ctx.flows.calls();
  }

  /** Every notification sent (of those kept; see `MockBusOptions.records`). */
  notifications(): NotificationRecord[] {
    return this.#ctx.notifications.snapshots();
  }

  /**
   * Forget the records kept (of `kind`, or of every kind), freeing their
   * memory; connections, faults and flows stay. Messages and calls under
   * way finish unrecorded.
   *
   * @example
   * ```ts
   * import { MockBus } from "@smartbus/netclient/mock";
   * const bus = new MockBus();
   * bus.clearRecords();
   * console.log(bus.sent().length, bus.recordBytes); // 0 0
   * ```
   */
  clearRecords(kind?: "messages" | "flowCalls" | "notifications"): void {
    const ctx = this.#ctx;
    if (kind === undefined || kind === "messages") ctx.messages.clear();
    if (kind === undefined || kind === "flowCalls") ctx.flows.clear();
    if (kind === undefined || kind === "notifications") {
      ctx.notifications.clear();
    }
  }

  /**
   * The live log of the records of `kind`, for the journal to watch: its
   * entries are the bus's own (read them, never write them).
   *
   * @internal
   */
  recordLog(
    kind: "messages" | "flowCalls" | "notifications",
  ): RecordLog<MessageRecord | FlowCallRecord | NotificationRecord> {
    const ctx = this.#ctx;
    return (kind === "messages"
      ? ctx.messages.records
      : kind === "flowCalls"
      ? ctx.flows.records
      : ctx.notifications.records) as RecordLog<
        MessageRecord | FlowCallRecord | NotificationRecord
      >;
  }

  /** Flow calls that no flow handled. */
  unhandled(): FlowCallRecord[] {
    return this.#ctx.flows.calls().filter((c) => c.unhandled !== undefined);
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
    const ctx = this.#ctx;
    const conns = ctx.conns.clear();
    for (const c of conns) c.open = false;
    ctx.scheduler.clear();
    ctx.linkDelay = undefined;
    this.faults.clear();
    for (const c of conns) ctx.conns.closedBy(c, "bus reset");
    this.clearRecords();
    for (const node of ctx.nodes.values()) {
      if (node.running) continue;
      node.running = true;
      this.#nodeState(node.unitId, true);
    }
    for (const ipsc of ctx.ipscs) ipsc.resetState();
    this.log("bus reset");
  }

  /**
   * Call `fn` whenever a node stops or starts (`stopNode`, `startNode`,
   * `reset`); returns the unsubscribe function.
   *
   * @example
   * ```ts
   * import { MockBus } from "@smartbus/netclient/mock";
   * const bus = new MockBus();
   * bus.addNode({ unitId: 0, port: 8000 });
   * const off = bus.onNodeState((unit, running) => console.log(unit, running));
   * bus.stopNode(0); // 0 false
   * off();
   * ```
   */
  onNodeState(fn: (unitId: number, running: boolean) => void): () => void {
    this.#nodeWatchers.add(fn);
    return () => this.#nodeWatchers.delete(fn);
  }

  #nodeState(unitId: number, running: boolean): void {
    for (const fn of [...this.#nodeWatchers]) {
      try {
        fn(unitId, running);
      } catch (e) {
        this.log(`a node state watcher threw: ${String(e)}`);
      }
    }
  }

  // ---- attach ------------------------------------------------------------

  /**
   * Log in a connection at the node `host:port` (see the class doc for
   * codes): what the mock backend and the TCP front do for each client.
   *
   * @internal
   */
  attach(
    host: string,
    port: number,
    request: AttachRequest,
    sink: PortSink,
  ): AttachResult {
    return attach(this.#ctx, host, port, request, sink);
  }
}
