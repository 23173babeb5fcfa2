/**
 * Drive the SmartBus network client library (`libbusnetcli`) from Deno, Bun
 * and Node: start IVR flows on an IPSC and await their results, send data
 * and pings, follow who is connected. This is `@smartbus/netclient`'s main
 * entry; its mock bus, `@smartbus/netclient/mock`, lets you test without a
 * server.
 *
 * Create a unit with {@link initialize} (one per process, like the original
 * Python package) or {@link SmartBus} (several, or a mock backend), then a
 * {@link Client} per local client id. Every awaitable call takes
 * `{ timeout, signal }`; failures are typed errors ({@link SmartBusError} and
 * its subclasses) with `code` and `codeName`.
 *
 * @example One process-wide unit, as in the original Python package
 * ```ts
 * import { Client, initialize } from "@smartbus/netclient";
 * initialize(17); // loads libbusnetcli (SMARTBUS_NETCLI_LIB or the search path)
 * const client = new Client(1, 0, "10.0.0.1", 8000);
 * await client.connect();
 * const result = await client.invoke({ server: 0, process: 0, project: "p", flow: "f", params: [1] });
 * console.log(result);
 * ```
 *
 * @example On the in-memory mock bus
 * ```ts
 * import { Client, SmartBus } from "@smartbus/netclient";
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const mock = new MockBus();
 * mock.addNode({ unitId: 0, port: 8000 });
 * mock.addIpsc({ unitId: 0, processIndex: 0 }).flow("ivr", "hello", ([who]) => [`hi ${who}`]);
 * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(mock) });
 * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 8000 });
 * await client.connect();
 * console.log(await client.invoke({ server: 0, process: 0, project: "ivr", flow: "hello", params: ["ann"] }));
 * ```
 * @module
 */
export {
  ClientType,
  CmdType,
  ErrorCode,
  type ErrorCodeName,
  errorCodeName,
  FLOW_ACK_OK,
  GlobalConnectStatus,
  MAX_DATA_BYTES,
  MAX_FLOW_PARAMS_BYTES,
  MAX_NOTIFY_PARAM_BYTES,
  MAX_SMARTBUS_NETCLI_UNITID,
  MAX_STRING_BYTES,
  MIN_LOCAL_CLIENT_TYPE,
  MIN_SMARTBUS_NETCLI_UNITID,
  NO_SLAVE_PORT,
  STRING_FIELD_BYTES,
} from "./src/abi/constants.ts";
export {
  AbortedError,
  AlreadyExistsError,
  AlreadyInitializedError,
  ConnectError,
  type FlowCallInfo,
  FlowError,
  FlowNotStartedError,
  FlowTimeoutError,
  InvalidArgumentError,
  LibraryError,
  LibraryLoadError,
  NotInitializedError,
  SmartBusError,
  type SmartBusErrorOptions,
  TimeoutError,
  UnsafeLibraryError,
} from "./src/abi/errors.ts";
export {
  type PacketHeadFields,
  PackInfo,
  type PackInfoFields,
} from "./src/abi/packinfo.ts";
export type { Timers } from "./src/core/timers.ts";
export type {
  Backend,
  BackendCallbacks,
  BackendChoice,
  BackendKind,
  BackendResolver,
} from "./src/abi/backend.ts";
export {
  defaultLogger,
  type Logger,
  type LoggingOption,
  silentLogger,
} from "./src/api/log.ts";
export type { TextEncodingName } from "./src/api/text.ts";
export type { ConnectionStatus } from "./src/api/status.ts";
export type { LinkInfo } from "./src/api/links.ts";
export type { ClientEvents } from "./src/api/client_events.ts";
export type {
  ClientStats,
  CodeCounts,
  SmartBusStats,
  TrafficCount,
  TrafficStats,
} from "./src/api/client_stats.ts";
export {
  type LatencySummary,
  type LatencyWindows,
  RECENT_WINDOW_MS,
} from "./src/api/latency_histogram.ts";
export {
  CONNECTION_CHANNELS,
  type ConnectionEventMessage,
  type ConnectTraceContext,
  type FlowOutcome,
  type InvokeTraceContext,
  type NotifyTraceContext,
  type PingTraceContext,
  type SendTraceContext,
  type TraceContextBase,
  TRACING_CHANNELS,
} from "./src/api/tracing.ts";
export {
  type Address,
  type CallOptions,
  type ClientOptions,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_FLOW_TIMEOUT_MS,
  type FlowCall,
} from "./src/api/client_args.ts";
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
  isInitialized,
} from "./src/api/facade.ts";
// Backends are wired in here, at the edge: the API never imports them.
export {
  Client,
  ClientCore,
  initialize,
  SmartBus,
  SmartBusCore,
} from "./src/entry/native_wiring.ts";
