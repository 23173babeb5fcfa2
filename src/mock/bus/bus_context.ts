/**
 * The one internal context of a mock bus: its settings, state and parts
 * (nodes, connections, the delivery scheduler, the routing of messages,
 * notifications and flow calls, the fault policy, the mock IPSCs living on
 * it) and the one way to send anything over it, {@link BusContext.post}.
 * Every part of the bus, and every mock IPSC, gets this object; none gets
 * a bag of closures. Internal to the mock.
 *
 * @module
 */
import { packetHeadSize } from "../../abi/packinfo.ts";
import { type Clock, RealClock } from "./clock.ts";
import { DeliveryScheduler } from "./delivery_scheduler.ts";
import { ConnTable } from "./connections.ts";
import { MessageRouting } from "./messages.ts";
import { NotificationRouting } from "./notifications.ts";
import { FlowRouting } from "./flow_routing.ts";
import { RecordBudget, recordsBudget, recordsCap } from "./record_log.ts";
import { escapeControl, LogCapture, logStamp } from "./log_capture.ts";
import { copyAddress } from "./address.ts";
import type { Delivery } from "./delivery.ts";
import type { BusAddress, HeadFields } from "./contract.ts";
import { type FaultPolicy, type FlowFault, NO_FAULTS } from "./fault_policy.ts";
import type { LinkDelay, MockBusOptions, MockNode } from "./options.ts";

/** A node as the bus keeps it. */
export interface NodeState extends MockNode {
  running: boolean;
}

/**
 * What the bus asks of a mock IPSC living on it (`MockIpsc` implements
 * it): log in again, forget its state, misbehave on demand.
 */
export interface IpscMember {
  /** Its unit id. */
  readonly unitId: number;
  /** Its process index (client id). */
  readonly processIndex: number;
  /** The node it logs in to. */
  readonly nodeUnitId: number;
  /** Log in again on a fresh connection (no effect while crashed). */
  reconnect(): void;
  /** Forget notifications and flow faults, come back if crashed. */
  resetState(): void;
  /** Force its flows to misbehave (`null`: behave again). */
  setFlowFault(mode: FlowFault | null, lateByMs?: number): void;
}

/** The context of one mock bus (see the module doc). */
export class BusContext {
  /** The bus clock. */
  readonly clock: Clock;
  /** Unhandled flow calls are answered at once and reported loudly. */
  readonly strict: boolean;
  /** `sizeof(long)` for delivered heads. */
  readonly longSize: 4 | 8;
  /** Records kept per kind. */
  readonly recordsCap: number;
  /** The byte budget every kind of record shares. */
  readonly recordsBudget: RecordBudget;
  /** Every node, by unit id, in the order added. */
  readonly nodes: Map<number, NodeState> = new Map();
  /** Deliveries waiting to arrive. */
  readonly scheduler: DeliveryScheduler;
  /** Who is attached where. */
  readonly conns: ConnTable;
  /** Data, pings and their records. */
  readonly messages: MessageRouting;
  /** Notifications and their records. */
  readonly notifications: NotificationRouting;
  /** Flow calls, acknowledges, results and their records. */
  readonly flows: FlowRouting;
  /** The mock IPSCs added, in order. */
  readonly ipscs: IpscMember[] = [];
  /** The per-link delay hook (`MockBus.setLinkDelay`). */
  linkDelay: LinkDelay | undefined = undefined;
  /** The fault layer (none until the bus installs one). */
  faults: FaultPolicy = NO_FAULTS;
  /** Whether any fault rule is on (set by the fault layer). */
  faultsActive = false;
  /** Where lines go without a logger: this bus's and its apps' (see `MockBus.logs()`). */
  readonly logCapture: LogCapture = new LogCapture();
  #log: (line: string) => void;
  #loud: (line: string) => void;

  /** The context of a bus with `options`, no nodes yet. */
  constructor(options: MockBusOptions) {
    this.clock = options.clock ?? new RealClock();
    this.strict = options.strict ?? false;
    this.longSize = options.longSize ?? 4;
    this.recordsCap = recordsCap(options.records);
    this.recordsBudget = new RecordBudget(
      recordsBudget(options.recordsBudget, options.records),
    );
    const logger = options.logger;
    // Without a logger lines are kept for `MockBus.logs()`; a throwing or
    // hanging handler (a bug in the test) is also printed.
    this.#log = logger ?? ((line) => this.logCapture.push(line));
    this.#loud = logger ?? ((line) => {
      this.logCapture.push(line);
      console.error(line);
    });
    this.scheduler = new DeliveryScheduler(
      this.clock,
      (e) => this.log(`a delivery threw: ${e instanceof Error ? e.stack : e}`),
    );
    this.conns = new ConnTable(this);
    this.messages = new MessageRouting(this);
    this.notifications = new NotificationRouting(this);
    this.flows = new FlowRouting(this);
  }

  /** An ordinary line for the bus logger (control characters escaped: peers name things). */
  log(line: string): void {
    this.#log(escapeControl(`[mockbus ${logStamp(this.clock)}] ${line}`));
  }

  /** A line that must be seen (strict-mode failures): `console.error` without a logger. */
  loud(line: string): void {
    this.#loud(escapeControl(`[mockbus ${logStamp(this.clock)}] ${line}`));
  }

  /**
   * Send `d` over the bus: it arrives later, in order per link, after the
   * link delay and the fault layer's verdict (latency, drops, cut links)
   * unless it is `always`; its sender's node is looked up unless given.
   */
  post(d: Delivery): void {
    d.ctx = this;
    const linkDelay = this.linkDelay;
    let delay = linkDelay === undefined
      ? 0
      : linkDelay(d.src, d.to.address) ?? 0;
    if (d.told) d.srcNode = undefined;
    else if (d.srcNode === undefined) d.srcNode = this.conns.nodeOf(d.src);
    if (!d.always && this.faultsActive) {
      const v = this.faults.verdict(d.src, d.srcNode, d.to, d.kind);
      if (v.drop !== undefined) return d.dropped(v.drop, false);
      delay += v.delayMs;
    }
    this.scheduler.postTask(d, delay);
  }

  /**
   * The head of a delivery (with its own copies of the addresses), its
   * `packetSize` counted with a head of `sizeof(long)` = `longSize`.
   */
  head(
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

  /** The mock IPSC at (`unitId`, `processIndex`), if one was added. */
  ipscAt(
    a: { unitId: number; processIndex: number },
  ): IpscMember | undefined {
    return this.ipscs.find((i) =>
      i.unitId === a.unitId && i.processIndex === a.processIndex
    );
  }

  /**
   * Asked when nobody holds `address`: does a mock IPSC live there (so it
   * is down: crashed, or its node stopped) rather than never existed?
   */
  ipscDown(address: BusAddress): boolean {
    return this.ipscs.some((i) =>
      i.unitId === address.unitId && i.processIndex === address.clientId
    );
  }
}
