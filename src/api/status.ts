/**
 * Connection status of a client, as an async iterable: every subscriber
 * first sees the current status, then each change, until the client closes.
 *
 * @example
 * ```ts
 * import type { ConnectionStatus } from "@smartbus/netclient";
 * function show(s: ConnectionStatus): string {
 *   return s.state === "connected" ? `on node ${s.unitId}` : s.state;
 * }
 * ```
 * @module
 */
import type { ErrorCodeName } from "../abi/constants.ts";

/**
 * One status of a client's connection (`client.state`, `client.status()`).
 *
 * @example
 * ```ts
 * import { Client, type ConnectionStatus } from "@smartbus/netclient";
 * async function watch(client: Client): Promise<void> {
 *   for await (const s of client.status()) console.log(s.state);
 * }
 * ```
 */
export type ConnectionStatus =
  | { state: "idle" }
  | { state: "connecting" }
  | { state: "connected"; unitId: number }
  | { state: "disconnected" }
  | { state: "failed"; code: number; codeName: ErrorCodeName | "UNKNOWN" }
  | { state: "closed" };

/** Statuses a slow subscriber may have queued before the oldest are dropped. */
const MAX_QUEUED = 1024;

/**
 * Fan-out of status changes to any number of async iterators, each with its
 * own bounded queue.
 */
export class StatusFeed {
  #current: ConnectionStatus = { state: "idle" };
  #subscribers = new Set<Subscriber>();

  /** The latest status. */
  get current(): ConnectionStatus {
    return this.#current;
  }

  /** Record a new status and hand it to every subscriber. */
  push(status: ConnectionStatus): void {
    this.#current = status;
    for (const s of this.#subscribers) s.offer(status);
    if (status.state === "closed") {
      for (const s of this.#subscribers) s.end();
      this.#subscribers.clear();
    }
  }

  /** A new iterator starting at the current status. */
  subscribe(): AsyncIterableIterator<ConnectionStatus> {
    const sub = new Subscriber(() => this.#subscribers.delete(sub));
    sub.offer(this.#current);
    if (this.#current.state === "closed") sub.end();
    else this.#subscribers.add(sub);
    return sub;
  }
}

class Subscriber implements AsyncIterableIterator<ConnectionStatus> {
  #queue: ConnectionStatus[] = [];
  #waiter?: (r: IteratorResult<ConnectionStatus>) => void;
  #done = false;
  #detach: () => void;

  constructor(detach: () => void) {
    this.#detach = detach;
  }

  offer(s: ConnectionStatus): void {
    if (this.#done) return;
    const w = this.#waiter;
    if (w) {
      this.#waiter = undefined;
      w({ value: s, done: false });
      return;
    }
    if (this.#queue.length >= MAX_QUEUED) this.#queue.shift();
    this.#queue.push(s);
  }

  end(): void {
    this.#done = true;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<ConnectionStatus>> {
    const s = this.#queue.shift();
    if (s) return Promise.resolve({ value: s, done: false });
    if (this.#done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((r) => (this.#waiter = r));
  }

  return(): Promise<IteratorResult<ConnectionStatus>> {
    this.#queue.length = 0;
    this.end();
    this.#detach();
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<ConnectionStatus> {
    return this;
  }
}
