/**
 * The mock bus's messages: routing data packets, pings and the bus's
 * answers to pings, and recording them for inspection (the newest
 * `records`, see `MockBusOptions.records`). Internal to the bus.
 *
 * Each message is copied once, when sent (out of a slab, see `slab.ts`):
 * the receiver gets that copy, and the record, when kept, shares it.
 *
 * @module
 */
import { CmdType, SystemCmd } from "../../abi/constants.ts";
import { Delivery } from "./delivery.ts";
import type { BusContext } from "./bus_context.ts";
import type { Conn } from "./connections.ts";
import type { BusAddress } from "./contract.ts";
import { addressMatches, copyAddress, formatAddress } from "./address.ts";
import {
  messageBytes,
  type MessageKind,
  type MessageRecord,
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
  readonly what: MessageKind;
  readonly cmd: number;
  readonly cmdType: number;
  readonly dst: BusAddress;
  readonly bytes: Uint8Array;
  readonly record: MessageRecord | undefined;
  /** For a ping: who pinged (gets the answer). */
  readonly pinger: Conn | undefined;

  constructor(
    what: MessageKind,
    cmd: number,
    cmdType: number,
    src: BusAddress,
    to: Conn,
    bytes: Uint8Array,
    record: MessageRecord | undefined,
    pinger: Conn | undefined,
    srcNode: number,
  ) {
    super(src, to, what === "data" ? "data" : "ping", srcNode);
    this.what = what;
    this.cmd = cmd;
    this.cmdType = cmdType;
    this.dst = to.address;
    this.bytes = bytes;
    this.record = record;
    this.pinger = pinger;
  }

  deliver(): void {
    this.ctx!.messages.arrived(this);
  }

  override dropped(reason: string): void {
    this.ctx!.messages.drop(this.what, this.src, this.dst, this.record, reason);
  }
}

/** Routing and records of the messages of one bus. */
export class MessageRouting {
  #ctx: BusContext;
  /** Messages carve their copies from their own slabs (records pin them). */
  #slab = new Slab();
  /** The newest message records (live: the bus hands out copies). */
  readonly records: RecordLog<MessageRecord>;

  /** The messages of the bus of `ctx`. */
  constructor(ctx: BusContext) {
    this.#ctx = ctx;
    this.records = new RecordLog(ctx.recordsCap, {
      budget: ctx.recordsBudget,
      size: messageBytes,
    });
  }

  /** Snapshots of the kept messages sent by clients matching `from`. */
  sent(from?: Partial<BusAddress>): MessageRecord[] {
    return this.records.toArray().filter((m) => addressMatches(m.src, from))
      .map(snapshot);
  }

  /** Snapshots of the kept messages delivered to clients matching `to`. */
  received(to?: Partial<BusAddress>): MessageRecord[] {
    return this.records.toArray().filter((m) =>
      m.status === "delivered" && addressMatches(m.dst, to)
    ).map(snapshot);
  }

  /** Forget every record. */
  clear(): void {
    this.records.clear();
  }

  /**
   * Copy `data` once, record it (when records are kept) and post it from
   * `from` to `dst`; the copy goes to the receiver and stays in the record.
   * A ping (`pinger` set) is answered by the bus for the target.
   */
  send(
    kind: MessageKind,
    cmd: number,
    cmdType: number,
    from: Conn,
    dst: BusAddress,
    data: Uint8Array,
    pinger: Conn | undefined,
  ): void {
    const bytes = this.#slab.copy(data);
    const to = this.#ctx.conns.find(dst);
    const record = this.#keep(kind, cmd, cmdType, from.address, dst, to, bytes);
    if (to === undefined) {
      return this.drop(kind, from.address, dst, record, "no such destination");
    }
    const d = new MessageDelivery(
      kind,
      cmd,
      cmdType,
      from.address,
      to,
      bytes,
      record,
      pinger,
      from.node.unitId,
    );
    this.#ctx.post(d);
  }

  /** A message reached its receiver (called by its delivery). */
  arrived(d: MessageDelivery): void {
    const record = d.record;
    if (record !== undefined) {
      record.status = "delivered";
      record.deliveredAt = this.#ctx.clock.now();
      this.records.touched(record);
    }
    if (d.pinger !== undefined) return this.#pingBack(d.to, d.pinger, d.bytes);
    const head = this.#ctx.head(d.cmd, d.cmdType, d.src, d.dst, d.bytes.length);
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
      this.records.touched(record);
    }
    this.#ctx.log(
      `${kind} ${formatAddress(src)} -> ${
        formatAddress(dst)
      } dropped: ${reason}`,
    );
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
    if (!this.records.keeps) return undefined;
    const record: MessageRecord = {
      kind,
      time: this.#ctx.clock.now(),
      cmd,
      cmdType,
      // Records are copied when handed out: sharing live addresses is safe.
      src,
      dst: to?.address ?? copyAddress(dst),
      bytes,
      status: "queued",
    };
    this.records.push(record);
    return record;
  }

  #pingBack(target: Conn, pinger: Conn, data: Uint8Array): void {
    // The answer carries the ping's own bytes: both are read-only copies.
    const to = this.#ctx.conns.find(pinger.address);
    const record = this.#keep(
      "pingAck",
      SystemCmd.PING_ANSWER,
      CmdType.SYSTEM,
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
      "pingAck",
      SystemCmd.PING_ANSWER,
      CmdType.SYSTEM,
      target.address,
      pinger,
      data,
      record,
      undefined,
      target.node.unitId,
    );
    this.#ctx.post(d);
  }
}
