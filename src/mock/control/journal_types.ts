/**
 * The shapes of the journal: what a query may ask per kind of record, the
 * records as the journal hands them out (JSON-ready, passwords masked) and
 * presence events.
 *
 * @example
 * ```ts
 * import type { JournalQuery } from "@smartbus/netclient/mock";
 * const calloutsFrom30: JournalQuery = { unit: 30, project: "ivr", flow: "callout" };
 * ```
 * @module
 */
import type { BusAddress } from "../bus/contract.ts";
import type { FlowCallRecord, MessageKind } from "../bus/records.ts";
import { ControlHttpError } from "./http.ts";

/**
 * The kinds of records in the journal: messages (data, pings, ping
 * answers), flow calls, notifications, presence (logins, refusals,
 * disconnects of clients served on TCP).
 *
 * @example
 * ```ts
 * import type { JournalKind } from "@smartbus/netclient/mock";
 * const kind: JournalKind = "flowCalls";
 * ```
 */
export type JournalKind =
  | "messages"
  | "flowCalls"
  | "notifications"
  | "presence";

/** Every journal kind, in the order the API lists them. */
export const JOURNAL_KINDS: readonly JournalKind[] = [
  "messages",
  "flowCalls",
  "notifications",
  "presence",
];

/**
 * How the control API spells each journal kind wherever it shows one: in
 * its URLs (`/journal/flow-calls`), in `GET /api/v1` and in its messages.
 *
 * @example
 * ```ts
 * import { JOURNAL_PATHS } from "./journal_types.ts";
 * console.log(JOURNAL_PATHS.flowCalls); // "flow-calls"
 * ```
 */
export const JOURNAL_PATHS: Readonly<Record<JournalKind, string>> = {
  messages: "messages",
  flowCalls: "flow-calls",
  notifications: "notifications",
  presence: "presence",
};

/**
 * A journal filter: every field given must hold. `unit`/`client` name the
 * client concerned (sender or receiver of a message; the caller of a flow;
 * the sender of a notification; the client of a presence event). Fields
 * that do not apply to a kind are refused (`InvalidQueryError`).
 *
 * @example
 * ```ts
 * import type { JournalQuery } from "@smartbus/netclient/mock";
 * const twiceWith: JournalQuery = { project: "ivr", flow: "callout", params: ["10086"] };
 * ```
 */
export interface JournalQuery {
  /** Unit id of the client concerned. */
  unit?: number;
  /** Client id of the client concerned. */
  client?: number;
  /** Messages: sender's unit id. */
  fromUnit?: number;
  /** Messages: sender's client id. */
  fromClient?: number;
  /** Messages: receiver's unit id. */
  toUnit?: number;
  /** Messages: receiver's client id. */
  toClient?: number;
  /** Messages: `data`, `ping` or `pingAck`. */
  kind?: MessageKind;
  /** Messages: the `cmd`. */
  cmd?: number;
  /** Messages: `queued`, `delivered`, `dropped`. */
  status?: string;
  /** Messages: text contained in the data (decoded). */
  text?: string;
  /** Flow calls and notifications: project id. */
  project?: string;
  /** Flow calls: flow name. */
  flow?: string;
  /** Flow calls: the whole parameter list (deep-equal). */
  params?: unknown[];
  /** Flow calls: `pending`, `acknowledged`, `responded`, `errored`, `unanswered`. */
  state?: string;
  /** Flow calls: the IPSC's unit id. */
  ipscUnit?: number;
  /** Flow calls: the IPSC's process index. */
  ipscProcess?: number;
  /** Notifications: title. */
  title?: string;
  /** Presence: `connect`, `disconnect`, `refused`. */
  event?: string;
  /** Only records at or after this bus time. */
  since?: number;
  /** Only the newest `limit` (of those matching). */
  limit?: number;
}

/**
 * A message as the journal lists it: its data as text (GBK or UTF-8) and
 * base64.
 *
 * @example
 * ```ts
 * import type { JournalMessage } from "@smartbus/netclient/mock";
 * const said = (m: JournalMessage): string => m.text;
 * ```
 */
