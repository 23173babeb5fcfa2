/**
 * The mock bus's traffic: the {@link BusPort} each attached connection gets,
 * routing data, pings, flow calls and notifications, and recording messages
 * and notifications for inspection. Internal to the bus.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * console.log(bus.sent().length, bus.notifications().length); // 0 0
 * ```
 * @module
 */
import { ClientType, CmdType, ErrorCode } from "../api/constants.ts";
import type { Conn, Router } from "./conn.ts";
import type { FlowBook } from "./flowbook.ts";
import type { BusAddress, BusPort } from "./port.ts";
import {
  copyAddress,
  formatAddress,
  type MessageKind,
  type MessageRecord,
  type NotificationRecord,
  recordText,
} from "./records.ts";

/** Ports, routing and message records for one bus. */
export class Traffic {
  #r: Router;
  #flows: FlowBook;
  /** Live records (the bus hands out copies). */
  messages: MessageRecord[] = [];
  /** Live records (the bus hands out copies). */
  notifications: NotificationRecord[] = [];

  /** Traffic over `router`, flow calls through `flows`. */
  constructor(router: Router, flows: FlowBook) {
    this.#r = router;
    this.#flows = flows;
  }

  /** Forget every record. */
  clear(): void {
    this.messages = [];
    this.notifications = [];
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
        const { record, to } = this.#record(
          "data",
          cmd,
          cmdType,
          me,
          dst,
          data,
        );
        if (to) this.#deliver(record, to);
        return ErrorCode.OK;
      },
      ping: (dst, data) => {
        const rc = check(dst);
        if (rc !== undefined) return rc;
        const { record, to } = this.#record(
          "ping",
          0,
          CmdType.INTERNAL,
          me,
          dst,
          data,
        );
        // The target's library answers; its app never sees the ping.
        if (to) this.#deliver(record, to, () => this.#pingBack(to, conn, data));
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
          return ErrorCode.OK;
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

  #pingBack(target: Conn, pinger: Conn, data: Uint8Array): void {
    const { record, to } = this.#record(
      "pingAck",
      0,
      CmdType.PING_ACK,
      target.address,
      pinger.address,
      data,
    );
    if (to === pinger) this.#deliver(record, pinger);
    else if (to) this.#drop(record, "pinger reconnected since");
  }

  #record(
    kind: MessageKind,
    cmd: number,
    cmdType: number,
    src: BusAddress,
    dst: BusAddress,
    data: Uint8Array,
  ): { record: MessageRecord; to: Conn | undefined } {
    const record: MessageRecord = {
      kind,
      time: this.#r.clock.now(),
      cmd,
      cmdType,
      src: copyAddress(src),
      dst: copyAddress(dst),
      bytes: data.slice(),
      status: "queued",
    };
    this.messages.push(record);
    const to = this.#r.find(dst);
    if (!to) this.#drop(record, "no such destination");
    return { record, to };
  }

  #drop(record: MessageRecord, reason: string): void {
    record.status = "dropped";
    record.reason = reason;
    this.#r.log(
      `${record.kind} ${formatAddress(record.src)} -> ${
        formatAddress(record.dst)
      } dropped: ${reason}`,
    );
  }

  /** Deliver `record` to `to` (or run `instead` on arrival, for pings). */
  #deliver(record: MessageRecord, to: Conn, instead?: () => void): void {
    this.#r.post(
      record.src,
      to,
      () => {
        record.status = "delivered";
        record.deliveredAt = this.#r.clock.now();
        if (instead) return instead();
        const { cmd, cmdType, src, dst, bytes } = record;
        const head = this.#r.head(cmd, cmdType, src, dst, bytes.length);
        to.sink.data(head, bytes.slice());
      },
      (why) => this.#drop(record, why),
      record.kind === "data" ? "data" : "ping",
    );
  }
}
