/**
 * Whether a journal record matches a query: the fields each kind can be
 * filtered by, the check of a query, and the match itself over the bus's
 * live records. A record's `status` (messages) or `state` (flow calls) may
 * change after it is kept; every other field is fixed, so a long poll
 * needs to look again only at records whose one changing field can still
 * change ({@link mayChange}).
 *
 * @example
 * ```ts
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * new Journal(new MockBus()).count("messages", { flow: "x" }); // throws InvalidQueryError
 * ```
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
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * new Journal(new MockBus()).count("messages", { flow: "x" }); // throws InvalidQueryError
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
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * // `since` compares it: records at or after bus time 1000
 * new Journal(new MockBus()).find("flowCalls", { since: 1000 });
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
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * // `text` filters and the journal's messages read it
 * console.log(new Journal(new MockBus()).count("messages", { text: "hello" })); // 0
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
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * // every query of the journal goes through it
 * console.log(new Journal(new MockBus()).count("flowCalls", { state: "responded" })); // 0
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
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * // every query of the journal goes through it
 * console.log(new Journal(new MockBus()).count("messages", { status: "dropped" })); // 0
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
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * // a wait for a state looks again at the calls still under way
 * await new Journal(new MockBus()).waitFor("flowCalls", { state: "responded" }, { timeoutMs: 1 })
 *   .catch((e: Error) => e.name); // "WaitTimeoutError"
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
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * // a wait for a state looks again at the calls still under way
 * await new Journal(new MockBus()).waitFor("flowCalls", { state: "responded" }, { timeoutMs: 1 })
 *   .catch((e: Error) => e.name); // "WaitTimeoutError"
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
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * // every query of the journal goes through it
 * console.log(new Journal(new MockBus()).count("messages", { toUnit: 20 })); // 0
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
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * // `paramList` and `resultList` of the journal's flow calls
 * for (const c of new Journal(new MockBus()).find("flowCalls")) console.log(c.paramList);
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
