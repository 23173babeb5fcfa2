/**
 * Bookkeeping of awaited flow calls for one client: the pending entry per
 * invoke id and how each library callback settles it. Every entry is removed
 * when it settles, however it settles.
 *
 * @example
 * ```ts
 * import { FlowTracker, realTimers } from "@smartbus/netclient";
 * const flows = new FlowTracker(realTimers);
 * console.log(flows.size); // 0
 * ```
 * @module
 */
import { FLOW_ACK_OK, FLOW_RET_OK } from "../abi/constants.ts";
import {
  AbortedError,
  FlowError,
  FlowNotStartedError,
  FlowTimeoutError,
} from "../abi/errors.ts";
import { type Deadline, DeadlineQueue } from "./deadlines.ts";
import type { Timers } from "../abi/timers.ts";

/**
 * Extra time the awaiting side grants the library's own flow timer before it
 * gives up by itself, so a library that never reports cannot leave a promise
 * pending forever.
 */
export const FLOW_TIMEOUT_GRACE_MS = 2000;

// One plain record per pending call, settled through the tracker's methods:
// no per-call closures beyond the promise's own resolve/reject, because a
// unit may hold 100,000 calls (bench/README.md).
interface Entry {
  resolve: (result: unknown[]) => void;
  reject: (error: unknown) => void;
  wantResult: boolean;
  timeoutMs: number;
  invokeId: number;
  project: string;
  deadline?: Deadline<Entry>;
  signal?: AbortSignal;
}

/** Pending awaited flow calls of one client, by invoke id. */
export class FlowTracker {
  #entries = new Map<number, Entry>();
  // One listener object for every call's AbortSignal: `handleEvent` finds the call.
  #aborts = new Map<AbortSignal, Set<Entry>>();
  // One timer for all calls' safety deadlines, not one per call.
  #deadlines: DeadlineQueue<Entry>;

  /** Deadlines use `timers`. */
  constructor(timers: Timers) {
    this.#deadlines = new DeadlineQueue(timers, (e) =>
      this.#reject(
        e,
        new FlowTimeoutError(
          { invokeId: e.invokeId, project: e.project },
          e.timeoutMs,
        ),
      ));
  }

  /** How many calls are pending. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Track `invokeId`; the returned promise settles from the callbacks, or
   * times out by itself `FLOW_TIMEOUT_GRACE_MS` after the library should have.
   */
  track(
    invokeId: number,
    project: string,
    wantResult: boolean,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<unknown[]> {
    let entry!: Entry;
    const promise = new Promise<unknown[]>((resolve, reject) => {
      entry = { resolve, reject, wantResult, timeoutMs, invokeId, project };
    });
    if (signal?.aborted) {
      entry.reject(this.#aborted(entry, signal));
      return promise;
    }
    this.#entries.set(invokeId, entry);
    entry.deadline = this.#deadlines.add(
      entry,
      timeoutMs + FLOW_TIMEOUT_GRACE_MS,
    );
    if (signal) {
      entry.signal = signal;
      let set = this.#aborts.get(signal);
      if (!set) {
        this.#aborts.set(signal, set = new Set());
        signal.addEventListener("abort", this);
      }
      set.add(entry);
    }
    return promise;
  }

  /** `AbortSignal` listener: reject every call of the aborted signal. @internal */
  handleEvent(event: Event): void {
    const signal = event.target as AbortSignal;
    const set = this.#aborts.get(signal);
    if (!set) return;
    for (const e of [...set]) this.#reject(e, this.#aborted(e, signal));
  }

  #aborted(e: Entry, signal: AbortSignal): Error {
    return new AbortedError(`flow ${e.project} (invoke id ${e.invokeId})`, {
      cause: signal.reason,
    });
  }

  #forget(e: Entry): boolean {
    if (this.#entries.get(e.invokeId) !== e) return false;
    this.#entries.delete(e.invokeId);
    if (e.deadline) this.#deadlines.remove(e.deadline);
    const signal = e.signal;
    if (signal) {
      const set = this.#aborts.get(signal)!;
      set.delete(e);
      if (set.size === 0) {
        this.#aborts.delete(signal);
        signal.removeEventListener("abort", this);
      }
    }
    return true;
  }

  #resolve(e: Entry, result: unknown[]): void {
    if (this.#forget(e)) e.resolve(result);
  }

  #reject(e: Entry, error: unknown): void {
    if (this.#forget(e)) e.reject(error);
  }

  /** The flow-acknowledge callback arrived. */
  acknowledge(
    invokeId: number,
    project: string,
    ack: number,
    msg: string,
  ): void {
    const e = this.#entries.get(invokeId);
    if (!e) return;
    if (ack !== FLOW_ACK_OK) {
      this.#reject(
        e,
        new FlowNotStartedError({ invokeId, project }, ack, msg),
      );
    } else if (!e.wantResult) {
      this.#resolve(e, []);
    }
  }

  /** The flow-result callback arrived; `result` is already parsed (or the parse error). */
  finish(
    invokeId: number,
    project: string,
    ret: number,
    result: unknown[] | null | Error,
  ): void {
    const e = this.#entries.get(invokeId);
    if (!e) return;
    const info = { invokeId, project };
    if (ret === FLOW_RET_OK) {
      if (result instanceof Error) this.#reject(e, result);
      else this.#resolve(e, result ?? []);
    } else if (ret === -25) {
      this.#reject(e, new FlowTimeoutError(info, e.timeoutMs));
    } else {
      this.#reject(
        e,
        new FlowError(
          `flow ${project} (invoke id ${invokeId}) failed with ${ret}`,
          ret,
          info,
        ),
      );
    }
  }

  /** Reject every pending call with `error` (the client is closing). */
  rejectAll(error: () => Error): void {
    for (const e of [...this.#entries.values()]) this.#reject(e, error());
  }
}
