/**
 * The timer source the API uses for its own deadlines. The mock bus's
 * virtual clock fits it, so awaited calls time out on virtual time in tests.
 *
 * @example
 * ```ts
 * import { realTimers } from "@smartbus/netclient/internal";
 * const h = realTimers.setTimeout(() => console.log("late"), 10);
 * realTimers.clearTimeout(h);
 * ```
 * @module
 */

/**
 * Minimal timer API: what `VirtualClock` and the real timers share
 * (`SmartBusOptions.timers`).
 *
 * @example
 * ```ts
 * import { SmartBus, type Timers } from "@smartbus/netclient";
 * import { MockBackend, MockBus, VirtualClock } from "@smartbus/netclient/mock";
 * const clock: Timers = new VirtualClock();
 * const bus = new SmartBus({ unitId: 17, backend: new MockBackend(new MockBus()), timers: clock });
 * bus.close();
 * ```
 */
export interface Timers {
  /** Milliseconds on this source's clock. */
  now(): number;
  /** Call `fn` once after `ms`; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancel a timer; unknown or fired handles are ignored. */
  clearTimeout(handle: unknown): void;
}

/**
 * Real timers, looked up on `globalThis` at each call rather than captured at
 * import, so that fake-timer libraries installed later still work.
 */
export const realTimers: Timers = {
  // Epoch time with performance.now()'s resolution: loopback round trips are sub-millisecond.
  now: () => performance.timeOrigin + performance.now(),
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (h) =>
    globalThis.clearTimeout(h as ReturnType<typeof setTimeout>),
};
