/**
 * The flow-call protocol of one client, in one place: what the library's
 * flow-acknowledge and flow-result callbacks mean. For each callback it maps
 * the acknowledge or result code to an outcome, parses the result, settles
 * the awaited `invoke()` promise (if any) and raises the matching event
 * (`onInvokeFlowAcknowledge`, then one of `onInvokeFlowRespond`,
 * `onInvokeFlowTimeout`, `onInvokeFlowError`). Every pending entry is removed
 * when it settles, however it settles. It also keeps the flow figures of
 * `client.stats()`: flows started with the original Python package's `invokeFlow()` are
 * followed too (one entry each until their outcome), so that each flow
 * counts once, with its latencies.
 *
 * @example
 * ```ts
 * import { FlowCalls, realTimers } from "@smartbus/netclient/internal";
 * const flows = new FlowCalls(realTimers, console, (method, _event, args) => console.log(method, args));
 * const result = flows.track(7, "ivr", true, 30_000);
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * flows.returned(null, bytes("ivr"), 7, 1, bytes('["done"]')); // logs onInvokeFlowRespond
 * console.log(await result); // [ "done" ]
 * ```
 * @module
 */
import { ErrorCode, FLOW_ACK_OK, FLOW_RET_OK } from "../abi/constants.ts";
import {
  AbortedError,
  FlowError,
  FlowNotStartedError,
  FlowTimeoutError,
} from "../abi/errors.ts";
import type { PackInfo } from "../abi/packinfo.ts";
import type { Timers } from "../core/timers.ts";
import type { ClientEvents, HandlerName } from "./client_events.ts";
import { ClientCounters, countCode } from "./client_stats.ts";
import { type Deadline, DeadlineQueue } from "./deadlines.ts";
import type { Logger } from "./log.ts";
import { parseFlowResult } from "./params.ts";
import { decodeGbkOrUtf8, stripNuls } from "./text.ts";

/**
 * Extra time the awaiting side grants the library's own flow timer before it
 * gives up by itself, so a library that never reports cannot leave a promise
 * pending forever.
 */
export const FLOW_TIMEOUT_GRACE_MS = 2000;

/**
 * How {@link FlowCalls} raises a client event: the original Python package's `on*` method
 * (`method`), then the typed listeners of `event`.
 *
 * @example
 * ```ts
 * import type { RaiseEvent } from "@smartbus/netclient/internal";
 * const log: RaiseEvent = (method, _event, args) => console.log(method, ...args);
 * ```
 */
export type RaiseEvent = <K extends keyof ClientEvents>(
  method: HandlerName,
  event: K,
  args: ClientEvents[K],
) => void;

// One plain record per pending call, settled through the owner's methods:
// no per-call closures beyond the promise's own resolve/reject, because a
// unit may hold 100,000 calls (bench/README.md).
interface Entry {
  resolve: (result: unknown[]) => void;
  reject: (error: unknown) => void;
  wantResult: boolean;
  timeoutMs: number;
  invokeId: number;
  project: string;
  /** When it was started, on the timers: its latencies count from here. */
  startedAt: number;
  /** Its ack 1 is counted. */
  acked: boolean;
  /** An `invoke()` promise waits for it (else: the original Python package's `invokeFlow()`). */
  awaited: boolean;
  deadline?: Deadline<Entry>;
  signal?: AbortSignal;
}

// The settle functions of a flow nobody awaits.
const IGNORE = (): void => {};

/** The flow calls of one client: awaited ones by invoke id, and what each callback means. */
export class FlowCalls {
  #entries = new Map<number, Entry>();
  #awaited = 0;
  // One listener object for every call's AbortSignal: `handleEvent` finds the call.
  #aborts = new Map<AbortSignal, Set<Entry>>();
  // One timer for all calls' safety deadlines, not one per call.
  #deadlines: DeadlineQueue<Entry>;
  #logger: Logger;
  #raise: RaiseEvent;
  #timers: Timers;
  #stats: ClientCounters;

