/**
 * `@smartbus/netclient/mock`: a SmartBus in memory, to test apps without a
 * SmartBus server or an IPSC. A {@link MockBus} holds nodes, routes data,
 * pings and flow calls, and sends global connect events; {@link MockIpsc}
 * flow servers run flows written as async functions; {@link MockBackend}
 * plays the C library for one unit, so the client API runs on the bus
 * unchanged; a {@link VirtualClock} makes timeouts take no real time.
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus, VirtualClock } from "@smartbus/netclient/mock";
 *
 * const clock = new VirtualClock();
 * const bus = new MockBus({ clock, strict: true });
 * bus.addNode({ unitId: 0, port: 8000 });
 * bus.addIpsc({ unitId: 0, processIndex: 0 })
 *   .flow("demo", "add", ([a, b]) => [(a as number) + (b as number)]);
 *
 * const backend = new MockBackend(bus); // hand it to the client API
 * console.log(backend.kind); // "mock"
 * bus.assertNoUnhandled();
 * ```
 * @module
 */

// The names a test of an application uses, and only those: the bus, its
// IPSCs and faults, the mock backend, clocks, records, the TCP server. The
// machinery (ports, the wire codec, address helpers) is in `internal.ts`,
// which the package does not export. `tests/mock_surface.test.ts` pins this
// list: add a name here on purpose, and there too.

export { type Clock, RealClock, VirtualClock } from "./bus/clock.ts";
export type { VirtualClockOptions } from "./bus/clock.ts";
export { MockBus } from "./mock_bus.ts";
export type {
  LinkDelay,
  MockBusOptions,
  MockNode,
  MockNodeOptions,
} from "./bus/options.ts";
export {
  type IpscNotification,
  MockIpsc,
  type MockIpscOptions,
} from "./ipsc/ipsc.ts";
export {
  type FlowContext,
  FlowFailure,
  type FlowHandler,
} from "./ipsc/flow_run.ts";
export {
  MockBackend,
  type MockBackendOptions,
} from "./backend/mock_backend.ts";
export type { BusAddress } from "./bus/contract.ts";
export { LogCapture } from "./bus/log_capture.ts";
export type {
  ClientRecord,
  FlowCallRecord,
  FlowCallState,
  MessageKind,
  MessageRecord,
  NotificationRecord,
} from "./bus/records.ts";
export { BusFaults } from "./faults/faults.ts";
export type {
  FlowFault,
  LatencyRule,
  TrafficFilter,
  TrafficKind,
} from "./bus/fault_policy.ts";
export {
  serveTcp,
  type TcpAddress,
  type TcpFront,
  type TcpFrontOptions,
  type TcpLogger,
  type TcpNode,
} from "./tcp/front.ts";
export {
  createMockBus,
  type FlowSetup,
  type FlowTable,
  type MockServer,
  type MockServerNode,
  type MockServerOptions,
  startMockServer,
} from "./server.ts";
export {
  InvalidStubError,
  type StubInfo,
  type StubMatch,
  type StubReply,
  type StubSpec,
} from "./control/stub_spec.ts";
export { FlowStubs, type StubHost, type StubSummary } from "./control/stubs.ts";
export { StubLimitError } from "./control/stub_limits.ts";
export {
  Journal,
  type JournalRecords,
  type JournalSource,
} from "./control/journal.ts";
export {
  InvalidQueryError,
  type JournalFlowCall,
  type JournalKind,
  type JournalMessage,
  type JournalQuery,
  type PresenceEvent,
  WaitTimeoutError,
} from "./control/journal_types.ts";
export type { FaultRule, FaultState, IpscMode } from "./control/fault_book.ts";
export {
  ControlConfigError,
  type ControlOptions,
  type ControlServer,
} from "./control/control_server.ts";
export {
  MockControl,
  MockControlError,
  type MockControlState,
} from "./control/control_client.ts";
export type {
  ServedClientsReport,
  ServedClientStats,
  ServedTraffic,
} from "./control/served_clients.ts";
