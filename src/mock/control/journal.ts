/**
 * The journal: queries over what a mock bus recorded (messages, flow
 * calls, notifications, and presence when a `PresenceLog` is given),
 * filtered by unit, client, project, flow and more; counts for
 * verification; and a bounded wait until enough records match, woken by
 * the records as they come (`journal_waits.ts`), at most 1000 at once.
 * Queries read the bus's records where they are kept, and copy only what
 * they hand out. The in-memory bus and the control API share it.
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
import type { Clock } from "../bus/clock.ts";
import { copyAddress } from "../bus/address.ts";
import { flowCallState } from "../bus/flow_routing.ts";
import type {
  FlowCallRecord,
  MessageRecord,
  NotificationRecord,
} from "../bus/records.ts";
import { base64, masker } from "./masking.ts";
import {
  checkJournalQuery,
  matches,
  messageText,
  parseList,
} from "./journal_match.ts";
import { JournalWaits, type WatchedRecords } from "./journal_waits.ts";
import {
  InvalidQueryError,
  JOURNAL_KINDS,
  type JournalFlowCall,
  type JournalKind,
  type JournalMessage,
  type JournalQuery,
  type PresenceEvent,
} from "./journal_types.ts";

export { checkJournalQuery } from "./journal_match.ts";
export { MAX_WAITS } from "./journal_waits.ts";

/**
 * What the journal reads (a `MockBus` has it all).
 *
 * @example
 * ```ts
 * import { type JournalSource, MockBus } from "@smartbus/netclient/mock";
 * const source: JournalSource = new MockBus();
 * console.log(source.recordLog("flowCalls").toArray().length); // 0
 * ```
 */
export interface JournalSource {
  /** The bus clock: its time, and the timers of waits on flow calls' deadlines. */
  readonly clock: Clock;
  /**
   * The live records of `kind`, oldest first (read, never written), and a
   * way to hear of each record added, changed or let go, and of a clear.
   */
  recordLog(kind: "messages" | "flowCalls" | "notifications"): {
    /** The records kept, oldest first. */
    toArray(): readonly object[];
    /** Call `fn` on each change; returns the function that stops it. */
    watch(
      fn: (
        change: "added" | "changed" | "evicted" | "cleared",
        record: object | undefined,
      ) => void,
    ): () => void;
  };
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

const NO_PRESENCE: WatchedRecords & { clear(): void } = {
  toArray: () => [],
  watch: () => () => {},
  clear: () => {},
};

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
  #presence: WatchedRecords & { clear(): void };
  #waits: JournalWaits;

  /**
   * A journal over `source`; presence events come from `presence` (a
   * served bus's `PresenceLog`).
   */
  constructor(
    source: JournalSource,
    presence?: ReturnType<JournalSource["recordLog"]> & { clear(): void },
  ) {
    this.#source = source;
    this.#presence = presence ?? NO_PRESENCE;
    this.#waits = new JournalWaits((k) => this.#log(k), source.clock);
  }

  /** Waits under way at once at most (default 1000); one more is refused with `TooManyWaitsError`. */
  get maxWaits(): number {
    return this.#waits.max;
  }

  set maxWaits(max: number) {
    if (!(Number.isInteger(max) && max >= 0)) {
      throw new RangeError(`maxWaits must be an integer >= 0, got ${max}`);
    }
    this.#waits.max = max;
  }

  /** Waits under way now. */
  get waiting(): number {
    return this.#waits.size;
  }

  /** Records of `kind` matching `query`, oldest first. */
  find<K extends JournalKind>(
    kind: K,
    query: JournalQuery = {},
  ): JournalRecords[K][] {
    checkJournalQuery(kind, query);
    const now = this.#source.clock.now();
    const hits = this.#hits(kind, query, now);
    const limited = query.limit === undefined
      ? hits
      : hits.slice(Math.max(0, hits.length - query.limit));
    const mask = masker(this.#source);
    return limited.map((r) =>
      present(kind, r, now, mask)
    ) as JournalRecords[K][];
  }

  /** How many records of `kind` match `query` (`limit` ignored). */
  count(kind: JournalKind, query: JournalQuery = {}): number {
    checkJournalQuery(kind, query);
    return this.#hits(kind, query, this.#source.clock.now()).length;
  }

  /**
   * Resolve with the matching records once at least `count` (default 1)
   * match; reject with {@link WaitTimeoutError} after `timeoutMs` (default
   * 5000, at most 30 000) of real time, with the signal's reason, or at
   * once with `TooManyWaitsError` when {@link maxWaits} waits are under
   * way. The wait is woken by the records of its kind as they come or
   * change, never by polling.
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
    await this.#waits.wait(kind, query, want, timeoutMs, options.signal);
    return this.find(kind, query);
  }

  /**
   * Forget every record kept so far (of `kind`, or of every kind), freeing
   * them: the bus's own records of that kind go too (`bus.sent()`,
   * `bus.flowCalls()`, ...). Waits under way see only what comes after.
   */
  clear(kind?: JournalKind): void {
    for (const k of kind ? [kind] : JOURNAL_KINDS) {
      if (k === "presence") this.#presence.clear();
      else this.#source.clearRecords(k);
    }
  }

  #log(kind: JournalKind): WatchedRecords {
    return kind === "presence" ? this.#presence : this.#source.recordLog(kind);
  }

  #hits(kind: JournalKind, query: JournalQuery, now: number): object[] {
    return this.#log(kind).toArray().filter((r) =>
      matches(kind, r, query, now)
    );
  }
}

/** A record as the journal hands it out: a fresh object, passwords masked. */
function present(
  kind: JournalKind,
  r: unknown,
  now: number,
  mask: (text: string) => string,
): unknown {
  switch (kind) {
    case "messages": {
      const m = r as MessageRecord;
      const out: JournalMessage = {
        kind: m.kind,
        time: m.time,
        cmd: m.cmd,
        cmdType: m.cmdType,
        src: copyAddress(m.src),
        dst: copyAddress(m.dst),
        size: m.bytes.length,
        text: mask(messageText(m).replace(/\0+$/, "")),
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
        from: copyAddress(c.from),
        server: { ...c.server },
        state: flowCallState(c, now),
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
      return {
        ...n,
        from: copyAddress(n.from),
        to: { ...n.to },
        title: mask(n.title),
        param: mask(n.param),
      };
    }
    default: {
      const e = r as PresenceEvent;
      const out = { ...e, address: copyAddress(e.address) };
      if (e.addInfo !== undefined) out.addInfo = mask(e.addInfo);
      return out;
    }
  }
}

/**
 * A wait's timeout: `asked` (default 5000 ms) capped at {@link MAX_WAIT_MS}.
 *
 * @example
 * ```ts
 * import { waitBudget } from "./journal.ts";
 * console.log(waitBudget(undefined), waitBudget(3_600_000)); // 5000 30000
 * ```
 */
export function waitBudget(asked: number | undefined): number {
  if (asked === undefined) return DEFAULT_WAIT_MS;
  if (!(asked >= 0)) throw new InvalidQueryError("timeoutMs must be >= 0");
  return Math.min(asked, MAX_WAIT_MS);
}
