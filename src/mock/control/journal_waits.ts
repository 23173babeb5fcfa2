/**
 * The long polls of one journal. A wait looks at the records kept once,
 * when it starts (or not at all when a wait with the same query is under
 * way: they share what matches); after that the bus tells it of each
 * record of its kind that is added, changes (a message delivered, a flow
 * call answered) or goes, and it looks at that record alone, once per
 * query: no timer polls, and no record is scanned again. A flow call that
 * wants a result turns `unanswered` at its deadline without telling
 * anyone, so a wait for a call's state also sets one timer on the bus
 * clock, at the nearest deadline of the calls it follows. The number of
 * waits at once is capped.
 *
 * @module
 */
import type { Clock } from "../bus/clock.ts";
import { flowCallDeadline } from "../bus/flow_routing.ts";
import type { RecordChange } from "../bus/record_log.ts";
import type { FlowCallRecord } from "../bus/records.ts";
import {
  asksChanging,
  matchesChanging,
  matchesFixed,
  mayChange,
} from "./journal_match.ts";
import {
  type JournalKind,
  type JournalQuery,
  TooManyWaitsError,
  WaitTimeoutError,
} from "./journal_types.ts";

/** Waits under way at once at most, by default. */
export const MAX_WAITS = 1000;

/**
 * The live records of one kind as the waits read them: every record kept,
 * and a way to hear of each change.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * import type { WatchedRecords } from "./journal_waits.ts";
 * const calls: WatchedRecords = new MockBus().recordLog("flowCalls");
 * const stop = calls.watch((change) => console.log(change)); // "added", "changed", …
 * stop();
 * ```
 */
export interface WatchedRecords {
  /** The records kept, oldest first. */
  toArray(): readonly object[];
  /** Call `fn` on each change; returns the function that stops it. */
  watch(
    fn: (change: RecordChange, record: object | undefined) => void,
  ): () => void;
}

/** One wait: how many records it wants, and what to do when they are there. */
interface Wait {
  want: number;
  ready(): void;
}

/**
 * The records of one kind that match one query, followed as they come,
 * change and go; and the waits on that query (waits with the same query
 * share it: a record is looked at once per query, not once per wait).
 */
class Watch {
  readonly matched = new Set<object>();
  /** Matching but for a field that can still change (see `mayChange`). */
  readonly open = new Set<object>();
  readonly waits = new Set<Wait>();
  #timer: unknown;
  #timerAt = Infinity;

  constructor(
    readonly kind: JournalKind,
    readonly query: JournalQuery,
    readonly clock: Clock,
  ) {}

  /** Take a change to record `r` (or to every record: `cleared`) into account. */
  hear(change: RecordChange, r: object | undefined): void {
    let grew = false;
    if (change === "added") {
      grew = matchesFixed(this.kind, r, this.query) && this.#look(r!);
    } else if (change === "changed") {
      // Only what may change is looked at again: the rest holds for good.
      grew = this.open.has(r!) && this.#look(r!);
    } else if (change === "evicted") {
      this.matched.delete(r!);
      this.open.delete(r!);
    } else {
      this.matched.clear();
      this.open.clear();
    }
    if (grew) this.#tell();
  }

  /** No more timers. */
  stop(): void {
    if (this.#timerAt !== Infinity) this.clock.clearTimeout(this.#timer);
    this.#timerAt = Infinity;
  }

  /** Look at `r`, which matches the fixed part; whether it newly matches. */
  #look(r: object): boolean {
    const { kind, query } = this;
    const was = this.matched.has(r);
    const hit = matchesChanging(kind, r, query, this.clock.now());
    if (hit) this.matched.add(r);
    else this.matched.delete(r);
    if (mayChange(kind, r, query)) {
      this.open.add(r);
      if (kind === "flowCalls") this.#due(r as FlowCallRecord);
    } else this.open.delete(r);
    return hit && !was;
  }

  #tell(): void {
    for (const w of this.waits) {
      if (this.matched.size >= w.want) w.ready();
    }
  }

  /** Look again when `c` may turn `unanswered`, if that is still to come. */
  #due(c: FlowCallRecord): void {
    if (c.mode !== 0) return;
    const at = flowCallDeadline(c);
    const now = this.clock.now();
    if (at <= now || at >= this.#timerAt) return;
    this.stop();
    this.#timerAt = at;
    this.#timer = this.clock.setTimeout(() => {
      this.#timerAt = Infinity;
      let grew = false;
      for (const r of [...this.open]) grew = this.#look(r) || grew;
      if (grew) this.#tell();
    }, at - now);
  }
}

/** The same key for the same query, whatever the order of its fields. */
const queryKey = (q: JournalQuery): string =>
  JSON.stringify(
    Object.entries(q).filter(([, v]) => v !== undefined).sort(([a], [b]) =>
      a < b ? -1 : 1
    ),
  );

