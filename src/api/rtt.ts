/**
 * Awaited pings: each carries a unique token as its payload, which the
 * answer (cmdtype 8) echoes, so concurrent pings to the same peer each find
 * their own answer.
 *
 * @example
 * ```ts
 * import { realTimers, RttTracker } from "@smartbus/netclient/internal";
 * const rtts = new RttTracker(realTimers, "client 1");
 * console.log(rtts.size); // 0
 * ```
 * @module
 */
import { TimeoutError } from "../abi/errors.ts";
import { Pending } from "./pending.ts";
import { decodeText, encodeText } from "./text.ts";
import type { Timers } from "../core/timers.ts";
import { ClientCounters } from "./client_stats.ts";

const PREFIX = "\u0001smartbus-rtt:";

/** Pending awaited pings of one client, by token. */
export class RttTracker {
  #timers: Timers;
  #owner: string;
  #seq = 0;
  #pending = new Map<string, { pending: Pending<number>; sent: number }>();
  #stats: ClientCounters;

  /**
   * Deadlines on `timers`; `owner` makes tokens unique per client; round
   * trips go to `stats`.
   */
  constructor(
    timers: Timers,
    owner: string,
    stats: ClientCounters = new ClientCounters(),
  ) {
    this.#timers = timers;
    this.#owner = owner;
    this.#stats = stats;
  }

  /** How many pings await their answer. */
  get size(): number {
    return this.#pending.size;
  }

  /**
   * Send a ping through `send` with a fresh token (NUL-terminated) and
   * resolve with the round trip in ms once {@link answer} sees it.
   */
  start(
    send: (payload: Uint8Array) => void,
    what: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<number> {
    const token = `${PREFIX}${this.#owner}:${++this.#seq}`;
    const pending = new Pending<number>(this.#timers, {
      what,
      timeoutMs,
      signal,
      onTimeout: () => new TimeoutError(what, timeoutMs),
      onSettle: () => this.#pending.delete(token),
    });
    if (pending.settled) return pending.promise;
    this.#pending.set(token, { pending, sent: this.#timers.now() });
    try {
      send(encodeText(token + "\0", "utf-8"));
    } catch (e) {
      pending.reject(e);
    }
    return pending.promise;
  }

  /** A ping answer's NUL-stripped payload: true when it was one of ours (and is consumed). */
  answer(body: Uint8Array): boolean {
    if (this.#pending.size === 0) return false;
    const r = this.#pending.get(decodeText(body, "utf-8"));
    if (!r) return false;
    const now = this.#timers.now();
    const ms = now - r.sent;
    if (r.pending.resolve(ms)) this.#stats.pingRtt.record(ms, now);
    return true;
  }

  /** Reject every pending ping (the client is closing). */
  rejectAll(error: () => Error): void {
    for (const r of [...this.#pending.values()]) r.pending.reject(error());
  }
}
