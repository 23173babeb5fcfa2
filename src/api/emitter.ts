/**
 * A small typed event emitter whose listeners can never break the emitter:
 * each runs guarded (see `runGuarded`).
 *
 * @example
 * ```ts
 * import { Emitter } from "@smartbus/netclient/internal";
 * const e = new Emitter<{ tick: [n: number] }>(console);
 * const off = e.on("tick", (n) => console.log(n));
 * e.emit("tick", 1);
 * off();
 * ```
 * @module
 */
import { InvalidArgumentError } from "../abi/errors.ts";
import { type Logger, runGuarded } from "./log.ts";
import { showValue } from "./validate.ts";

/** Listener map: event name → argument tuple. */
export type EventMap = { [event: string]: unknown[] };

/** A listener of event `K` of map `M`. */
export type Listener<M extends EventMap, K extends keyof M> = (
  ...args: M[K]
) => unknown;

/**
 * Typed listeners with unsubscribe functions; `emit` never throws because of
 * a listener.
 *
 * @example
 * ```ts
 * import { Emitter } from "@smartbus/netclient/internal";
 * const e = new Emitter<{ msg: [text: string] }>(console);
 * e.once("msg", (t) => console.log(t));
 * ```
 */
export class Emitter<M extends EventMap> {
  #listeners = new Map<keyof M, Set<Listener<M, keyof M>>>();
  #logger: Logger;
  #names: ReadonlySet<keyof M> | undefined;

  /**
   * Listener failures are reported to `logger`. With `names`, `on()` refuses
   * any other event: a mistyped name from plain JavaScript would otherwise
   * wait forever for an event that never comes.
   */
  constructor(logger: Logger, names?: readonly (keyof M)[]) {
    this.#logger = logger;
    this.#names = names ? new Set(names) : undefined;
  }

  /** Add a listener; returns the function that removes it. */
  on<K extends keyof M>(event: K, listener: Listener<M, K>): () => void {
    if (this.#names && !this.#names.has(event)) {
      throw new InvalidArgumentError(
        "event",
        `must be one of ${[...this.#names].join(", ")}; got ${
          showValue(event)
        }`,
      );
    }
    if (typeof listener !== "function") {
      throw new InvalidArgumentError(
        "listener",
        `must be a function, got ${showValue(listener)}`,
      );
    }
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, set = new Set());
    const l = listener as unknown as Listener<M, keyof M>;
    set.add(l);
    return () => {
      set.delete(l);
    };
  }

  /** Add a listener called at most once; returns its remover. */
  once<K extends keyof M>(event: K, listener: Listener<M, K>): () => void {
    const off = this.on(
      event,
      ((...args: M[K]) => {
        off();
        return listener(...args);
      }) as Listener<M, K>,
    );
    return off;
  }

  /** How many listeners `event` has. */
  listenerCount(event: keyof M): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  /** Call every listener of `event` with `args`, each guarded. */
  emit<K extends keyof M>(event: K, ...args: M[K]): void {
    const set = this.#listeners.get(event);
    if (!set || set.size === 0) return;
    for (const l of [...set]) {
      runGuarded(this.#logger, String(event), () => l(...args));
    }
  }

  /** Remove every listener. */
  clear(): void {
    this.#listeners.clear();
  }
}
