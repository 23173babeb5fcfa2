/**
 * The mock bus's delivery queue: every delivery runs later than the call
 * that caused it, in FIFO order per link. With no delay a delivery runs in a
 * microtask (so awaiting code works on a virtual clock without advancing
 * time); a per-link delay schedules it on the bus clock, never overtaking an
 * earlier delivery on the same link.
 *
 * @example
 * ```ts
 * import { DeliveryQueue } from "./delivery.ts";
 * import { VirtualClock } from "./clock.ts";
 * const q = new DeliveryQueue(new VirtualClock(), console.error);
 * q.post("a>b", 0, () => console.log("delivered"));
 * ```
 * @module
 */
import type { Clock } from "./clock.ts";

/**
 * FIFO delivery of tasks, per link, with an optional delay per task.
 *
 * @example
 * ```ts
 * import { DeliveryQueue } from "./delivery.ts";
 * import { RealClock } from "./clock.ts";
 * const q = new DeliveryQueue(new RealClock(), (e) => console.error(e));
 * q.post("17/0>18/0", 5, () => console.log("5 ms later"));
 * ```
 */
export class DeliveryQueue {
  #clock: Clock;
  #onError: (error: unknown) => void;
  #ready: Array<() => void> = [];
  #draining = false;
  #scheduled = false;
  /** Latest due time per link, so a later task never overtakes. */
  #linkDue = new Map<string, number>();
  #timers = new Set<unknown>();
  #generation = 0;

  /** Run tasks on `clock`; a task that throws is reported to `onError`. */
  constructor(clock: Clock, onError: (error: unknown) => void) {
    this.#clock = clock;
    this.#onError = onError;
  }

  /** Run `task` after `delayMs` (0: in a microtask), after earlier tasks of `link`. */
  post(link: string, delayMs: number, task: () => void): void {
    const now = this.#clock.now();
    const delay = Number.isFinite(delayMs) && delayMs > 0 ? delayMs : 0;
    const last = this.#linkDue.get(link);
    if (delay === 0 && (last === undefined || last <= now)) {
      if (last !== undefined) this.#linkDue.delete(link);
      this.#enqueue(task);
      return;
    }
    const due = Math.max(now + delay, last ?? now);
    this.#linkDue.set(link, due);
    const generation = this.#generation;
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      if (generation === this.#generation) this.#enqueue(task);
    }, due - now);
    this.#timers.add(handle);
  }

  /** Forget every queued and delayed task. */
  clear(): void {
    this.#generation++;
    this.#ready = [];
    this.#linkDue.clear();
    for (const h of this.#timers) this.#clock.clearTimeout(h);
    this.#timers.clear();
  }

  #enqueue(task: () => void): void {
    this.#ready.push(task);
    if (this.#scheduled || this.#draining) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    this.#draining = true;
    const ready = this.#ready;
    let i = 0;
    try {
      // Tasks posted while draining join the same pass, still after their
      // cause. An index, not shift(): shift() copies, quadratic on big bursts.
      // clear() swaps the array: the tasks left in the old one are forgotten.
      for (; i < ready.length && this.#ready === ready; i++) {
        try {
          ready[i]();
        } catch (error) {
          this.#onError(error);
        }
      }
    } finally {
      if (this.#ready === ready) this.#ready = [];
      this.#draining = false;
    }
  }
}
