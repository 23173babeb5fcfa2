/**
 * Whether a journal record matches a query: the fields each kind can be
 * filtered by, the check of a query, and the match itself over the bus's
 * live records. A record's `status` (messages) or `state` (flow calls) may
 * change after it is kept; every other field is fixed, so a long poll
 * needs to look again only at records whose one changing field can still
 * change ({@link mayChange}).
 *
 * @module
 */
import type {
  FlowCallRecord,
  MessageRecord,
  NotificationRecord,
} from "../bus/records.ts";
import { recordText } from "../bus/records.ts";
import { flowCallOpen, flowCallState } from "../bus/flow_routing.ts";
import { jsonEqual } from "./json_equal.ts";
import {
  InvalidQueryError,
  JOURNAL_KINDS,
  type JournalKind,
  type JournalQuery,
  type PresenceEvent,
} from "./journal_types.ts";

const COMMON = ["unit", "client", "since", "limit"];
const FIELDS: Record<JournalKind, Set<string>> = {
  messages: new Set([
    ...COMMON,
    "fromUnit",
    "fromClient",
    "toUnit",
    "toClient",
    "kind",
    "cmd",
    "status",
    "text",
  ]),
  flowCalls: new Set([
    ...COMMON,
    "project",
    "flow",
    "params",
    "state",
    "ipscUnit",
    "ipscProcess",
  ]),
  notifications: new Set([...COMMON, "project", "title"]),
  presence: new Set([...COMMON, "event"]),
};
const STRINGS = new Set([
  "kind",
  "status",
  "text",
  "project",
  "flow",
  "state",
  "title",
  "event",
]);

/**
 * Check `q` against what `kind` can be filtered by; throws
 * {@link InvalidQueryError}.
 *
 * @example
 * ```ts
 * import { checkJournalQuery } from "./journal_match.ts";
 * checkJournalQuery("flowCalls", { flow: "hello" }); // fine
 * checkJournalQuery("messages", { flow: "hello" }); // throws InvalidQueryError: flow does not apply to messages
 * ```
 */
export function checkJournalQuery(kind: JournalKind, q: JournalQuery): void {
  if (!JOURNAL_KINDS.includes(kind)) {
    throw new InvalidQueryError(
      `no journal of ${JSON.stringify(kind)}; one of ${
        JOURNAL_KINDS.join(", ")
      }`,
    );
  }
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (!FIELDS[kind].has(k)) {
      throw new InvalidQueryError(`${k} does not apply to ${kind}`);
    }
    const ok = k === "params"
      ? Array.isArray(v)
      : STRINGS.has(k)
      ? typeof v === "string"
      : typeof v === "number" && Number.isFinite(v);
    if (!ok) {
      throw new InvalidQueryError(
        `${k} must be ${
          k === "params" ? "a list" : STRINGS.has(k) ? "a string" : "a number"
        }, got ${JSON.stringify(v)}`,
      );
    }
  }
  if (q.limit !== undefined && !(Number.isInteger(q.limit) && q.limit >= 0)) {
    throw new InvalidQueryError("limit must be an integer >= 0");
  }
}

/**
 * The bus time of a record of `kind` (a flow call's start).
 *
 * @example
 * ```ts
 * import { timeOf } from "./journal_match.ts";
 * console.log(timeOf("flowCalls", { startedAt: 1000 }), timeOf("messages", { time: 5 })); // 1000 5
 * ```
 */
export const timeOf = (kind: JournalKind, r: unknown): number =>
  kind === "flowCalls"
    ? (r as FlowCallRecord).startedAt
    : (r as { time: number }).time;

/** Messages up to this size keep their decoded text while they are kept. */
const CACHED_TEXT_BYTES = 1024;
/** Decoded texts by record: they go with the records. */
const texts = new WeakMap<MessageRecord, string>();
/** The last text asked for (one record held past its time, at most). */
const last: { m: MessageRecord | undefined; text: string } = {
  m: undefined,
  text: "",
};

/**
 * A message's data as text (GBK, else UTF-8), decoded once while the
 * message is kept (when small): every wait on `text` starts by reading
 * every message kept, and 500 waits would decode 10,000 messages 500
 * times.
 *
 * @example
 * ```ts
 * import type { MessageRecord } from "../bus/records.ts";
 * import { messageText } from "./journal_match.ts";
 * const m = { bytes: new TextEncoder().encode("hello") } as MessageRecord;
 * console.log(messageText(m)); // hello
 * ```
 */
export function messageText(m: MessageRecord): string {
  // Every query looks at a new record in turn: the last one is at hand.
  if (last.m === m) return last.text;
  let text = texts.get(m);
  if (text === undefined) {
    text = recordText(m.bytes);
    if (m.bytes.byteLength <= CACHED_TEXT_BYTES) texts.set(m, text);
  }
  last.m = m;
  last.text = text;
  return text;
}

/**
 * Whether record `r` of `kind` matches `q` at bus time `now` (flow calls
 * turn `unanswered` at their deadline).
 *
 * @example
 * ```ts
 * import type { FlowCallRecord } from "../bus/records.ts";
 * import { matches } from "./journal_match.ts";
 * const call = { mode: 0, state: "pending", startedAt: 0, timeoutMs: 500 } as FlowCallRecord;
 * console.log(matches("flowCalls", call, { state: "unanswered" }, 500)); // true: its deadline passed
 * ```
 */
