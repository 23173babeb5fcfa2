/**
 * The journal: queries over what a mock bus recorded (messages, flow
 * calls, notifications, and presence when a {@link PresenceLog} is given),
 * filtered by unit, client, project, flow and more; counts for
 * verification; and a bounded wait until enough records match. The
 * in-memory bus and the control API share it.
 *
 * @example
 * ```ts
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * const journal = new Journal(bus);
 * console.log(journal.count("flowCalls", { project: "ivr", flow: "callout" })); // 0
 * ```
 * @module
 */
import type {
  FlowCallRecord,
  MessageRecord,
  NotificationRecord,
} from "../bus/records.ts";
import { recordText } from "../bus/records.ts";
import { jsonEqual } from "./json_equal.ts";
import { base64, masker } from "./masking.ts";
import {
  InvalidQueryError,
  JOURNAL_KINDS,
  type JournalFlowCall,
  type JournalKind,
  type JournalMessage,
  type JournalQuery,
  type PresenceEvent,
  WaitTimeoutError,
} from "./journal_types.ts";

/**
 * What the journal reads (a `MockBus` has it all).
 *
 * @example
 * ```ts
 * import { type JournalSource, MockBus } from "@smartbus/netclient/mock";
 * const source: JournalSource = new MockBus();
 * console.log(source.flowCalls().length); // 0
 * ```
 */
export interface JournalSource {
  /** The bus clock (for `clear`). */
  readonly clock: { now(): number };
  /** Kept messages. */
  sent(): MessageRecord[];
  /** Kept flow calls. */
  flowCalls(): FlowCallRecord[];
  /** Kept notifications. */
  notifications(): NotificationRecord[];
  /** Forget the records of `kind` (every kind without), freeing them. */
  clearRecords(kind?: "messages" | "flowCalls" | "notifications"): void;
  /** Nodes, for the passwords to mask. */
  nodes(): readonly { users?: Readonly<Record<string, string>> }[];
}

/**
 * The records of each kind, as the journal hands them out.
 *
 * @example
 * ```ts
 * import type { JournalRecords } from "@smartbus/netclient/mock";
 * const project = (call: JournalRecords["flowCalls"]): string => call.project;
 * ```
 */
export interface JournalRecords {
  /** Messages. */
  messages: JournalMessage;
  /** Flow calls. */
  flowCalls: JournalFlowCall;
  /** Notifications. */
  notifications: NotificationRecord;
  /** Presence events. */
  presence: PresenceEvent;
}

/** The longest a wait may last (a request asking more gets this). */
export const MAX_WAIT_MS = 30_000;
/** A wait's timeout when none is given. */
export const DEFAULT_WAIT_MS = 5_000;
const POLL_MS = 10;

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

const timeOf = (kind: JournalKind, r: unknown): number =>
  kind === "flowCalls"
    ? (r as FlowCallRecord).startedAt
    : (r as { time: number }).time;

/**
 * Queries over a bus's records (see the module doc). Records are
 * snapshots, with every account password of the bus's nodes masked as
 * `***` wherever it appears in text.
 *
 * @example
 * ```ts
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * const journal = new Journal(bus);
 * const calls = await journal.waitFor("flowCalls", { flow: "callout" }, { timeoutMs: 1 })
 *   .catch((e) => e.name); // "WaitTimeoutError": nobody called
 * ```
 */
export class Journal {
  #source: JournalSource;
  #presence: { events(): PresenceEvent[]; clear(): void } | undefined;

  /** A journal over `source`; presence events come from `presence`. */
  constructor(
    source: JournalSource,
    presence?: { events(): PresenceEvent[]; clear(): void },
  ) {
    this.#source = source;
    this.#presence = presence;
  }