export interface JournalMessage {
  /** Data, ping or ping answer. */
  kind: MessageKind;
  /** Bus time sent. */
  time: number;
  /** Bus time delivered. */
  deliveredAt?: number;
  /** `cmd`. */
  cmd: number;
  /** `cmdtype`. */
  cmdType: number;
  /** Sender. */
  src: BusAddress;
  /** Addressee. */
  dst: BusAddress;
  /** Data length in bytes. */
  size: number;
  /** The data decoded (GBK, else UTF-8), passwords masked. */
  text: string;
  /** The data, base64 (as sent). */
  base64: string;
  /** `queued`, `delivered` or `dropped`. */
  status: string;
  /** Why it was dropped. */
  reason?: string;
}

/**
 * A flow call as the journal lists it: the bus's record plus its
 * parameter and result lists parsed.
 *
 * @example
 * ```ts
 * import type { JournalFlowCall } from "@smartbus/netclient/mock";
 * const first = (c: JournalFlowCall): unknown => c.paramList?.[0];
 * ```
 */
export interface JournalFlowCall extends FlowCallRecord {
  /** `params` parsed (null when not a JSON list). */
  paramList: unknown[] | null;
  /** `result` parsed, once answered (null when not a JSON list). */
  resultList?: unknown[] | null;
}

/**
 * A login, refused login or disconnect of a client, as the TCP front saw
 * it. Never carries a password.
 *
 * @example
 * ```ts
 * import type { PresenceEvent } from "@smartbus/netclient/mock";
 * const left = (e: PresenceEvent): boolean => e.event === "disconnect";
 * ```
 */
export interface PresenceEvent {
  /** Bus time. */
  time: number;
  /** What happened. */
  event: "connect" | "disconnect" | "refused";
  /** The client. */
  address: BusAddress;
  /** The node's unit id (absent when no node was found). */
  node?: number;
  /** The login name given, if any. */
  user?: string;
  /** Its `add_info`. */
  addInfo?: string;
  /** Why it was refused or disconnected. */
  reason?: string;
  /** For a refusal: the error code. */
  code?: number;
}

/**
 * A query the journal cannot run (a field that does not apply to the
 * kind, a value of the wrong type); HTTP 400 `invalid_query`.
 *
 * @example
 * ```ts
 * import { InvalidQueryError } from "@smartbus/netclient/mock";
 * const e = new InvalidQueryError("flow does not apply to messages");
 * console.log(e.name); // "InvalidQueryError"
 * ```
 */
export class InvalidQueryError extends Error {
  /** `"InvalidQueryError"`. */
  override name = "InvalidQueryError";
}

/**
 * `waitFor` ran out of time before enough records matched; HTTP 408
 * `wait_timeout`. Carries how many matched.
 *
 * @example
 * ```ts
 * import { WaitTimeoutError } from "@smartbus/netclient/mock";
 * const e = new WaitTimeoutError("flowCalls", 1, 0, 100);
 * console.log(e.matched); // 0
 * ```
 */
export class WaitTimeoutError extends Error {
  /** `"WaitTimeoutError"`. */
  override name = "WaitTimeoutError";
  /** How many records matched when time ran out. */
  readonly matched: number;
  /** A wait for `count` records of `kind`, of which `matched` came in `timeoutMs`. */
  constructor(kind: string, count: number, matched: number, timeoutMs: number) {
    // The kind as the URL that asked spells it: one name for each kind.
    const name = Object.hasOwn(JOURNAL_PATHS, kind)
      ? JOURNAL_PATHS[kind as JournalKind]
      : kind;
    super(
      `waited ${timeoutMs} ms for ${count} matching ${name} record(s), ${matched} came`,
    );
    this.matched = matched;
  }
}

/**
 * A wait refused because the journal already has its cap of waits under
 * way (`Journal.maxWaits`, 1000 by default): each one holds a connection
 * and is told of every record of its kind. HTTP 503 `too_many_waits`,
 * with the cap in `max`.
 *
 * @example
 * ```ts
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * const journal = new Journal(new MockBus());
 * journal.maxWaits = 0;
 * await journal.waitFor("flowCalls", {}, { timeoutMs: 10 })
 *   .catch((e: Error) => console.log(e.name)); // "TooManyWaitsError"
 * ```
 */
export class TooManyWaitsError extends ControlHttpError {
  /** `"TooManyWaitsError"`. */
  override name = "TooManyWaitsError";
  /** A refusal past a cap of `max` waits at once. */
  constructor(max: number) {
    super(
      503,
      "too_many_waits",
      `at most ${max} journal waits at once (the cap on concurrent waits); let one end first`,
      { max },
    );
  }
}
