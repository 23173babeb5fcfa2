/**
 * Bounded logs of records: each kind (messages, flow calls, notifications)
 * keeps at most `cap` entries, and all kinds together at most a byte
 * budget (the oldest record of any kind goes first), so a long test or the
 * TCP mock server does not grow without limit, whatever the records hold.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * // the newest 100 records of each kind, 8 MiB at most in all
 * const bus = new MockBus({ records: 100, recordsBudget: 8 * 1024 * 1024 });
 * console.log(bus.sent().length, bus.recordBytes); // 0 0
 * ```
 * @module
 */

/** Records kept per kind when `MockBusOptions.records` is not given. */
export const DEFAULT_RECORDS_CAP = 10_000;

/** Bytes all records may hold when `MockBusOptions.recordsBudget` is not given (64 MiB). */
export const DEFAULT_RECORDS_BUDGET: number = 64 * 1024 * 1024;

/**
 * The cap a `records` option stands for: `true` → unbounded, `false` → 0,
 * a number → itself (a non-negative integer), absent → the default.
 *
 * @example
 * ```ts
 * import { recordsCap } from "./record_log.ts";
 * console.log(recordsCap(true), recordsCap(false), recordsCap(100)); // Infinity 0 100
 * ```
 */
export function recordsCap(option: boolean | number | undefined): number {
  if (option === undefined) return DEFAULT_RECORDS_CAP;
  return limitOf("records", option);
}

/**
 * The byte budget a `recordsBudget` option stands for: `true` → unbounded,
 * `false` → 0 (no records), a number of bytes → itself, absent → 64 MiB,
 * or unbounded when `records` is `true` (keeping everything was asked).
 *
 * @example
 * ```ts
 * import { recordsBudget } from "./record_log.ts";
 * console.log(recordsBudget(undefined), recordsBudget(undefined, true)); // 67108864 Infinity
 * ```
 */
export function recordsBudget(
  option: boolean | number | undefined,
  records?: boolean | number,
): number {
  if (option === undefined) {
    return records === true ? Infinity : DEFAULT_RECORDS_BUDGET;
  }
  return limitOf("recordsBudget", option);
}

function limitOf(name: string, option: unknown): number {
  if (option === true || option === Infinity) return Infinity;
  if (option === false) return 0;
  if (typeof option !== "number" || !Number.isInteger(option) || option < 0) {
    throw new RangeError(
      `${name} must be a boolean or an integer >= 0, got ${String(option)}`,
    );
  }
  return option;
}

/**
 * The byte budget shared by the record logs of one bus: when the records
 * together hold more, the oldest record of any kind is let go.
 *
 * @example
 * ```ts
 * import { RecordBudget, RecordLog } from "./record_log.ts";
 * const budget = new RecordBudget(10);
 * const log = new RecordLog<string>(Infinity, { budget, size: (s) => s.length });
 * log.push("123456");
 * log.push("abcdef"); // 12 bytes > 10: "123456" goes
 * console.log(log.toArray(), budget.used); // ["abcdef"] 6
 * ```
 */
export class RecordBudget {
  /** Bytes the records may hold (`Infinity`: no limit, 0: no records). */
  readonly limit: number;
  #used = 0;
  #seq = 0;
  // deno-lint-ignore no-explicit-any
  #logs: RecordLog<any>[] = [];

  /** A budget of `limit` bytes. */
  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes the kept records are counted to hold. */
  get used(): number {
    return this.#used;
  }

  /** @internal A log joins the budget. */
  join(log: RecordLog<unknown>): void {
    this.#logs.push(log);
  }

  /** @internal The order of the next record (shared by every kind). */
  nextSeq(): number {
    return this.#seq++;
  }

  /** @internal `bytes` more are held (a negative number: fewer); over the limit, the oldest go. */
  charge(bytes: number): void {
    this.#used += bytes;
    while (this.#used > this.limit) {
      let oldest: RecordLog<unknown> | undefined;
      for (const log of this.#logs) {
        if (log.size > 0 && (!oldest || log.oldestSeq < oldest.oldestSeq)) {
          oldest = log;
        }
      }
      if (!oldest) {
        this.#used = 0;
        return;
      }
      oldest.evictOldest();
    }
  }
}

/**
 * What happened to a log's entries, as its watchers hear it: one `added`,
 * `changed` in place (see {@link RecordLog.touched}) or `evicted`, or the
 * whole log `cleared`.
 *
 * @example
 * ```ts
 * import { type RecordChange, RecordLog } from "./record_log.ts";
 * const log = new RecordLog<string>(1);
 * log.watch((change: RecordChange, item) => console.log(change, item));
 * log.push("a"); // added a
 * log.push("b"); // evicted a, then added b
 * ```
 */
export type RecordChange = "added" | "changed" | "evicted" | "cleared";

/** How a log counts its entries' bytes and hears of evictions. */
export interface RecordLogOptions<T> {
  /** The budget shared with the other kinds (default: none). */
  budget?: RecordBudget;
  /** Bytes an entry holds, as of now (asked again when it goes). */
  size?: (item: T) => number;
  /** Told of every entry let go (by the cap or the budget). */
  onEvict?: (item: T) => void;
}

/**
 * The newest `cap` entries, oldest first, within a shared byte budget.
 *
 * @example
 * ```ts
 * import { RecordLog } from "./record_log.ts";
 * const log = new RecordLog<number>(2);
 * for (const n of [1, 2, 3]) log.push(n);
 * console.log(log.toArray()); // [2, 3]
 * ```
 */
