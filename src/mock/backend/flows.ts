/**
 * The mock backend's awaited flow calls (mode 0), timed as the library
 * times them: `timeoutMs` (30 s when ≤ 0) on the bus clock, then
 * `invokeFlowRet` with -25 and no head; a result after that is dropped. All
 * deadlines of one backend share one timer (the API's `DeadlineQueue`): a
 * timer per call cost ~630 bytes of heap under Deno (`bench/README.md`).
 * Internal to `MockBackend`.
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus, VirtualClock } from "@smartbus/netclient/mock";
 * const clock = new VirtualClock();
 * const backend = new MockBackend(new MockBus({ clock }));
 * // a flow call with timeout 0 gets ret -25 once 30 s pass on `clock`
 * console.log(backend.kind); // "mock"
 * ```
 * @module
 */
import { type Deadline, DeadlineQueue } from "../../api/deadlines.ts";
import { libraryFlowTimeoutMs } from "../../abi/timeouts.ts";
import type { Clock } from "../bus/clock.ts";
import { copyBytes, sameBytes } from "../bus/slab.ts";

/** One awaited call. */
export interface PendingFlow {
  readonly invokeId: number;
  readonly localClientId: number;
  /** Project id bytes (no NUL), for the timeout callback. */
  readonly projectId: Uint8Array;
}

/**
 * Awaited flow calls of one backend and their deadlines.
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus, VirtualClock } from "@smartbus/netclient/mock";
 * const clock = new VirtualClock();
 * const backend = new MockBackend(new MockBus({ clock }));
 * // a flow call with timeout 0 gets ret -25 once 30 s pass on `clock`
 * console.log(backend.kind); // "mock"
 * ```
 */
export class FlowTimers {
  #clock: Clock;
  #calls = new Map<number, Deadline<PendingFlow>>();
  #deadlines: DeadlineQueue<PendingFlow>;
  /** The last project id seen: calls mostly name the same one, so they share it. */
  #project: Uint8Array = new Uint8Array();

  /** Calls time out on `clock`; `onTimeout` runs for each that does. */
  constructor(clock: Clock, onTimeout: (flow: PendingFlow) => void) {
    this.#clock = clock;
    this.#deadlines = new DeadlineQueue(clock, (flow) => {
      this.#calls.delete(flow.invokeId);
      onTimeout(flow);
    });
  }

  /** How many calls are awaited. */
  get size(): number {
    return this.#calls.size;
  }

  /** Await call `invokeId` for `timeoutMs` (30 s when ≤ 0); `projectId` is copied. */
  add(
    invokeId: number,
    localClientId: number,
    projectId: Uint8Array,
    timeoutMs: number,
  ): void {
    const ms = libraryFlowTimeoutMs(timeoutMs);
    const old = this.#calls.get(invokeId);
    if (old) this.#deadlines.remove(old);
    if (!sameBytes(projectId, this.#project)) {
      this.#project = copyBytes(projectId);
    }
    const entry = this.#deadlines.add(
      { invokeId, localClientId, projectId: this.#project },
      ms,
    );
    this.#calls.set(invokeId, entry);
  }

  /**
   * A result for `invokeId` came through client `localClientId`: true when
   * it is in time (the call is then settled), false when unknown or late.
   */
  settle(invokeId: number, localClientId: number): boolean {
    const entry = this.#calls.get(invokeId);
    // A result at the deadline is late even if the timer has not run yet:
    // the timer reports the timeout at that same instant.
    if (
      !entry || entry.item.localClientId !== localClientId ||
      this.#clock.now() >= entry.at
    ) {
      return false;
    }
    this.#calls.delete(invokeId);
    this.#deadlines.remove(entry);
    return true;
  }

  /** Forget every call and stop the timer. */
  clear(): void {
    this.#calls.clear();
    this.#deadlines.clear();
  }
}
