/**
 * The shapes around {@link SmartBus}: its options, its events, the global
 * connect events it decodes, and what a client registers to get its
 * callbacks.
 *
 * @module
 */
import type { BackendChoice } from "../abi/backend.ts";
import type { Logger, LoggingOption } from "./log.ts";
import type { Timers } from "../core/timers.ts";
import type { ClientCounters } from "./client_stats.ts";
/**
 * A global connect event, decoded (`bus.on("globalConnect", …)`, `bus.presence()`).
 *
 * @example
 * ```ts
 * import { type GlobalConnectInfo, GlobalConnectStatus, SmartBus } from "@smartbus/netclient";
 * const show = (i: GlobalConnectInfo): string =>
 *   `${i.unitId}:${i.clientId} ${i.status === GlobalConnectStatus.DISCONNECTED ? "left" : "here"}`;
 * const follow = (bus: SmartBus): () => void => bus.on("globalConnect", (info) => console.log(show(info)));
 * ```
 */
export interface GlobalConnectInfo {
  /** Unit id of the client or node that joined or left. */
  unitId: number;
  /** Its client id; -1 for a bus node itself. */
  clientId: number;
  /** Its client type (`ClientType`). */
  clientType: number;
  /** The node it is attached to. */
  accessUnitId: number;
  /** 0 left, 1 joined, 2 was already there when we joined. */
  status: number;
  /** Its `add_info`, decoded from GBK. */
  addInfo: string;
}

/**
 * The original package's `onglobalconnect(unitId, clientId, clientType,
 * accessUnitId, status, addInfo)`.
 *
 * @example
 * ```ts
 * import { type GlobalConnectHandler, initialize } from "@smartbus/netclient";
 * const onGlobalConnect: GlobalConnectHandler = (unitId, clientId, _type, _node, status) =>
 *   console.log(unitId, clientId, status);
 * initialize(17, onGlobalConnect);
 * ```
 */
export type GlobalConnectHandler = (
  unitId: number,
  clientId: number,
  clientType: number,
  accessUnitId: number,
  status: number,
  addInfo: string,
) => unknown;

/**
 * Events of a {@link SmartBus}, for `bus.on(event, listener)`.
 *
 * @example
 * ```ts
 * import { SmartBus, type SmartBusEvents } from "@smartbus/netclient";
 * const trace = (...[line, error]: SmartBusEvents["trace"]) => (error ? console.error : console.log)(line);
 * const watch = (bus: SmartBus): () => void => bus.on("trace", trace);
 * ```
 */
export type SmartBusEvents = {
  globalConnect: [info: GlobalConnectInfo];
  /** A trace line of the library (`error` true for the error channel). */
  trace: [line: string, error: boolean];
};

/**
 * Options of {@link SmartBus}.
 *
 * @example
 * ```ts
 * import { SmartBus, type SmartBusOptions } from "@smartbus/netclient";
 * const options: SmartBusOptions = {
 *   unitId: 17,
 *   libraryPath: "/opt/smartbus/libbusnetcli.so",
 *   logger: console, // the library's trace lines too
 *   logging: [true, 20, 40],
 * };
 * const bus = new SmartBus(options);
 * ```
 */
export interface SmartBusOptions {
  /** This process's unit id on the bus: 16–47, globally unique. */
  unitId: number;
  /**
   * A backend instance (a `MockBackend`, or one you built), or the name of a
   * native one; default: chosen by runtime (Deno, Bun, Node).
   */
  backend?: BackendChoice;
  /** Path of `libbusnetcli.so` for native backends (else `SMARTBUS_NETCLI_LIB`, else the search order). */
  libraryPath?: string;
  /** Where trace lines and handler failures go (default: {@link defaultLogger}: warnings and errors to `console`). */
  logger?: Logger;
  /** The original Python package's `(enabled, level, error_level)` for the library's trace lines; default `[true, 10, 40]`. */
  logging?: LoggingOption;
  /** The original Python package's `onglobalconnect` callback. */
  onGlobalConnect?: GlobalConnectHandler;
  /**
   * Timers for the API's own deadlines. Default: a backend's `clock` when it
   * has one (the mock's virtual clock), else real timers.
   */
  timers?: Timers;
}

/** What a client registers to receive its callbacks. @internal */
export interface ClientSink {
  readonly localClientId: number;
  /** Its figures, which the unit adds up (and keeps once it closes). */
  readonly counters: ClientCounters;
  /** Flows in flight now. */
  readonly flowsInFlight: number;
  /** `rtt()` pings awaiting their answer now. */
  readonly pingsInFlight: number;
  _connection(accessUnitId: number, ack: number): void;
  _disconnect(): void;
  _recvData(head: Uint8Array, data: Uint8Array): void;
  _flowAck(
    head: Uint8Array | null,
    project: Uint8Array,
    invokeId: number,
    ack: number,
    msg: Uint8Array,
  ): void;
  _flowRet(
    head: Uint8Array | null,
    project: Uint8Array,
    invokeId: number,
    ret: number,
    param: Uint8Array,
  ): void;
  _close(reason: string): void;
}
