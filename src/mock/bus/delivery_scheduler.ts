/**
 * The mock bus's delivery scheduler: every delivery runs later than the call
 * that caused it, in FIFO order per link. With no delay a delivery runs in a
 * microtask (so awaiting code works on a virtual clock without advancing
 * time); a per-link delay schedules it on the bus clock, never overtaking an
 * earlier delivery on the same link.
 *
 * @module
 */
import type { Clock } from "./clock.ts";

/**
 * One scheduled delivery as an object: the bus posts one per message, so a
 * method call costs less than a closure per delivery. `link()` is asked
 * only when the link's order matters (something on it is held back).
 */
export interface ScheduledTask {
  /** Run it (exceptions go to the scheduler's `onError`). */
  run(): void;
  /** The link it travels on (FIFO per link). */
  link(): string;
}

/** A held task: ripe once its delay has passed. */
interface Slot {
  task: ScheduledTask;
  ripe: boolean;
}

/** A plain function as a task on a fixed link. */
class FnTask implements ScheduledTask {
  constructor(readonly fn: () => void, readonly linkKey: string) {}
  run(): void {
    this.fn();
  }
  link(): string {
    return this.linkKey;
  }
}

/**
 * FIFO delivery of tasks, per link, with an optional delay per task.
 *
 * @example
 * ```ts
 * import { VirtualClock } from "@smartbus/netclient/mock";
 * import { DeliveryScheduler } from "./delivery_scheduler.ts";
 * const clock = new VirtualClock();
 * const q = new DeliveryScheduler(clock, console.error);
 * q.post("17>0", 5, () => console.log("first"));
 * q.post("17>0", 0, () => console.log("second")); // waits behind the first: same link
 * await clock.advance(5); // first, second
 * ```
 */
export class DeliveryScheduler {
  #clock: Clock;
  #onError: (error: unknown) => void;
  #ready: ScheduledTask[] = [];
  #draining = false;
  #scheduled = false;
  /**
   * Per link, the tasks still held back, in posting order, with the latest
   * due time. A task leaves only when it is ripe and everything before it
   * left: real timers may fire late, so a due time alone cannot keep order.
   */
  #held = new Map<string, { due: number; slots: Slot[] }>();
  #timers = new Set<unknown>();
  #generation = 0;

  /** Run tasks on `clock`; a task that throws is reported to `onError`. */
  constructor(clock: Clock, onError: (error: unknown) => void) {
    this.#clock = clock;
    this.#onError = onError;
  }

  /** Run `task` after `delayMs` (0: in a microtask), after earlier tasks of `link`. */
  post(link: string, delayMs: number, task: () => void): void {
    this.postTask(new FnTask(task, link), delayMs);
  }

  /** Run `task` after `delayMs` (0: in a microtask), after earlier tasks of its link. */
  postTask(task: ScheduledTask, delayMs: number): void {
    const delay = delayMs > 0 && Number.isFinite(delayMs) ? delayMs : 0;
    // The common case (no delay, nothing held anywhere) needs no link key.
    if (delay === 0 && this.#held.size === 0) return this.#makeReady(task);
    const now = this.#clock.now();
    const link = task.link();
    let held = this.#held.get(link);
    if (delay === 0 && held === undefined) return this.#makeReady(task);
    if (held === undefined) {
      held = { due: now, slots: [] };
      this.#held.set(link, held);
    }
    const slot: Slot = { task, ripe: false };
    held.slots.push(slot);
    const due = Math.max(now + delay, held.due);
    held.due = due;
    if (delay === 0) {
      // Behind held tasks only: it leaves right after them.
      slot.ripe = true;
      return;
    }
    const generation = this.#generation;
    const handle = this.#clock.setTimeout(() => {
      this.#timers.delete(handle);
      if (generation !== this.#generation) return;
      slot.ripe = true;
      this.#release(link);
    }, due - now);
    this.#timers.add(handle);
  }

  /** Forget every ready and delayed task. */
  clear(): void {
    this.#generation++;
    this.#ready = [];
    this.#held.clear();
    for (const h of this.#timers) this.#clock.clearTimeout(h);
    this.#timers.clear();
  }

  /** Make ready the ripe tasks at the head of `link`. */
  #release(link: string): void {
    const held = this.#held.get(link);
    if (!held) return;
    let n = 0;
    while (n < held.slots.length && held.slots[n].ripe) {
      this.#makeReady(held.slots[n++].task);
    }
    held.slots.splice(0, n);
    if (held.slots.length === 0) this.#held.delete(link);
  }

  #makeReady(task: ScheduledTask): void {
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
          ready[i].run();
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