  /** Records of `kind` matching `query`, oldest first. */
  find<K extends JournalKind>(
    kind: K,
    query: JournalQuery = {},
  ): JournalRecords[K][] {
    checkJournalQuery(kind, query);
    const hits = this.#raw(kind).filter((r) => this.#matches(kind, r, query));
    const limited = query.limit === undefined
      ? hits
      : hits.slice(Math.max(0, hits.length - query.limit));
    return limited.map((r) => this.#present(kind, r)) as JournalRecords[K][];
  }

  /** How many records of `kind` match `query` (`limit` ignored). */
  count(kind: JournalKind, query: JournalQuery = {}): number {
    checkJournalQuery(kind, query);
    const { limit: _, ...q } = query;
    return this.#raw(kind).filter((r) => this.#matches(kind, r, q)).length;
  }

  /**
   * Resolve with the matching records once at least `count` (default 1)
   * match; reject with {@link WaitTimeoutError} after `timeoutMs` (default
   * 5000, at most 30 000) of real time, or with the signal's reason.
   */
  async waitFor<K extends JournalKind>(
    kind: K,
    query: JournalQuery = {},
    options: { count?: number; timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<JournalRecords[K][]> {
    checkJournalQuery(kind, query);
    const want = options.count ?? 1;
    if (!Number.isInteger(want) || want < 1) {
      throw new InvalidQueryError("count must be an integer >= 1");
    }
    const timeoutMs = waitBudget(options.timeoutMs);
    const end = Date.now() + timeoutMs;
    for (;;) {
      options.signal?.throwIfAborted();
      const n = this.count(kind, query);
      if (n >= want) return this.find(kind, query);
      const left = end - Date.now();
      if (left <= 0) throw new WaitTimeoutError(kind, want, n, timeoutMs);
      await pause(Math.min(POLL_MS, left), options.signal);
    }
  }

  /**
   * Forget every record kept so far (of `kind`, or of every kind), freeing
   * them: the bus's own records of that kind go too (`bus.sent()`,
   * `bus.flowCalls()`, ...). Later queries see only what comes after.
   */
  clear(kind?: JournalKind): void {
    for (const k of kind ? [kind] : JOURNAL_KINDS) {
      if (k === "presence") this.#presence?.clear();
      else this.#source.clearRecords(k);
    }
  }

  #raw(kind: JournalKind): unknown[] {
    const s = this.#source;
    return kind === "messages"
      ? s.sent()
      : kind === "flowCalls"
      ? s.flowCalls()
      : kind === "notifications"
      ? s.notifications()
      : this.#presence?.events() ?? [];
  }

  #matches(kind: JournalKind, r: unknown, q: JournalQuery): boolean {
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
          is(q.cmd, m.cmd) && is(q.status, m.status) &&
          (q.text === undefined || recordText(m.bytes).includes(q.text));
      }
      case "flowCalls": {
        const c = r as FlowCallRecord;
        return is(q.unit, c.from.unitId) && is(q.client, c.from.clientId) &&
          is(q.project, c.project) && is(q.flow, c.flow) &&
          is(q.state, c.state) && is(q.ipscUnit, c.server.unitId) &&
          is(q.ipscProcess, c.server.processIndex) &&
          (q.params === undefined ||
            jsonEqual(q.params, parseList(c.params)));
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

  #present(kind: JournalKind, r: unknown): unknown {
    const mask = masker(this.#source);
    switch (kind) {
      case "messages": {
        const m = r as MessageRecord;
        const out: JournalMessage = {
          kind: m.kind,
          time: m.time,
          cmd: m.cmd,
          cmdType: m.cmdType,
          src: m.src,
          dst: m.dst,
          size: m.bytes.length,
          text: mask(recordText(m.bytes).replace(/\0+$/, "")),
          base64: base64(m.bytes, mask),
          status: m.status,
        };
        if (m.deliveredAt !== undefined) out.deliveredAt = m.deliveredAt;
        if (m.reason !== undefined) out.reason = m.reason;
        return out;
      }
      case "flowCalls": {
        const c = r as FlowCallRecord;
        const params = mask(c.params);
        const out: JournalFlowCall = {
          ...c,
          params,
          paramList: parseList(params),
        };
        if (c.result !== undefined) {
          out.result = mask(c.result);
          out.resultList = parseList(out.result);
        }
        if (c.ackMessage !== undefined) out.ackMessage = mask(c.ackMessage);
        return out;
      }
      case "notifications": {
        const n = r as NotificationRecord;
        return { ...n, title: mask(n.title), param: mask(n.param) };
      }
      default: {
        const e = r as PresenceEvent;
        return e.addInfo === undefined
          ? { ...e }
          : { ...e, addInfo: mask(e.addInfo) };
      }
    }
  }
}

const is = (want: unknown, got: unknown): boolean =>
  want === undefined || want === got;

function parseList(text: string): unknown[] | null {
  if (text.trim() === "") return null;
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v : [v];
  } catch {
    return null;
  }
}

/**
 * A wait's timeout: `asked` (default 5000 ms) capped at {@link MAX_WAIT_MS}.
 *
 * @example
 * ```ts
 * import { Journal, MockBus } from "@smartbus/netclient/mock";
 * // An hour asked: the wait lasts 30 s at most.
 * await new Journal(new MockBus()).waitFor("flowCalls", {}, { timeoutMs: 3_600_000 })
 *   .catch((e: Error) => e.name); // "WaitTimeoutError"
 * ```
 */
export function waitBudget(asked: number | undefined): number {
  if (asked === undefined) return DEFAULT_WAIT_MS;
  if (!(asked >= 0)) throw new InvalidQueryError("timeoutMs must be >= 0");
  return Math.min(asked, MAX_WAIT_MS);
}

function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
