/**
 * The mock bus's traffic: the {@link BusPort} each attached connection gets,
 * routing data, pings, flow calls and notifications, and recording messages
 * and notifications for inspection (the newest `records` of each, see
 * `MockBusOptions.records`). Internal to the bus.
 *
 * Each message is copied once, when sent (out of a slab, see `slab.ts`):
 * the receiver gets that copy, and the record, when kept, shares it.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * console.log(bus.sent().length, bus.notifications().length); // 0 0
 * ```
 * @module
 */
import { ClientType, CmdType, ErrorCode } from "../../abi/constants.ts";
import { Delivery } from "./post.ts";
import type { Conn, Router } from "./router.ts";
import type { FlowBook } from "./flow_routing.ts";
import type { BusAddress, BusPort } from "./port.ts";
import {
  addressMatches,
  copyAddress,
  formatAddress,
  type MessageKind,
  type MessageRecord,
  type NotificationRecord,
  recordText,
} from "./records.ts";
import { RecordLog } from "./record_log.ts";
import { Slab } from "./slab.ts";

/** A record as handed out: a fresh object with its own addresses. */
const snapshot = (m: MessageRecord): MessageRecord => ({
  ...m,
  src: copyAddress(m.src),
  dst: copyAddress(m.dst),
});

/** A data packet, ping or ping answer on its way; carries its record, if kept. */
class MessageDelivery extends Delivery {
  #traffic: Traffic;
  readonly what: MessageKind;
  readonly cmd: number;
  readonly cmdType: number;
  readonly dst: BusAddress;
  readonly bytes: Uint8Array;
  readonly record: MessageRecord | undefined;
  /** For a ping: who pinged (gets the answer). */
  readonly pinger: Conn | undefined;

  constructor(
    traffic: Traffic,
    what: MessageKind,
    cmd: number,
    cmdType: number,
    src: BusAddress,
    to: Conn,
    bytes: Uint8Array,
    record: MessageRecord | undefined,
    pinger: Conn | undefined,
  ) {
    super(src, to, what === "data" ? "data" : "ping");
    this.#traffic = traffic;
    this.what = what;
    this.cmd = cmd;
    this.cmdType = cmdType;
    this.dst = to.address;
    this.bytes = bytes;
    this.record = record;
    this.pinger = pinger;
  }

  deliver(): void {
    this.#traffic.arrived(this);
  }

  override dropped(reason: string): void {
    this.#traffic.drop(this.what, this.src, this.dst, this.record, reason);
  }
}

/** Ports, routing and message records for one bus. */
export class Traffic {
  #r: Router;
  #flows: FlowBook;
  /** Messages carve their copies from their own slabs (records pin them). */
  #slab = new Slab();
  /** The newest message records (live: the bus hands out copies). */
  readonly messages: RecordLog<MessageRecord>;
  /** The newest notification records (live: the bus hands out copies). */
  readonly notifications: RecordLog<NotificationRecord>;

  /** Traffic over `router`, flow calls through `flows`, keeping `cap` records per kind. */
  constructor(router: Router, flows: FlowBook, cap: number) {
    this.#r = router;
    this.#flows = flows;
    this.messages = new RecordLog(cap);
    this.notifications = new RecordLog(cap);
  }

  /** Snapshots of the kept messages sent by clients matching `from`. */
  sent(from?: Partial<BusAddress>): MessageRecord[] {
    return this.messages.toArray().filter((m) => addressMatches(m.src, from))
      .map(snapshot);
  }

  /** Snapshots of the kept messages delivered to clients matching `to`. */
  received(to?: Partial<BusAddress>): MessageRecord[] {
    return this.messages.toArray().filter((m) =>
      m.status === "delivered" && addressMatches(m.dst, to)
    ).map(snapshot);
  }

  /** Snapshots of the kept notifications. */
  notificationRecords(): NotificationRecord[] {
    return this.notifications.toArray().map((n) => ({
      ...n,
      from: copyAddress(n.from),
      to: { ...n.to },
    }));
  }

  /** Forget every record. */
  clear(): void {
    this.messages.clear();
    this.notifications.clear();
  }

  /** The port of `conn`; `leave` runs once when it detaches. */
  port(conn: Conn, leave: () => void): BusPort {
    const me = conn.address;
    const check = (dst?: BusAddress): number | undefined => {
      if (!conn.open) return ErrorCode.CONN_NOT_ESTAB;
      if (dst && dst.unitId === me.unitId && dst.clientId === me.clientId) {
        return ErrorCode.SEND_OWN;
      }
      return undefined;
    };
    return {
      accessUnitId: conn.node.unitId,
      send: (cmd, cmdType, dst, data) => {
        const rc = check(dst);
        if (rc !== undefined) return rc;
        this.#send("data", cmd, cmdType, conn, dst, data, undefined);
        return ErrorCode.OK;
      },
      ping: (dst, data) => {
        const rc = check(dst);
        if (rc !== undefined) return rc;
        // The target's library answers; its app never sees the ping.
        this.#send("ping", 0, CmdType.INTERNAL, conn, dst, data, conn);
        return ErrorCode.OK;
      },
      invokeFlow: (serverUnitId, ipscIndex, inv) => {
        const rc = check();
        if (rc !== undefined) return rc;
        const server = {
          unitId: serverUnitId,
          clientId: ipscIndex,
          clientType: ClientType.IPSC,
        };
        this.#flows.invoke(conn, server, inv);
        return ErrorCode.OK;
      },
      notify: (serverUnitId, processIndex, msg) => {
        const rc = check();
        if (rc !== undefined) return rc;
        this.#notify(me, serverUnitId, processIndex, msg);
        return ErrorCode.OK;
      },
      flowAck: (to, invokeId, projectId, ack, msg) => {
        const rc = check();
        if (rc !== undefined) return rc;
        this.#flows.ack(me, to, invokeId, projectId, ack, msg);
        return ErrorCode.OK;
      },
      flowResult: (to, invokeId, projectId, ret, param) => {
        const rc = check();
        if (rc !== undefined) return rc;
        this.#flows.result(me, to, invokeId, projectId, ret, param);
        return ErrorCode.OK;
      },
      detach: () => {
        if (conn.open) leave();
      },
    };
  }