export function matches(
  kind: JournalKind,
  r: unknown,
  q: JournalQuery,
  now: number,
): boolean {
  return matchesFixed(kind, r, q) && matchesChanging(kind, r, q, now);
}

/**
 * Whether the field of `r` that may change (a message's `status`, a flow
 * call's `state` at bus time `now`) is what `q` asks.
 *
 * @example
 * ```ts
 * import type { MessageRecord } from "../bus/records.ts";
 * import { matchesChanging } from "./journal_match.ts";
 * const m = { status: "queued" } as MessageRecord;
 * console.log(matchesChanging("messages", m, { status: "delivered" }, 0)); // false, for now
 * ```
 */
export function matchesChanging(
  kind: JournalKind,
  r: unknown,
  q: JournalQuery,
  now: number,
): boolean {
  if (kind === "messages") return is(q.status, (r as MessageRecord).status);
  if (kind === "flowCalls") {
    return q.state === undefined ||
      q.state === flowCallState(r as FlowCallRecord, now);
  }
  return true;
}

/**
 * Whether the field of `r` that may change (a message's `status`, a flow
 * call's `state`) still can, and `q` asks for it: then `r` must be looked
 * at again when it changes (or, for a flow call, at its deadline).
 *
 * @example
 * ```ts
 * import type { MessageRecord } from "../bus/records.ts";
 * import { mayChange } from "./journal_match.ts";
 * const m = { status: "queued" } as MessageRecord;
 * console.log(mayChange("messages", m, { status: "delivered" })); // true: look again when it is delivered
 * ```
 */
export function mayChange(
  kind: JournalKind,
  r: unknown,
  q: JournalQuery,
): boolean {
  if (!asksChanging(kind, q)) return false;
  return kind === "messages"
    ? (r as MessageRecord).status === "queued"
    : flowCallOpen(r as FlowCallRecord);
}

/**
 * Whether `q` asks for the field of `kind` that may change (a message's
 * `status`, a flow call's `state`): if not, what matches matches for good.
 *
 * @example
 * ```ts
 * import { asksChanging } from "./journal_match.ts";
 * console.log(asksChanging("flowCalls", { state: "responded" }), asksChanging("flowCalls", { flow: "x" })); // true false
 * ```
 */
export const asksChanging = (kind: JournalKind, q: JournalQuery): boolean =>
  kind === "messages"
    ? q.status !== undefined
    : kind === "flowCalls" && q.state !== undefined;

/**
 * Whether `r` matches every field of `q` but the one that may change (see
 * {@link matchesChanging}): what holds of `r` holds for good.
 *
 * @example
 * ```ts
 * import type { NotificationRecord } from "../bus/records.ts";
 * import { matchesFixed } from "./journal_match.ts";
 * const n = { time: 0, from: { unitId: 17, clientId: 1 }, project: "ivr", title: "done" } as NotificationRecord;
 * console.log(matchesFixed("notifications", n, { unit: 17, title: "done" })); // true
 * ```
 */
export function matchesFixed(
  kind: JournalKind,
  r: unknown,
  q: JournalQuery,
): boolean {
  if (q.since !== undefined && timeOf(kind, r) < q.since) return false;
  switch (kind) {
    case "messages": {
      const m = r as MessageRecord;
      const concerned = (q.unit === undefined && q.client === undefined) ||
        [m.src, m.dst].some((a) =>
          (q.unit === undefined || a.unitId === q.unit) &&
          (q.client === undefined || a.clientId === q.client)
        );
      return concerned && is(q.fromUnit, m.src.unitId) &&
        is(q.fromClient, m.src.clientId) && is(q.toUnit, m.dst.unitId) &&
        is(q.toClient, m.dst.clientId) && is(q.kind, m.kind) &&
        is(q.cmd, m.cmd) &&
        (q.text === undefined || messageText(m).includes(q.text));
    }
    case "flowCalls": {
      const c = r as FlowCallRecord;
      return is(q.unit, c.from.unitId) && is(q.client, c.from.clientId) &&
        is(q.project, c.project) && is(q.flow, c.flow) &&
        is(q.ipscUnit, c.server.unitId) &&
        is(q.ipscProcess, c.server.processIndex) &&
        (q.params === undefined || jsonEqual(q.params, parseList(c.params)));
    }
    case "notifications": {
      const n = r as NotificationRecord;
      return is(q.unit, n.from.unitId) && is(q.client, n.from.clientId) &&
        is(q.project, n.project) && is(q.title, n.title);
    }
    default: {
      const e = r as PresenceEvent;
      return is(q.unit, e.address.unitId) &&
        is(q.client, e.address.clientId) && is(q.event, e.event);
    }
  }
}

const is = (want: unknown, got: unknown): boolean =>
  want === undefined || want === got;

/**
 * A flow call's parameter or result text as a list: a JSON list as is,
 * another JSON value as a list of one, `null` when empty or not JSON.
 *
 * @example
 * ```ts
 * import { parseList } from "./journal_match.ts";
 * console.log(parseList('["a", 1]'), parseList('"a"'), parseList("not json")); // ["a", 1] ["a"] null
 * ```
 */
export function parseList(text: string): unknown[] | null {
  if (text.trim() === "") return null;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : [v];
  } catch {
    return null;
  }
}
