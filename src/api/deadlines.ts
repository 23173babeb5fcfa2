/**
 * Deadlines of many awaited calls on ONE timer: entries with the same
 * timeout are queued in arrival order, which is deadline order, so expiring
 * is popping queue heads. A timer per call costs ~600 bytes of heap and a
 * map update in Deno (`bench/README.md`); a unit with 100,000 pending flows
 * should not pay that.
 *
 * @example
 * ```ts
 * import { DeadlineQueue, realTimers } from "@smartbus/netclient/internal";
 * const q = new DeadlineQueue<string>(realTimers, (item) => console.log("expired", item));
 * const entry = q.add("call 1", 1000);
 * q.remove(entry); // settled in time: never expires
 * ```
 * @module
 */
import type { Timers } from "../core/timers.ts";

/** One queued deadline; `remove()` it when the call settles first. */
export interface Deadline<T> {
  /** What expires. */
  readonly item: T;
  /** When, on the queue's timers. */
  readonly at: number;
  /** False once removed or expired. */
  live: boolean;
  /** The timeout it was queued with (its lane). */
  readonly ms: number;
}

interface Lane<T> {
  entries: Deadline<T>[];
  head: number;
}

/** Deadlines on one timer; `onExpire` runs for each that passes while live. */
export class DeadlineQueue<T> {
  #timers: Timers;
  #onExpire: (item: T) => void;
  #lanes = new Map<number, Lane<T>>();
  #timer: unknown;
  #timerAt = Infinity;
  #live = 0;

  /** Expiries call `onExpire`, on `timers`. */
  constructor(timers: Timers, onExpire: (item: T) => void) {
    this.#timers = timers;
    this.#onExpire = onExpire;
  }

  /** How many deadlines are live. */
  get size(): number {
    return this.#live;
  }

  /** Queue `item` to expire `ms` from now. */
  add(item: T, ms: number): Deadline<T> {
    const entry: Deadline<T> = {
      item,
      at: this.#timers.now() + ms,
      live: true,
      ms,
    };
    let lane = this.#lanes.get(ms);
    if (!lane) this.#lanes.set(ms, lane = { entries: [], head: 0 });
    lane.entries.push(entry);
    this.#live++;
    if (entry.at < this.#timerAt) this.#arm(entry.at);
    return entry;
  }

  /** Forget `entry` (its call settled); the timer stops when nothing is left. */
  remove(entry: Deadline<T>): void {
    if (!entry.live) return;
    entry.live = false;
    if (--this.#live === 0) return this.clear();
    // Calls mostly settle in order: dropping dead heads now keeps a busy
    // lane from holding every settled call until its deadline passes.
    const lane = this.#lanes.get(entry.ms);
    if (lane) this.#trim(lane);
  }

  #trim(lane: Lane<T>): void {
    const { entries } = lane;
    while (lane.head < entries.length && !entries[lane.head].live) lane.head++;
    if (lane.head > 1024 && lane.head * 2 > entries.length) {
      entries.splice(0, lane.head);
      lane.head = 0;
    }
  }

  /** Drop every deadline and the timer. */
  clear(): void {
    for (const lane of this.#lanes.values()) {
      for (let i = lane.head; i < lane.entries.length; i++) {
        lane.entries[i].live = false;
      }
    }
    this.#lanes.clear();
    this.#live = 0;
    this.#disarm();
  }

  #arm(at: number): void {
    this.#disarm();
    this.#timerAt = at;
    const delay = Math.max(0, at - this.#timers.now());
    this.#timer = this.#timers.setTimeout(() => this.#fire(), delay);
  }

  #disarm(): void {
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = Infinity;
  }

  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    const now = this.#timers.now();
    const due: T[] = [];
    let next = Infinity;
    for (const [ms, lane] of this.#lanes) {
      const { entries } = lane;
      while (lane.head < entries.length) {
        const e = entries[lane.head];
        if (e.live && e.at > now) break;
        if (e.live) {
          e.live = false;
          this.#live--;
          due.push(e.item);
        }
        lane.head++;
      }
      this.#trim(lane);
      if (lane.head === entries.length) this.#lanes.delete(ms);
      else next = Math.min(next, entries[lane.head].at);
    }
    if (next !== Infinity) this.#arm(next);
    for (const item of due) this.#onExpire(item);
  }
}
