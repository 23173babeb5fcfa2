/**
 * What the mock bus remembers for inspection: messages, flow calls,
 * notifications, connected clients. Every record handed out is a snapshot
 * (a fresh object); text fields are decoded for reading in assertions.
 *
 * @module
 */
import { decodeGbkOrUtf8 } from "../../api/text.ts";
import type { BusAddress } from "./contract.ts";

/**
 * What kind of traffic a {@link MessageRecord} is.
 *
 * @example
 * ```ts
 * import type { MessageKind } from "@smartbus/netclient/mock";
 * const isPing = (k: MessageKind): boolean => k !== "data";
 * ```
 */
export type MessageKind = "data" | "ping" | "pingAck";

/**
 * One data packet, ping or ping answer that went through the bus.
 *
 * @example
 * ```ts
 * import type { MessageRecord } from "@smartbus/netclient/mock";
 * const text = (m: MessageRecord): string => new TextDecoder().decode(m.bytes);
 * ```
 */
export interface MessageRecord {
  /** Data, a ping, or the bus's answer to a ping. */
  kind: MessageKind;
  /** Bus time when it was sent. */
  time: number;
  /** Bus time when it reached the receiver (absent until then). */
  deliveredAt?: number;
  /** `cmd` (7 for pings, 8 for ping answers). */
  cmd: number;
  /** `cmdtype` (1, SYSTEM, for pings and their answers). */
  cmdType: number;
  /** The sender (for a ping answer: the pinged client). */
  src: BusAddress;
  /** The addressee. */
  dst: BusAddress;
  /** The data as sent (a copy). */
  bytes: Uint8Array;
  /** `queued` until delivered; `dropped` when nobody could take it. */
  status: "queued" | "delivered" | "dropped";
  /** Why it was dropped. */
  reason?: string;
}

/**
 * Where a flow call stands: `pending` (no acknowledge yet), `acknowledged`
 * (ack 1, no result yet: final for fire-and-forget calls), `responded`
 * (ret 1), `errored` (ack ≠ 1 or ret ≠ 1), `unanswered` (wanted a result
 * but its timeout passed on the bus clock without one).
 *
 * @example
 * ```ts
 * import type { FlowCallState } from "@smartbus/netclient/mock";
 * const finished = (s: FlowCallState): boolean => s !== "pending" && s !== "acknowledged";
 * ```
 */
export type FlowCallState =
  | "pending"
  | "acknowledged"
  | "responded"
  | "errored"
  | "unanswered";

/**
 * One flow invocation as the bus saw it.
 *
 * @example
 * ```ts
 * import type { FlowCallRecord } from "@smartbus/netclient/mock";
 * const done = (c: FlowCallRecord): boolean => c.state === "responded";
 * ```
 */
export interface FlowCallRecord {
  /** The caller's invoke id. */
  invokeId: number;
  /** The caller. */
  from: BusAddress;
  /** The IPSC named by the call (`server` unit id, process index). */
  server: { unitId: number; processIndex: number };
  /** Project id (decoded). */
  project: string;
  /** Flow name (decoded). */
  flow: string;
  /** 0 wants the result, 1 fire and forget. */
  mode: number;
  /** The caller's timeout in ms. */
  timeoutMs: number;
  /** The parameter list as sent (JSON text). */
  params: string;
  /** Where it stands as of the snapshot. */
  state: FlowCallState;
  /** Bus time of the call. */
  startedAt: number;
  /** The acknowledge, once it came. */
  ack?: number;
  /** The acknowledge's message. */
  ackMessage?: string;
  /** Bus time of the acknowledge. */
  ackAt?: number;
  /** The result code, once it came (1 ok). */
  ret?: number;
  /** The result list as returned (JSON text). */
  result?: string;
  /** Bus time of the result. */
  answeredAt?: number;
  /** The result came after the call's timeout (the caller's library dropped it). */
  late: boolean;
  /** Why no flow handled it, when none did. */
  unhandled?: string;
}

