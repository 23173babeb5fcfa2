/**
 * A bounded log of records: keeps the newest `cap` entries in a ring, so a
 * long test (or the TCP mock server) does not grow without limit. The bus
 * keeps one per kind of record (messages, flow calls, notifications).
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus({ records: 100 }); // keeps the newest 100 of each kind
 * console.log(bus.sent().length); // 0
 * ```
 * @module
 */

/** Records kept per kind when `MockBusOptions.records` is not given. */
export const DEFAULT_RECORDS_CAP = 10_000;

/**
 * The cap a `records` option stands for: `true` → unbounded, `false` → 0,
 * a number → itself (a non-negative integer), absent → the default.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus({ records: 100 }); // keeps the newest 100 of each kind
 * console.log(bus.sent().length); // 0
 * ```
 */
export function recordsCap(option: boolean | number | undefined): number {
  if (option === undefined) return DEFAULT_RECORDS_CAP;
  if (option === true) return Infinity;
  if (option === false) return 0;
  if (!Number.isInteger(option) || option < 0) {
    throw new RangeError(
      `records must be a boolean or an integer >= 0, got ${option}`,
    );
  }
  return option;
}

/**
 * The newest `cap` entries, oldest first.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus({ records: 100 }); // keeps the newest 100 of each kind
 * console.log(bus.sent().length); // 0
 * ```
 */
export class RecordLog<T> {
  /** How many entries it keeps at most (`Infinity`: all, 0: none). */
  readonly cap: number;
  #items: T[] = [];
  /** Index of the oldest entry once the ring is full. */
  #start = 0;

  /** A log keeping at most `cap` entries. */
  constructor(cap: number) {
    this.cap = cap;
  }

  /** How many entries are kept. */
  get size(): number {
    return this.#items.length;
  }

  /** Whether it keeps anything at all (a cap of 0 keeps nothing). */
  get keeps(): boolean {
    return this.cap > 0;
  }

  /** Keep `item`; returns the entry it pushed out, if the ring was full. */
  push(item: T): T | undefined {
    if (this.cap === 0) return item;
    const items = this.#items;
    if (items.length < this.cap) {
      items.push(item);
      return undefined;
    }
    const old = items[this.#start];
    items[this.#start] = item;
    this.#start = this.#start + 1 === items.length ? 0 : this.#start + 1;
    return old;
  }

  /** The kept entries, oldest first (a new array). */
  toArray(): T[] {
    const items = this.#items;
    if (this.#start === 0) return items.slice();
    return items.slice(this.#start).concat(items.slice(0, this.#start));
  }

  /** Forget every entry. */
  clear(): void {
    this.#items = [];
    this.#start = 0;
  }
}
