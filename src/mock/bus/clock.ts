/**
 * Time for the mock bus: {@link VirtualClock} moves only when a test says so
 * (a 30 s flow timeout takes no real time), {@link RealClock} uses the
 * runtime's timers for live runs. Both fit the API's `Timers` shape, so one
 * clock drives the bus, the mock backend and the API's own deadlines.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "@smartbus/netclient/mock";
 * const clock = new VirtualClock();
 * clock.setTimeout(() => console.log("at", clock.now()), 30_000);
 * await clock.advance(30_000); // prints "at 30000" at once
 * ```
 * @module
 */

/**
 * A source of time and timers: what the mock bus, the mock backend and the
 * API's `Timers` share.
 *
 * @example
 * ```ts
 * import type { Clock } from "@smartbus/netclient/mock";
 * const later = (c: Clock, f: () => void): unknown => c.setTimeout(f, 10);
 * ```
 */
export interface Clock {
  /** Milliseconds on this clock. */
  now(): number;
  /** Run `fn` once after `ms` milliseconds of this clock's time. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a timer; unknown or already fired handles are ignored. */
  clearTimeout(handle: unknown): void;
}

/**
 * Let a timer not keep the program alive (Node/Bun/Deno `Timeout.unref()`,
 * or `Deno.unrefTimer` for numeric ids). Handles of a {@link VirtualClock}
 * and of runtimes without `unref` are left alone. The mock backend uses it
 * for its reconnect timer: the only long timer that runs with no call
 * waiting on it.
 *
 * @example
 * ```ts
 * import { RealClock } from "@smartbus/netclient/mock";
 * import { unrefTimer } from "./clock.ts";
 * const clock = new RealClock();
 * unrefTimer(clock.setTimeout(() => console.log("never, if nothing else runs"), 60_000));
 * ```
 */
export function unrefTimer(handle: unknown): void {
  if (handle instanceof VirtualTimer) return;
  const h = handle as { unref?: () => void } | null;
  if (h !== null && typeof h === "object" && typeof h.unref === "function") {
    h.unref();
    return;
  }
  const deno = (globalThis as { Deno?: { unrefTimer?: (id: number) => void } })
    .Deno;
  if (typeof handle === "number" && typeof deno?.unrefTimer === "function") {
    deno.unrefTimer(handle);
  }
}

/**
 * The runtime's real timers, looked up on `globalThis` at each call (not
 * captured at import) so that fake-timer libraries installed later work.
 *
 * @example
 * ```ts
 * import { RealClock } from "@smartbus/netclient/mock";
 * const clock = new RealClock();
 * clock.clearTimeout(clock.setTimeout(() => console.log("never"), 10));
 * ```
 */
export class RealClock implements Clock {
  /**
   * Milliseconds since the epoch like `Date.now()`, but with the sub-millisecond
   * resolution of `performance.now()`, so round trips on loopback measure.
   */
  now(): number {
    return performance.timeOrigin + performance.now();
  }
  /** `globalThis.setTimeout(fn, ms)`. */
  setTimeout(fn: () => void, ms: number): unknown {
    return globalThis.setTimeout(fn, ms);
  }
  /** `globalThis.clearTimeout(handle)`. */
  clearTimeout(handle: unknown): void {
    globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>);
  }
}

/** A timer of a {@link VirtualClock}; opaque to callers. */
class VirtualTimer {
  constructor(
    readonly at: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}
}

/**
 * Let every queued microtask (promise continuations, the bus's delivery
 * scheduler) run. A macrotask turn drains them completely; `setImmediate` is
 * preferred because it is not clamped to 1 ms like `setTimeout(0)`.
 */
function settleMicrotasks(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === "function") {
    return new Promise((resolve) => g.setImmediate!(resolve));
  }
  return new Promise((resolve) => globalThis.setTimeout(resolve, 0));
}

