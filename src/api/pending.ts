/**
 * One awaited operation with a deadline and an optional `AbortSignal`: the
 * single place where timers and abort listeners of awaited calls are created
 * and, whatever happens, removed.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@smartbus/netclient";
 * import { Pending, realTimers } from "@smartbus/netclient/internal";
 * const p = new Pending<number>(realTimers, {
 *   timeoutMs: 1000,
 *   onTimeout: () => new TimeoutError("demo", 1000),
 *   what: "demo",
 * });
 * p.resolve(42);
 * console.log(await p.promise);
 * ```
 * @module
 */
import { AbortedError } from "../abi/errors.ts";
import type { Timers } from "../core/timers.ts";

/** How a {@link Pending} ends when nobody settles it. */
export interface PendingOptions {
  /** Deadline in ms; `undefined` means none. */
  timeoutMs?: number;
  /** Rejects with `AbortedError` (cause: the signal's reason) when aborted. */
  signal?: AbortSignal;
  /** The error for an expired deadline. */
  onTimeout?: () => Error;
  /** Called exactly once when the operation settles, however it settles. */
  onSettle?: () => void;
  /** Names the operation in errors; a function is only called when an error needs it. */
  what: string | (() => string);
}

/**
 * A promise with its settle functions, a deadline and an abort hook. Settles
 * once; later calls are ignored (and report `false`).
 */
export class Pending<T> {
  /** The awaited result. */
  readonly promise: Promise<T>;
  #resolve!: (v: T) => void;
  #reject!: (e: unknown) => void;
  #timer: unknown;
  #timers: Timers;
  #settled = false;
  #signal?: AbortSignal;
  #onAbort?: () => void;
  #onSettle?: () => void;

  /** Arm the deadline and the abort listener. */
  constructor(timers: Timers, options: PendingOptions) {
    this.#timers = timers;
    this.promise = new Promise<T>((res, rej) => {
      this.#resolve = res;
      this.#reject = rej;
    });
    this.#onSettle = options.onSettle;
    const { signal } = options;
    const what = () =>
      typeof options.what === "string" ? options.what : options.what();
    if (signal?.aborted) {
      this.reject(new AbortedError(what(), { cause: signal.reason }));
      return;
    }
    if (options.timeoutMs !== undefined) {
      const make = options.onTimeout;
      this.#timer = timers.setTimeout(() => {
        this.#timer = undefined;
        this.reject(make ? make() : new AbortedError(what()));
      }, options.timeoutMs);
    }
    if (signal) {
      this.#signal = signal;
      this.#onAbort = () =>
        this.reject(new AbortedError(what(), { cause: signal.reason }));
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
  }

  /** Whether it has settled. */
  get settled(): boolean {
    return this.#settled;
  }

  /** Fulfil; returns false when already settled. */
  resolve(value: T): boolean {
    if (!this.#finish()) return false;
    this.#resolve(value);
    return true;
  }

  /** Reject; returns false when already settled. */
  reject(error: unknown): boolean {
    if (!this.#finish()) return false;
    this.#reject(error);
    return true;
  }

  #finish(): boolean {
    if (this.#settled) return false;
    this.#settled = true;
    if (this.#timer !== undefined) this.#timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#signal && this.#onAbort) {
      this.#signal.removeEventListener("abort", this.#onAbort);
    }
    this.#signal = undefined;
    this.#onAbort = undefined;
    const cb = this.#onSettle;
    this.#onSettle = undefined;
    cb?.();
    return true;
  }
}
