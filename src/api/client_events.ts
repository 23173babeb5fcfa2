/**
 * The typed events of a `Client`, for `client.on(event, listener)`. Each
 * mirrors one of the original Python package's overridable `on*` methods (same arguments), plus
 * `receiveData` with the raw bytes. The hub that raises them (handler
 * first, then listeners, failures to the logger) is internal.
 *
 * @example
 * ```ts
 * import type { ClientEvents } from "@smartbus/netclient";
 * type TextArgs = ClientEvents["receiveText"]; // [packInfo, txt]
 * ```
 * @module
 */
import { Emitter } from "./emitter.ts";
import { type Logger, runGuarded } from "./log.ts";
import type { PackInfo } from "../abi/packinfo.ts";

/**
 * Event name → listener arguments.
 *
 * @example
 * ```ts
 * import type { Client, ClientEvents } from "@smartbus/netclient";
 * const onText = (...[info, text]: ClientEvents["receiveText"]) => console.log(info.srcUnitId, text);
 * const follow = (client: Client): () => void => client.on("receiveText", onText);
 * ```
 */
export type ClientEvents = {
  /** `onConnectSuccess(unitId)`. */
  connectSuccess: [unitId: number];
  /** `onConnectFail(unitId, errno)`. */
  connectFail: [unitId: number, errno: number];
  /** `onDisconnect()`. */
  disconnect: [];
  /** `onReceiveText(packInfo, txt)`. */
  receiveText: [packInfo: PackInfo, txt: string];
  /** The same data as raw bytes, before decoding (NULs included). */
  receiveData: [packInfo: PackInfo, data: Uint8Array];
  /** `onInvokeFlowAcknowledge(packInfo, project, invokeId, ack, msg)`. */
  invokeFlowAcknowledge: [
    packInfo: PackInfo | null,
    project: string,
    invokeId: number,
    ack: number,
    msg: string,
  ];
  /** `onInvokeFlowRespond(packInfo, project, invokeId, result)`. */
  invokeFlowRespond: [
    packInfo: PackInfo | null,
    project: string,
    invokeId: number,
    result: unknown[] | null,
  ];
  /** `onInvokeFlowTimeout(packInfo, project, invokeId)`. */
  invokeFlowTimeout: [
    packInfo: PackInfo | null,
    project: string,
    invokeId: number,
  ];
  /** `onInvokeFlowError(packInfo, project, invokeId, errno)`. */
  invokeFlowError: [
    packInfo: PackInfo | null,
    project: string,
    invokeId: number,
    errno: number,
  ];
};

/** Every event name a client accepts in `on()` (exhaustive: checked against the type). */
const CLIENT_EVENT_NAMES = Object.keys(
  {
    connectSuccess: true,
    connectFail: true,
    disconnect: true,
    receiveText: true,
    receiveData: true,
    invokeFlowAcknowledge: true,
    invokeFlowRespond: true,
    invokeFlowTimeout: true,
    invokeFlowError: true,
  } satisfies Record<keyof ClientEvents, true>,
) as (keyof ClientEvents)[];

/** The original Python package's overridable `on*` handlers, by name. */
export type HandlerName = keyof ClientHandlers;

/**
 * The original Python package's overridable `on*` methods, which `Client` implements as no-ops:
 * override them in a subclass or assign them on an instance.
 *
 * @example
 * ```ts
 * import type { ClientHandlers } from "@smartbus/netclient/internal";
 * const quiet: Pick<ClientHandlers, "onDisconnect"> = { onDisconnect() {} };
 * ```
 */
export type ClientHandlers = {
  [K in keyof ClientEvents as HandlerOf<K>]: (...args: ClientEvents[K]) => void;
};

// "invokeFlowRespond" → "onInvokeFlowRespond"; receiveData has no handler.
type HandlerOf<K> = K extends "receiveData" ? never
  : K extends string ? `on${Capitalize<K>}`
  : never;

/**
 * Where a client's events go: first the original Python package's overridable `on*` method of
 * `handlers` (the client), then the typed listeners; neither a throw nor a
 * rejection of either reaches the library's callback path (they go to the
 * logger).
 *
 * @example
 * ```ts
 * import { ClientEventHub } from "@smartbus/netclient/internal";
 * const hub = new ClientEventHub(console, {
 *   onConnectSuccess() {}, onConnectFail() {}, onDisconnect() {}, onReceiveText() {},
 *   onInvokeFlowAcknowledge() {}, onInvokeFlowRespond() {}, onInvokeFlowTimeout() {},
 *   onInvokeFlowError() {},
 * });
 * hub.on("disconnect", () => console.log("link lost"));
 * hub.raise("onDisconnect", "disconnect", []);
 * ```
 */
export class ClientEventHub {
  #events: Emitter<ClientEvents>;
  #logger: Logger;
  #handlers: ClientHandlers;

  /** Handler failures are reported to `logger`. */
  constructor(logger: Logger, handlers: ClientHandlers) {
    this.#logger = logger;
    this.#handlers = handlers;
    this.#events = new Emitter(logger, CLIENT_EVENT_NAMES);
  }

  /** Add a typed listener; returns the function that removes it. */
  on<K extends keyof ClientEvents>(
    event: K,
    listener: (...args: ClientEvents[K]) => unknown,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /** Raise `event`: the `on*` method, then the listeners. */
  raise<K extends keyof ClientEvents>(
    method: HandlerName,
    event: K,
    args: ClientEvents[K],
  ): void {
    const handlers = this.#handlers;
    runGuarded(
      this.#logger,
      method,
      () => (handlers[method] as (...a: unknown[]) => unknown)(...args),
    );
    this.#events.emit(event, ...args);
  }

  /** Only the listeners of `event`. */
  emit<K extends keyof ClientEvents>(
    event: K,
    ...args: ClientEvents[K]
  ): void {
    this.#events.emit(event, ...args);
  }

  /** Drop every listener. */
  clear(): void {
    this.#events.clear();
  }
}
