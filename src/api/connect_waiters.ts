/**
 * The awaited side of connecting: everyone waiting in `connect()` for one
 * client, settled by the connection callbacks. The library retries failed
 * attempts by itself, so only an authentication failure (which retrying
 * cannot fix), the deadline or an abort ends a wait early.
 *
 * @example
 * ```ts
 * import { ConnectWaiters, realTimers } from "@smartbus/netclient/internal";
 * const waiters = new ConnectWaiters(realTimers, 1);
 * const p = waiters.wait(1000);
 * waiters.connected(0);
 * console.log(await p); // 0
 * ```
 * @module
 */
import { AUTH_ERROR_CODES, describeCode, ErrorCode } from "../abi/constants.ts";
import { ConnectError } from "../abi/errors.ts";
import { Pending } from "./pending.ts";
import type { Timers } from "../core/timers.ts";

/** The pending `connect()` calls of one client. */
export class ConnectWaiters {
  #timers: Timers;
  #clientId: number;
  #waiters = new Set<Pending<number>>();
  #lastCode = 0;

  /** Deadlines on `timers`; `clientId` names the client in errors. */
  constructor(timers: Timers, clientId: number) {
    this.#timers = timers;
    this.#clientId = clientId;
  }

  /** The code of the last failed attempt since the last success (0: none). */
  get lastCode(): number {
    return this.#lastCode;
  }

  /**
   * Wait for the next success. The promise is pre-handled: not awaiting it
   * never makes an unhandled rejection.
   */
  wait(timeoutMs: number, signal?: AbortSignal): Promise<number> {
    const p = new Pending<number>(this.#timers, {
      what: () => `connect of client ${this.#clientId}`,
      timeoutMs,
      signal,
      onTimeout: () =>
        new ConnectError(
          `client ${this.#clientId} not connected within ${timeoutMs} ms` +
            (this.#lastCode
              ? ` (last error ${describeCode(this.#lastCode)})`
              : ""),
          this.#lastCode || ErrorCode.TIMEOUT,
        ),
      onSettle: () => this.#waiters.delete(p),
    });
    if (!p.settled) this.#waiters.add(p);
    p.promise.catch(() => {});
    return p.promise;
  }

  /** An attempt succeeded at node `unitId`. */
  connected(unitId: number): void {
    this.#lastCode = 0;
    for (const w of [...this.#waiters]) w.resolve(unitId);
  }

  /** An attempt failed with `code`; authentication failures end the waits. */
  failed(code: number): void {
    this.#lastCode = code;
    if (!AUTH_ERROR_CODES.has(code)) return;
    for (const w of [...this.#waiters]) {
      w.reject(
        new ConnectError(
          `client ${this.#clientId}: authentication refused, ${
            describeCode(code)
          }`,
          code,
        ),
      );
    }
  }

  /** Reject every wait (the client is closing). */
  rejectAll(error: () => Error): void {
    for (const w of [...this.#waiters]) w.reject(error());
  }
}
