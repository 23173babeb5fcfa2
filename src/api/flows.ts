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
import { FLOW_ACK_OK, FLOW_RET_OK } from "./constants.ts";
import { FlowError, FlowNotStartedError, FlowTimeoutError } from "./errors.ts";
import { type Deadline, DeadlineQueue } from "./deadlines.ts";
import { Pending } from "./pending.ts";
import type { Timers } from "./timers.ts";

/**
 * Extra time the awaiting side grants the library's own flow timer before it
 * gives up by itself, so a library that never reports cannot leave a promise
 * pending forever.
 */
export const FLOW_TIMEOUT_GRACE_MS = 2000;

interface Entry {
  pending: Pending<unknown[]>;
  wantResult: boolean;
  timeoutMs: number;
  invokeId: number;
  project: string;
  deadline?: Deadline<Entry>;
}

/** Pending awaited flow calls of one client, by invoke id. */
export class FlowTracker {
  #entries = new Map<number, Entry>();
  #timers: Timers;
  // One timer for all calls' safety deadlines, not one per call.
  #deadlines: DeadlineQueue<Entry>;

  /** Deadlines use `timers`. */
  constructor(timers: Timers) {
    this.#timers = timers;
    this.#deadlines = new DeadlineQueue(timers, (e) =>
      e.pending.reject(
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
    const entry = { invokeId, project, wantResult, timeoutMs } as Entry;
    entry.pending = new Pending<unknown[]>(this.#timers, {
      what: () => `flow ${project} (invoke id ${invokeId})`,
      signal,
      onSettle: () => {
        this.#entries.delete(invokeId);
        if (entry.deadline) this.#deadlines.remove(entry.deadline);
      },
    });
    if (!entry.pending.settled) {
      this.#entries.set(invokeId, entry);
      entry.deadline = this.#deadlines.add(
        entry,
        timeoutMs + FLOW_TIMEOUT_GRACE_MS,
      );
    }
    return entry.pending.promise;
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
      e.pending.reject(
        new FlowNotStartedError({ invokeId, project }, ack, msg),
      );
    } else if (!e.wantResult) {
      e.pending.resolve([]);
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
      if (result instanceof Error) e.pending.reject(result);
      else e.pending.resolve(result ?? []);
    } else if (ret === -25) {
      e.pending.reject(new FlowTimeoutError(info, e.timeoutMs));
    } else {
      e.pending.reject(
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
    for (const e of [...this.#entries.values()]) e.pending.reject(error());
    this.#entries.clear();
    this.#deadlines.clear();
  }
}