  /**
   * Deadlines and latencies use `timers`; unparsable results are reported
   * to `logger`; events go to `raise`; figures to `stats`.
   */
  constructor(
    timers: Timers,
    logger: Logger,
    raise: RaiseEvent,
    stats: ClientCounters = new ClientCounters(),
  ) {
    this.#logger = logger;
    this.#raise = raise;
    this.#timers = timers;
    this.#stats = stats;
    this.#deadlines = new DeadlineQueue(
      timers,
      (e) => this.#timedOut(e, e.project),
    );
  }

  /** How many awaited calls are pending. */
  get size(): number {
    return this.#awaited;
  }

  /** How many flows are in flight, awaited or not. */
  get inFlight(): number {
    return this.#entries.size;
  }

  /**
   * Await `invokeId`; the returned promise settles from the callbacks, or
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
    const startedAt = this.#timers.now();
    const promise = new Promise<unknown[]>((resolve, reject) => {
      entry = {
        resolve,
        reject,
        wantResult,
        timeoutMs,
        invokeId,
        project,
        startedAt,
        acked: false,
        awaited: true,
      };
    });
    this.#stats.flowsStarted++;
    if (signal?.aborted) {
      this.#stats.flowsAborted++;
      entry.reject(this.#aborted(entry, signal));
      return promise;
    }
    this.#follow(entry);
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

  /**
   * Follow a flow the original Python package's `invokeFlow()` started (nobody awaits it): its
   * outcome is counted from the callbacks, or as timed out when the library
   * has not reported one `FLOW_TIMEOUT_GRACE_MS` after its timeout.
   */
  started(
    invokeId: number,
    project: string,
    wantResult: boolean,
    timeoutMs: number,
  ): void {
    this.#stats.flowsStarted++;
    this.#follow({
      resolve: IGNORE,
      reject: IGNORE,
      wantResult,
      timeoutMs,
      invokeId,
      project,
      startedAt: this.#timers.now(),
      acked: false,
      awaited: false,
    });
  }

  #follow(e: Entry): void {
    // An invoke id the library hands out again replaces the stale entry.
    const stale = this.#entries.get(e.invokeId);
    if (stale) this.#timedOut(stale, stale.project);
    this.#entries.set(e.invokeId, e);
    if (e.awaited) this.#awaited++;
    e.deadline = this.#deadlines.add(e, e.timeoutMs + FLOW_TIMEOUT_GRACE_MS);
  }

  /**
   * The flow-acknowledge callback: ack 1 started the flow (an awaited call
   * without result resolves with `[]`), any other ack rejects it with
   * `FlowNotStartedError`; then `onInvokeFlowAcknowledge`. Ack -25 with no
   * head is the vendor library's own acknowledge timer (clamp(timeout, 1 s,
   * 5 s)), not the IPSC's answer: a call that wants a result keeps waiting
   * for it, and one that does not rejects with `FlowTimeoutError`.
   */
  acknowledged(
    info: PackInfo | null,
    project: Uint8Array,
    invokeId: number,
    ack: number,
    msg: Uint8Array,
  ): void {
    const proj = decodeGbkOrUtf8(project);
    const text = decodeGbkOrUtf8(stripNuls(msg));
    const e = this.#entries.get(invokeId);
    if (e && ack === ErrorCode.TIMEOUT && info === null) {
      if (!e.wantResult) this.#timedOut(e, proj);
    } else if (e) {
      if (ack !== FLOW_ACK_OK) {
        if (this.#forget(e)) {
          countCode(this.#stats.flowsNotStarted, ack);
          if (e.awaited) {
            e.reject(
              new FlowNotStartedError({ invokeId, project: proj }, ack, text),
            );
          }
        }
      } else {
        if (!e.acked) {
          e.acked = true;
          const now = this.#timers.now();
          this.#stats.flowsAcknowledged++;
          this.#stats.flowAck.record(now - e.startedAt, now);
        }
        if (!e.wantResult) this.#resolve(e, []);
      }
    }
    this.#raise("onInvokeFlowAcknowledge", "invokeFlowAcknowledge", [
      info,
      proj,
      invokeId,
      ack,
      text,
    ]);
  }

  /**
   * The flow-result callback: ret 1 with a JSON result resolves the awaited
   * call and raises `onInvokeFlowRespond`; ret 1 with a result that is not
   * JSON rejects it with that parse error and raises `onInvokeFlowError`
   * (OTHER); ret -25 rejects with `FlowTimeoutError` and raises
   * `onInvokeFlowTimeout`; any other ret rejects with `FlowError` and raises
   * `onInvokeFlowError` with it.
   */
  returned(
    info: PackInfo | null,
    project: Uint8Array,
    invokeId: number,
    ret: number,
    param: Uint8Array,
  ): void {
    const proj = decodeGbkOrUtf8(project);
    const e = this.#entries.get(invokeId);
    if (ret === FLOW_RET_OK) {
      let result: unknown[] | null;
      try {
        result = parseFlowResult(param);
      } catch (err) {
        if (e) this.#fail(e, ErrorCode.OTHER, err);
        this.#logger.error(
          `flow ${proj} (invoke id ${invokeId}) returned a result that is not JSON`,
          err,
        );
        this.#raise("onInvokeFlowError", "invokeFlowError", [
          info,
          proj,
          invokeId,
          ErrorCode.OTHER,
        ]);
        return;
      }
      if (e) {
        const now = this.#timers.now();
        this.#stats.flowResult.record(now - e.startedAt, now);
        this.#resolve(e, result ?? []);
      }
      this.#raise("onInvokeFlowRespond", "invokeFlowRespond", [
        info,
        proj,
        invokeId,
        result,
      ]);
    } else if (ret === ErrorCode.TIMEOUT) {
      if (e) this.#timedOut(e, proj);
      this.#raise("onInvokeFlowTimeout", "invokeFlowTimeout", [
        info,
        proj,
        invokeId,
      ]);
    } else {
      if (e) {
        this.#fail(
          e,
          ret,
          e.awaited
            ? new FlowError(
              `flow ${proj} (invoke id ${invokeId}) failed with ${ret}`,
              ret,
              { invokeId, project: proj },
            )
            : undefined,
        );
      }
      this.#raise("onInvokeFlowError", "invokeFlowError", [
        info,
        proj,
        invokeId,
        ret,
      ]);
    }
  }

  /** Reject every pending call with `error` (the client is closing): all count as aborted. */
  rejectAll(error: () => Error): void {
    for (const e of [...this.#entries.values()]) {
      if (this.#forget(e)) {
        this.#stats.flowsAborted++;
        if (e.awaited) e.reject(error());
      }
    }
  }

  /** `AbortSignal` listener: reject every call of the aborted signal. @internal */
  handleEvent(event: Event): void {
    const signal = event.target as AbortSignal;
    const set = this.#aborts.get(signal);
    if (!set) return;
    for (const e of [...set]) {
      if (this.#forget(e)) {
        this.#stats.flowsAborted++;
        e.reject(this.#aborted(e, signal));
      }
    }
  }

  #aborted(e: Entry, signal: AbortSignal): Error {
    return new AbortedError(`flow ${e.project} (invoke id ${e.invokeId})`, {
      cause: signal.reason,
    });
  }

  #forget(e: Entry): boolean {
    if (this.#entries.get(e.invokeId) !== e) return false;
    this.#entries.delete(e.invokeId);
    if (e.awaited) this.#awaited--;
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
    if (!this.#forget(e)) return;
    this.#stats.flowsAnswered++;
    e.resolve(result);
  }

  /** Ended with result code `code` (`error`: what the awaiting call gets). */
  #fail(e: Entry, code: number, error: unknown): void {
    if (!this.#forget(e)) return;
    countCode(this.#stats.flowsFailed, code);
    e.reject(error);
  }

  #timedOut(e: Entry, project: string): void {
    if (!this.#forget(e)) return;
    this.#stats.flowsTimedOut++;
    if (e.awaited) {
      e.reject(
        new FlowTimeoutError({ invokeId: e.invokeId, project }, e.timeoutMs),
      );
    }
  }
}