/**
 * The waits under way on one journal (see the module doc).
 *
 * @example
 * ```ts
 * import { MockBus, RealClock } from "@smartbus/netclient/mock";
 * import { JournalWaits } from "./journal_waits.ts";
 * const bus = new MockBus();
 * const waits = new JournalWaits(() => bus.recordLog("flowCalls"), new RealClock());
 * await waits.wait("flowCalls", { flow: "hello" }, 1, 10)
 *   .catch((e: Error) => console.log(e.name)); // WaitTimeoutError: no such call in 10 ms
 * ```
 */
export class JournalWaits {
  /** Waits under way at once at most; one more is refused (`TooManyWaitsError`). */
  max: number = MAX_WAITS;
  #logOf: (kind: JournalKind) => WatchedRecords;
  #clock: Clock;
  /**
   * Per kind: the watches by query, those whose query asks for a field
   * that may change (the only ones told of changes), and how to stop
   * hearing of its records.
   */
  #kinds = new Map<
    JournalKind,
    { watches: Map<string, Watch>; changing: Set<Watch>; stop: () => void }
  >();
  #size = 0;

  /** Waits over the records `logOf` gives, timed on `clock`. */
  constructor(logOf: (kind: JournalKind) => WatchedRecords, clock: Clock) {
    this.#logOf = logOf;
    this.#clock = clock;
  }

  /** Waits under way. */
  get size(): number {
    return this.#size;
  }

  /**
   * Resolve once `want` records of `kind` match `query`; reject with
   * {@link WaitTimeoutError} after `timeoutMs` of real time, with the
   * signal's reason when it aborts, or at once with
   * {@link TooManyWaitsError} when {@link max} waits are under way.
   */
  wait(
    kind: JournalKind,
    query: JournalQuery,
    want: number,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    signal?.throwIfAborted();
    const key = queryKey(query);
    const known = this.#kinds.get(kind)?.watches.get(key);
    const watch = known ?? this.#look(kind, query);
    const matched = watch.matched.size;
    if (matched >= want || timeoutMs <= 0 || this.#size >= this.max) {
      if (!known) watch.stop();
      if (matched >= want) return Promise.resolve();
      throw timeoutMs <= 0
        ? new WaitTimeoutError(kind, want, matched, timeoutMs)
        : new TooManyWaitsError(this.max);
    }
    if (!known) this.#follow(kind, key, watch);
    return new Promise<void>((resolve, reject) => {
      let done = false;
      const end = (error?: unknown): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", aborted);
        this.#leave(kind, key, w);
        if (error === undefined) resolve();
        else reject(error);
      };
      const aborted = (): void => end(signal!.reason);
      const timer = setTimeout(
        () =>
          end(
            new WaitTimeoutError(kind, want, watch.matched.size, timeoutMs),
          ),
        timeoutMs,
      );
      signal?.addEventListener("abort", aborted, { once: true });
      const w: Wait = {
        want,
        // Told from inside the bus's routing: the answer is built after it.
        ready: () => {
          this.#leave(kind, key, w);
          queueMicrotask(() => end());
        },
      };
      watch.waits.add(w);
      this.#size++;
    });
  }

  /** A watch of `query` over the records kept now. */
  #look(kind: JournalKind, query: JournalQuery): Watch {
    const watch = new Watch(kind, query, this.#clock);
    for (const r of this.#logOf(kind).toArray()) watch.hear("added", r);
    return watch;
  }

  /** Keep `watch` up to date with the records of `kind` from now on. */
  #follow(kind: JournalKind, key: string, watch: Watch): void {
    let k = this.#kinds.get(kind);
    if (!k) {
      const watches = new Map<string, Watch>();
      const changing = new Set<Watch>();
      const stop = this.#logOf(kind).watch((change, r) => {
        const told = change === "changed" ? changing : watches.values();
        for (const each of told) each.hear(change, r);
      });
      this.#kinds.set(kind, k = { watches, changing, stop });
    }
    k.watches.set(key, watch);
    if (asksChanging(kind, watch.query)) k.changing.add(watch);
  }

  /** `w` waits no more (idempotent); a watch nobody waits on goes. */
  #leave(kind: JournalKind, key: string, w: Wait): void {
    const k = this.#kinds.get(kind);
    const watch = k?.watches.get(key);
    if (!watch?.waits.delete(w)) return;
    this.#size--;
    if (watch.waits.size > 0) return;
    watch.stop();
    k!.watches.delete(key);
    k!.changing.delete(watch);
    if (k!.watches.size === 0) {
      k!.stop();
      this.#kinds.delete(kind);
    }
  }
}
