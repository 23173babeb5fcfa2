/**
 * The mock backend's flow calls, timed as the vendor's library times them
 * (docs/wire-protocol.md, "The library's two flow timers"), on the bus
 * clock: a call awaiting its result (mode 0) gets `invokeFlowRet` -25 with
 * no head after `timeoutMs` (at once when ≤ 0); every call gets
 * `invokeFlowAck` -25 with no head after clamp(`timeoutMs`, 1 s, 5 s)
 * without an acknowledge, whether or not its result came. A late result or
 * acknowledge is dropped. All deadlines of one backend share one timer per
 * kind (the API's `DeadlineQueue`): a timer per call cost ~630 bytes of
 * heap under Deno (`bench/README.md`). Internal to `MockBackend`.
 *
 * @module
 */
import { type Deadline, DeadlineQueue } from "../../api/deadlines.ts";
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
 * import { VirtualClock } from "@smartbus/netclient/mock";
 * import { FlowTimers } from "./flows.ts";
 * const clock = new VirtualClock();
 * const timers = new FlowTimers(clock, (f) => console.log("no result for", f.invokeId));
 * timers.add(7, 1, new TextEncoder().encode("ivr"), 500);
 * await clock.advance(500); // no result for 7
 * ```
 */
export class FlowTimers {
  #clock: Clock;
  #calls = new Map<number, Deadline<PendingFlow>>();
  #deadlines: DeadlineQueue<PendingFlow>;
  #acks = new Map<number, Deadline<PendingFlow>>();
  #ackDeadlines: DeadlineQueue<PendingFlow>;
  /** The last project id seen: calls mostly name the same one, so they share it. */
  #project: Uint8Array = new Uint8Array();

  /**
   * Calls time out on `clock`: `onTimeout` runs for a result that did not
   * come in time, `onAckTimeout` for an acknowledge that did not.
   */
  constructor(
    clock: Clock,
    onTimeout: (flow: PendingFlow) => void,
    onAckTimeout: (flow: PendingFlow) => void = () => {},
  ) {
    this.#clock = clock;
    this.#deadlines = new DeadlineQueue(clock, (flow) => {
      this.#calls.delete(flow.invokeId);
      onTimeout(flow);
    });
    this.#ackDeadlines = new DeadlineQueue(clock, (flow) => {
      this.#acks.delete(flow.invokeId);
      onAckTimeout(flow);
    });
  }

  /** How many calls are awaited. */
  get size(): number {
    return this.#calls.size;
  }

  /**
   * Time call `invokeId` (`mode` 0 awaits a result, see the module); its
   * `projectId` is copied.
   */
  add(
    invokeId: number,
    localClientId: number,
    projectId: Uint8Array,
    timeoutMs: number,
    mode = 0,
  ): void {
    for (const [calls, queue] of this.#both()) {
      const old = calls.get(invokeId);
      if (old) queue.remove(old);
      calls.delete(invokeId);
    }
    if (!sameBytes(projectId, this.#project)) {
      this.#project = copyBytes(projectId);
    }
    const flow = { invokeId, localClientId, projectId: this.#project };
    if (mode === 0) {
      const ms = Math.max(0, timeoutMs);
      this.#calls.set(invokeId, this.#deadlines.add(flow, ms));
    }
    const ackMs = Math.min(Math.max(timeoutMs, 1000), 5000);
    this.#acks.set(invokeId, this.#ackDeadlines.add(flow, ackMs));
  }

  /**
   * An acknowledge for `invokeId` came through client `localClientId`:
   * true when in time (its timer stops), false when unknown or late.
   */
  acknowledged(invokeId: number, localClientId: number): boolean {
    return this.#stop(this.#acks, this.#ackDeadlines, invokeId, localClientId);
  }

  #both(): Array<
    [Map<number, Deadline<PendingFlow>>, DeadlineQueue<PendingFlow>]
  > {
    return [[this.#calls, this.#deadlines], [this.#acks, this.#ackDeadlines]];
  }

  /**
   * A result for `invokeId` came through client `localClientId`: true when
   * it is in time (the call is then settled), false when unknown or late.
   */
  settle(invokeId: number, localClientId: number): boolean {
    return this.#stop(this.#calls, this.#deadlines, invokeId, localClientId);
  }

  /**
   * Stop the timer of `invokeId` in `calls` if it is this client's and
   * still running. An answer at the deadline is late even if the timer has
   * not run yet: the timer reports the timeout at that same instant.
   */
  #stop(
    calls: Map<number, Deadline<PendingFlow>>,
    queue: DeadlineQueue<PendingFlow>,
    invokeId: number,
    localClientId: number,
  ): boolean {
    const entry = calls.get(invokeId);
    if (
      !entry || entry.item.localClientId !== localClientId ||
      this.#clock.now() >= entry.at
    ) {
      return false;
    }
    calls.delete(invokeId);
    queue.remove(entry);
    return true;
  }

  /** Forget every call and stop the timers. */
  clear(): void {
    for (const [calls, queue] of this.#both()) {
      calls.clear();
      queue.clear();
    }
  }
}
