/**
 * The typed events of a `Client`, for `client.on(event, listener)`. Each
 * mirrors one of the seed's overridable `on*` methods (same arguments), plus
 * `receiveData` with the raw bytes.
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

/** Event name → listener arguments. */
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

/** The seed's overridable `on*` handlers, by name. */
export type HandlerName =
  | "onConnectSuccess"
  | "onConnectFail"
  | "onDisconnect"
  | "onReceiveText"
  | "onInvokeFlowAcknowledge"
  | "onInvokeFlowRespond"
  | "onInvokeFlowTimeout"
  | "onInvokeFlowError";

/**
 * Where a client's events go: first the seed's overridable `on*` method,
 * then the typed listeners; neither a throw nor a rejection of either
 * reaches the library's callback path (they go to the logger).
 *
 * @example
 * ```ts
 * import { Client } from "@smartbus/netclient";
 * class Agent extends Client {
 *   override onDisconnect(): void { console.log("link lost; the library reconnects"); }
 * }
 * ```
 */
export class ClientEventSource {
  #events: Emitter<ClientEvents>;
  #logger: Logger;

  /** Handler failures are reported to `logger`. */
  constructor(logger: Logger) {
    this.#logger = logger;
    this.#events = new Emitter(logger);
  }

  /** Add a typed listener; returns the function that removes it. */
  on<K extends keyof ClientEvents>(
    event: K,
    listener: (...args: ClientEvents[K]) => unknown,
  ): () => void {
    return this.#events.on(event, listener);
  }

  // The seed's overridable events. Override in a subclass or assign.
  /** Connected: `unitId` is the bus server reached. */
  onConnectSuccess(_unitId: number): void {}
  /** A connection attempt failed with `errno`; the library retries unless it is an auth error. */
  onConnectFail(_unitId: number, _errno: number): void {}
  /** An established connection broke; the library reconnects by itself. */
  onDisconnect(): void {}
  /** Text (or a ping answer, cmdType 8) arrived. */
  onReceiveText(_packInfo: PackInfo, _txt: string): void {}
  /** The IPSC acknowledged a flow call: ack 1 started, else not (`msg` says why). */
  onInvokeFlowAcknowledge(
    _packInfo: PackInfo | null,
    _project: string,
    _invokeId: number,
    _ack: number,
    _msg: string,
  ): void {}
  /** A flow returned: `result` is its parsed JSON array, or null when empty. */
  onInvokeFlowRespond(
    _packInfo: PackInfo | null,
    _project: string,
    _invokeId: number,
    _result: unknown[] | null,
  ): void {}
  /** No result before the timeout (the library's timer; `packInfo` is null). */
  onInvokeFlowTimeout(
    _packInfo: PackInfo | null,
    _project: string,
    _invokeId: number,
  ): void {}
  /** A flow call failed with `errno`. */
  onInvokeFlowError(
    _packInfo: PackInfo | null,
    _project: string,
    _invokeId: number,
    _errno: number,
  ): void {}

  /** Raise `event`: the `on*` method, then the listeners. @internal */
  _raise<K extends keyof ClientEvents>(
    method: HandlerName,
    event: K,
    args: ClientEvents[K],
  ): void {
    runGuarded(
      this.#logger,
      method,
      () => (this[method] as (...a: unknown[]) => unknown)(...args),
    );
    this.#events.emit(event, ...args);
  }

  /** Only the listeners of `event`. @internal */
  _emit<K extends keyof ClientEvents>(
    event: K,
    ...args: ClientEvents[K]
  ): void {
    this.#events.emit(event, ...args);
  }

  /** Drop every listener. @internal */
  _clearListeners(): void {
    this.#events.clear();
  }
}