export class RecordLog<T> {
  /** How many entries it keeps at most (`Infinity`: all, 0: none). */
  readonly cap: number;
  // A ring that grows by doubling while it is full: with a finite cap it
  // stops growing once it holds `cap` entries, and every push after that
  // overwrites the slot the eviction freed (no array growth, no copying:
  // a growing array and batched splices made routing 2.5 times slower).
  #items: (T | undefined)[] = new Array(16);
  #seqs: number[] = new Array(16).fill(0);
  /** Slot of the oldest entry kept. */
  #head = 0;
  #count = 0;
  #budget: RecordBudget | undefined;
  #size: ((item: T) => number) | undefined;
  #onEvict: ((item: T) => void) | undefined;
  /** Replaced, never changed in place: a watcher may stop while told. */
  #watchers: readonly ((change: RecordChange, item: T | undefined) => void)[] =
    [];

  /** A log keeping at most `cap` entries. */
  constructor(cap: number, options: RecordLogOptions<T> = {}) {
    this.cap = cap;
    this.#budget = options.budget;
    this.#size = options.size;
    this.#onEvict = options.onEvict;
    this.#budget?.join(this as RecordLog<unknown>);
  }

  /** How many entries are kept. */
  get size(): number {
    return this.#count;
  }

  /** Whether it keeps anything at all (a cap or budget of 0 keeps nothing). */
  get keeps(): boolean {
    return this.cap > 0 && (this.#budget?.limit ?? 1) > 0;
  }

  /** @internal The order of the oldest entry kept (only when `size > 0`). */
  get oldestSeq(): number {
    return this.#seqs[this.#head];
  }

  /** Keep `item`; returns the entry the cap pushed out, if any. */
  push(item: T): T | undefined {
    if (!this.keeps) return item;
    const budget = this.#size ? this.#budget : undefined;
    let bytes = budget ? this.#size!(item) : 0;
    let old: T | undefined;
    if (this.#count >= this.cap) {
      // One charge for both: the cap's eviction and this entry.
      old = this.#dropOldest();
      if (budget) bytes -= this.#size!(old);
    }
    if (this.#count === this.#items.length) this.#grow();
    let slot = this.#head + this.#count;
    if (slot >= this.#items.length) slot -= this.#items.length;
    this.#items[slot] = item;
    this.#seqs[slot] = budget ? budget.nextSeq() : 0;
    this.#count++;
    if (old !== undefined) this.#evicted(old);
    if (this.#watchers.length !== 0) this.#tell("added", item);
    if (budget && bytes !== 0) budget.charge(bytes);
    return old;
  }

  /**
   * Call `fn` on every entry added, changed in place ({@link touched}) or
   * let go, and when the log is cleared (entry `undefined`); returns the
   * function that stops it. `fn` runs inside the bus's routing: it must
   * not throw nor send anything on the bus.
   */
  watch(
    fn: (change: RecordChange, item: T | undefined) => void,
  ): () => void {
    this.#watchers = [...this.#watchers, fn];
    return () => {
      this.#watchers = this.#watchers.filter((w) => w !== fn);
    };
  }

  /** `item`, kept here, changed in place: its watchers hear of it. */
  touched(item: T): void {
    if (this.#watchers.length !== 0) this.#tell("changed", item);
  }

  /** An entry kept here now holds `bytes` more than when it was counted. */
  grew(bytes: number): void {
    if (this.#size && bytes !== 0) this.#budget?.charge(bytes);
  }

  /** @internal Let the oldest entry go; returns it. */
  evictOldest(): T | undefined {
    if (this.#count === 0) return undefined;
    const item = this.#dropOldest();
    if (this.#budget && this.#size) this.#budget.charge(-this.#size(item));
    this.#evicted(item);
    return item;
  }

  #evicted(item: T): void {
    this.#onEvict?.(item);
    if (this.#watchers.length !== 0) this.#tell("evicted", item);
  }

  #tell(change: RecordChange, item: T | undefined): void {
    for (const fn of this.#watchers) fn(change, item);
  }

  /** Take the oldest entry out of the ring (there is one). */
  #dropOldest(): T {
    const item = this.#items[this.#head] as T;
    this.#items[this.#head] = undefined;
    if (++this.#head === this.#items.length) this.#head = 0;
    this.#count--;
    return item;
  }

  /** The kept entries, oldest first (a new array). */
  toArray(): T[] {
    const out: T[] = new Array(this.#count);
    const len = this.#items.length;
    for (let i = 0; i < this.#count; i++) {
      out[i] = this.#items[(this.#head + i) % len] as T;
    }
    return out;
  }

  /** Forget every entry. */
  clear(): void {
    if (this.#budget && this.#size) {
      let bytes = 0;
      for (const item of this.toArray()) bytes += this.#size(item);
      this.#budget.charge(-bytes);
    }
    this.#items = new Array(16);
    this.#seqs = new Array(16).fill(0);
    this.#head = 0;
    this.#count = 0;
    if (this.#watchers.length !== 0) this.#tell("cleared", undefined);
  }

  /** Twice the room, the entries moved to the front in order. */
  #grow(): void {
    const len = this.#items.length;
    const items: (T | undefined)[] = new Array(len * 2);
    const seqs: number[] = new Array(len * 2).fill(0);
    for (let i = 0; i < this.#count; i++) {
      items[i] = this.#items[(this.#head + i) % len];
      seqs[i] = this.#seqs[(this.#head + i) % len];
    }
    this.#items = items;
    this.#seqs = seqs;
    this.#head = 0;
  }
}
