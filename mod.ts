/**
 * @smartbus/netclient — drive the SmartBus network client library
 * (`libbusnetcli`) from Deno, Bun and Node: start IVR flows on an IPSC and
 * get their results, send data and pings, follow who is connected. The mock
 * bus (`@smartbus/netclient/mock`) lets you test without a server.
 *
 * @example
 * ```ts
 * import { Client, initialize } from "@smartbus/netclient";
 * initialize(17); // loads libbusnetcli (SMARTBUS_NETCLI_LIB or the search path)
 * const client = new Client(1, 0, "10.0.0.1", 8000);
 * await client.connect();
 * const result = await client.invoke({ server: 0, process: 0, project: "p", flow: "f", params: [1] });
 * console.log(result);
 * ```
 * @module
 */
export * from "./src/abi/constants.ts";
export * from "./src/abi/errors.ts";
export * from "./src/api/log.ts";
export * from "./src/api/emitter.ts";
export * from "./src/abi/timers.ts";
export * from "./src/api/pending.ts";
export * from "./src/api/status.ts";
export * from "./src/api/flows.ts";
export * from "./src/api/connect_waiters.ts";
export * from "./src/api/rtt.ts";
export * from "./src/api/deadlines.ts";
export * from "./src/api/text.ts";
export * from "./src/abi/packinfo.ts";
export * from "./src/api/params.ts";
export {
  type ClientEvents,
  ClientEventSource,
  type HandlerName,
} from "./src/api/client_events.ts";
export {
  type Address,
  type CallOptions,
  type ClientOptions,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_FLOW_TIMEOUT_MS,
  type FlowCall,
} from "./src/api/client.ts";
export {
  type GlobalConnectHandler,
  type GlobalConnectInfo,
  type SmartBusEvents,
  type SmartBusOptions,
} from "./src/api/smartbus.ts";
export {
  defaultBus,
  finalize,
  getUnitId,
  type Initialize,
  initializer,
  isInitialized,
} from "./src/api/facade.ts";
export type {
  Backend,
  BackendCallbacks,
  BackendChoice,
  BackendKind,
  BackendResolver,
} from "./src/abi/backend.ts";
// Backends are wired in here, at the edge: the API never imports them.
export {
  Client,
  ClientCore,
  initialize,
  SmartBus,
  SmartBusCore,
} from "./src/entry/native.ts";
export {
  detectRuntime,
  resolveBackend,
  type RuntimeName,
} from "./src/ffi/select.ts";
export type { NativeBackend } from "./src/ffi/native.ts";