/**
 * Options of {@link VirtualClock}.
 *
 * @example
 * ```ts
 * import { VirtualClock, type VirtualClockOptions } from "@smartbus/netclient/mock";
 * const options: VirtualClockOptions = { start: 0 };
 * const clock = new VirtualClock(options);
 * ```
 */
export interface VirtualClockOptions {
  /** The clock's time at creation, in ms (default 0). */
  start?: number;
}

/**
 * A clock whose time moves only through {@link VirtualClock.advance} and
 * {@link VirtualClock.runAll}. Timers due at the same time run in the order
 * they were set; between two timers every pending microtask settles, so
 * promise chains started by one timer finish before the next one runs.
 * Settling takes one real macrotask turn (`setImmediate`, else
 * `setTimeout(0)`), so fake-timer libraries that replace those must not be
 * installed while a virtual clock advances.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "@smartbus/netclient/mock";
 * const clock = new VirtualClock();
 * let fired = false;
 * clock.setTimeout(() => (fired = true), 30_000);
 * await clock.advance(29_999);
 * console.log(fired); // false
 * await clock.advance(1);
 * console.log(fired); // true
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers = new Set<VirtualTimer>();

  /** A clock at `options.start` (default 0) with no timers. */
  constructor(options: VirtualClockOptions = {}) {
    this.#now = options.start ?? 0;
  }

  /** The virtual time in ms. */
  now(): number {
    return this.#now;
  }

  /** Schedule `fn` at `now() + ms` (negative or NaN delays count as 0). */
  setTimeout(fn: () => void, ms: number): unknown {
    const delay = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const timer = new VirtualTimer(this.#now + delay, this.#seq++, fn);
    this.#timers.add(timer);
    return timer;
  }

  /** Cancel a timer set on this clock. */
  clearTimeout(handle: unknown): void {
    if (handle instanceof VirtualTimer) this.#timers.delete(handle);
  }

  /** How many timers are waiting. */
  get pendingTimers(): number {
    return this.#timers.size;
  }

  /** When the next timer is due, or `undefined` when none is set. */
  nextTimerAt(): number | undefined {
    return this.#next()?.at;
  }

  /** Let pending microtasks settle without moving time. */
  flush(): Promise<void> {
    return settleMicrotasks();
  }

  /**
   * Move time forward by `ms`, running every timer that falls due on the way
   * (including timers set meanwhile), each at its own time, in order. An
   * exception thrown by a timer stops the advance and rejects.
   */
  async advance(ms: number): Promise<void> {
    if (!Number.isFinite(ms) || ms < 0) {
      throw new RangeError(`advance(${ms}): need a finite ms >= 0`);
    }
    const target = this.#now + ms;
    await settleMicrotasks();
    for (;;) {
      const timer = this.#next();
      if (timer === undefined || timer.at > target) break;
      await this.#fire(timer);
    }
    this.#now = target;
    await settleMicrotasks();
  }

  /**
   * Run timers, moving time to each, until none is left. Throws when more
   * than `limit` run (a timer that always re-arms itself, like a reconnect
   * loop to a stopped node, never ends).
   */
  async runAll(limit = 10_000): Promise<void> {
    await settleMicrotasks();
    for (let n = 0;; n++) {
      const timer = this.#next();
      if (timer === undefined) return;
      if (n >= limit) {
        throw new Error(
          `VirtualClock.runAll: more than ${limit} timers ran; some timer keeps re-arming`,
        );
      }
      await this.#fire(timer);
    }
  }

  #next(): VirtualTimer | undefined {
    let best: VirtualTimer | undefined;
    for (const t of this.#timers) {
      if (
        best === undefined || t.at < best.at ||
        (t.at === best.at && t.seq < best.seq)
      ) best = t;
    }
    return best;
  }

  async #fire(timer: VirtualTimer): Promise<void> {
    this.#timers.delete(timer);
    if (timer.at > this.#now) this.#now = timer.at;
    timer.fn();
    await settleMicrotasks();
  }
}