  /** A message reached its receiver (called by its delivery). */
  arrived(d: MessageDelivery): void {
    const record = d.record;
    if (record !== undefined) {
      record.status = "delivered";
      record.deliveredAt = this.#r.clock.now();
    }
    if (d.pinger !== undefined) return this.#pingBack(d.to, d.pinger, d.bytes);
    const head = this.#r.head(d.cmd, d.cmdType, d.src, d.dst, d.bytes.length);
    d.to.sink.data(head, d.bytes);
  }

  /** A message could not be delivered: mark its record and log why. */
  drop(
    kind: MessageKind,
    src: BusAddress,
    dst: BusAddress,
    record: MessageRecord | undefined,
    reason: string,
  ): void {
    if (record !== undefined) {
      record.status = "dropped";
      record.reason = reason;
    }
    this.#r.log(
      `${kind} ${formatAddress(src)} -> ${
        formatAddress(dst)
      } dropped: ${reason}`,
    );
  }

  #notify(
    me: BusAddress,
    serverUnitId: number,
    processIndex: number,
    msg: Parameters<BusPort["notify"]>[2],
  ): void {
    const record: NotificationRecord = {
      time: this.#r.clock.now(),
      from: copyAddress(me),
      to: { unitId: serverUnitId, processIndex },
      invokeId: msg.invokeId,
      project: recordText(msg.projectId),
      title: recordText(msg.title),
      mode: msg.mode,
      expiresMs: msg.expiresMs,
      param: recordText(msg.param),
      delivered: false,
    };
    this.notifications.push(record);
    const target = this.#r.find({
      unitId: serverUnitId,
      clientId: processIndex,
      clientType: ClientType.IPSC,
    });
    if (!target?.sink.notify) {
      this.#r.log(
        `notify to IPSC ${serverUnitId}/${processIndex} dropped: no IPSC there`,
      );
      return;
    }
    const copy = {
      ...msg,
      from: copyAddress(me),
      projectId: msg.projectId.slice(),
      title: msg.title.slice(),
      param: msg.param.slice(),
    };
    this.#r.post(
      me,
      target,
      () => {
        record.delivered = true;
        target.sink.notify!(copy);
      },
      undefined,
      "flow",
    );
  }

  /**
   * Copy `data` once, record it (when records are kept) and post it from
   * `from` to `dst`; the copy goes to the receiver and stays in the record.
   */
  #send(
    kind: MessageKind,
    cmd: number,
    cmdType: number,
    from: Conn,
    dst: BusAddress,
    data: Uint8Array,
    pinger: Conn | undefined,
  ): void {
    const bytes = this.#slab.copy(data);
    const to = this.#r.find(dst);
    const record = this.#keep(kind, cmd, cmdType, from.address, dst, to, bytes);
    if (to === undefined) {
      return this.drop(kind, from.address, dst, record, "no such destination");
    }
    const d = new MessageDelivery(
      this,
      kind,
      cmd,
      cmdType,
      from.address,
      to,
      bytes,
      record,
      pinger,
    );
    this.#r.postDelivery(d, from.node.unitId);
  }

  /** The record of a message, when records are kept. */
  #keep(
    kind: MessageKind,
    cmd: number,
    cmdType: number,
    src: BusAddress,
    dst: BusAddress,
    to: Conn | undefined,
    bytes: Uint8Array,
  ): MessageRecord | undefined {
    if (!this.messages.keeps) return undefined;
    const record: MessageRecord = {
      kind,
      time: this.#r.clock.now(),
      cmd,
      cmdType,
      // Records are copied when handed out: sharing live addresses is safe.
      src,
      dst: to?.address ?? copyAddress(dst),
      bytes,
      status: "queued",
    };
    this.messages.push(record);
    return record;
  }

  #pingBack(target: Conn, pinger: Conn, data: Uint8Array): void {
    // The answer carries the ping's own bytes: both are read-only copies.
    const to = this.#r.find(pinger.address);
    const record = this.#keep(
      "pingAck",
      0,
      CmdType.PING_ACK,
      target.address,
      pinger.address,
      to,
      data,
    );
    if (to === undefined) {
      return this.drop(
        "pingAck",
        target.address,
        pinger.address,
        record,
        "no such destination",
      );
    }
    if (to !== pinger) {
      return this.drop(
        "pingAck",
        target.address,
        pinger.address,
        record,
        "pinger reconnected since",
      );
    }
    const d = new MessageDelivery(
      this,
      "pingAck",
      0,
      CmdType.PING_ACK,
      target.address,
      pinger,
      data,
      record,
      undefined,
    );
    this.#r.postDelivery(d, target.node.unitId);
  }
}
