/**
 * The mock bus's notifications: each goes to the IPSC named by (unit id,
 * process index), and is recorded for inspection (the newest `records`, see
 * `MockBusOptions.records`). Internal to the bus.
 *
 * @module
 */
import { ClientType } from "../../abi/constants.ts";
import type { BusContext } from "./bus_context.ts";
import { TaskDelivery } from "./delivery.ts";
import type { Conn } from "./connections.ts";
import type { BusAddress, NotifyMessage } from "./contract.ts";
import { copyAddress } from "./address.ts";
import {
  notificationBytes,
  type NotificationRecord,
  recordText,
} from "./records.ts";
import { RecordLog } from "./record_log.ts";

/** Routing and records of the notifications of one bus. */
export class NotificationRouting {
  #ctx: BusContext;
  /** The newest notification records (live: the bus hands out copies). */
  readonly records: RecordLog<NotificationRecord>;

  /** The notifications of the bus of `ctx`. */
  constructor(ctx: BusContext) {
    this.#ctx = ctx;
    this.records = new RecordLog(ctx.recordsCap, {
      budget: ctx.recordsBudget,
      size: notificationBytes,
    });
  }

  /** Snapshots of the kept notifications. */
  snapshots(): NotificationRecord[] {
    return this.records.toArray().map((n) => ({
      ...n,
      from: copyAddress(n.from),
      to: { ...n.to },
    }));
  }

  /** Forget every record. */
  clear(): void {
    this.records.clear();
  }

  /** Record `msg` from `me` and send it to the IPSC at `serverUnitId`/`processIndex`. */
  send(
    me: BusAddress,
    serverUnitId: number,
    processIndex: number,
    msg: Omit<NotifyMessage, "from">,
  ): void {
    const ctx = this.#ctx;
    const record: NotificationRecord = {
      time: ctx.clock.now(),
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
    this.records.push(record);
    const target = ctx.conns.find({
      unitId: serverUnitId,
      clientId: processIndex,
      clientType: ClientType.IPSC,
    });
    if (!target?.sink.notify) {
      ctx.log(
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
    const run = (at: Conn): void => {
      record.delivered = true;
      at.sink.notify!(copy);
    };
    ctx.post(new TaskDelivery(me, target, "flow", run));
  }
}