/**
 * One notification as the bus saw it.
 *
 * @example
 * ```ts
 * import type { NotificationRecord } from "@smartbus/netclient/mock";
 * const titles = (ns: NotificationRecord[]): string[] => ns.map((n) => n.title);
 * ```
 */
export interface NotificationRecord {
  /** Bus time when it was sent. */
  time: number;
  /** The sender. */
  from: BusAddress;
  /** The IPSC it was meant for. */
  to: { unitId: number; processIndex: number };
  /** The sender's invoke id. */
  invokeId: number;
  /** Project id (decoded). */
  project: string;
  /** Title (decoded). */
  title: string;
  /** `mode` as sent. */
  mode: number;
  /** Expiry in ms. */
  expiresMs: number;
  /** Parameter text (decoded). */
  param: string;
  /** False when no IPSC took it. */
  delivered: boolean;
}

/**
 * One connection on the bus.
 *
 * @example
 * ```ts
 * import type { ClientRecord } from "@smartbus/netclient/mock";
 * const where = (c: ClientRecord): number => c.nodeUnitId;
 * ```
 */
export interface ClientRecord {
  /** Where it sits on the bus. */
  address: BusAddress;
  /** The unit id of the node it is attached to. */
  nodeUnitId: number;
  /** Its `add_info` (decoded). */
  addInfo: string;
  /** Bus time of the login. */
  connectedAt: number;
  /**
   * The node of its second (standby) link, when it has one: the vendor's
   * library registers master and slave links at once.
   */
  standbyNodeUnitId?: number;
}

/**
 * Bytes as readable text for records: what the bus carries in flow calls,
 * notifications and `add_info` is GBK (UTF-8 accepted when not valid GBK),
 * as the API reads it. Never throws.
 *
 * @example
 * ```ts
 * import { recordText } from "./records.ts";
 * console.log(recordText(new Uint8Array([0xc4, 0xe3, 0xba, 0xc3]))); // 你好 (GBK)
 * ```
 */
export const recordText: (bytes: Uint8Array) => string = decodeGbkOrUtf8;

/**
 * What a record costs beside its bytes and text: the object, its
 * addresses, its numbers (an estimate on the safe side).
 */
const RECORD_OVERHEAD = 256;

/**
 * Bytes a message record holds, as counted against the records budget.
 *
 * @example
 * ```ts
 * import { messageBytes, type MessageRecord } from "./records.ts";
 * const m = { bytes: new Uint8Array(100) } as MessageRecord;
 * console.log(messageBytes(m)); // 356: 256 of overhead and the 100 bytes
 * ```
 */
export function messageBytes(m: MessageRecord): number {
  return RECORD_OVERHEAD + m.bytes.byteLength;
}

/** Bytes a string is counted to hold (two per UTF-16 unit: the safe side). */
const textBytes = (s: string | undefined): number =>
  s === undefined ? 0 : 2 * s.length;

/**
 * Bytes a flow call record holds, as counted against the records budget
 * (its answer included once it came).
 *
 * @example
 * ```ts
 * import { flowCallBytes, type FlowCallRecord } from "./records.ts";
 * const c = { project: "ivr", flow: "hello", params: "" } as FlowCallRecord;
 * console.log(flowCallBytes(c)); // 272: 256 of overhead and 2 per UTF-16 unit
 * ```
 */
export function flowCallBytes(c: FlowCallRecord): number {
  return RECORD_OVERHEAD + textBytes(c.project) + textBytes(c.flow) +
    textBytes(c.params) + textBytes(c.ackMessage) + textBytes(c.result) +
    textBytes(c.unhandled);
}

/**
 * Bytes a notification record holds, as counted against the records budget.
 *
 * @example
 * ```ts
 * import { notificationBytes, type NotificationRecord } from "./records.ts";
 * const n = { project: "ivr", title: "t", param: "" } as NotificationRecord;
 * console.log(notificationBytes(n)); // 264
 * ```
 */
export function notificationBytes(n: NotificationRecord): number {
  return RECORD_OVERHEAD + textBytes(n.project) + textBytes(n.title) +
    textBytes(n.param);
}
