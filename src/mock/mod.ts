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

export {
  type Clock,
  RealClock,
  unrefTimer,
  VirtualClock,
} from "./bus/clock.ts";
export type { VirtualClockOptions } from "./bus/clock.ts";
export {
  type LinkDelay,
  MockBus,
  type MockBusOptions,
  type MockNode,
  type MockNodeOptions,
} from "./bus/bus.ts";
export {
  type IpscHost,
  type IpscNotification,
  MockIpsc,
  type MockIpscOptions,
} from "./ipsc/ipsc.ts";
export {
  type FlowContext,
  FlowFailure,
  type FlowHandler,
} from "./ipsc/flow_run.ts";
export { MockBackend, type MockBackendOptions } from "./backend/backend.ts";
export { DEFAULT_LOG_LINES, LogCapture, logStamp } from "./log_capture.ts";
export {
  addressMatches,
  type ClientRecord,
  copyAddress,
  type FlowCallRecord,
  type FlowCallState,
  formatAddress,
  type MessageKind,
  type MessageRecord,
  type NotificationRecord,
  recordText,
} from "./bus/records.ts";
export type { Backend, BackendCallbacks, BackendKind } from "../abi/backend.ts";
export type {
  AttachRequest,
  AttachResult,
  BusAddress,
  BusAttach,
  BusPort,
  FlowInvocation,
  GlobalConnectEvent,
  HeadFields,
  NotifyMessage,
  PortSink,
} from "./bus/port.ts";
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
  DEFAULT_MOCK_NODE,
  type FlowSetup,
  type FlowTable,
  loadFlows,
  type MockServer,
  type MockServerNode,
  type MockServerOptions,
  startMockServer,
} from "./server.ts";
export {
  type DecodedFrame,
  type DecoderRole,
  DEFAULT_FRAME_LIMIT,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameKind,
  type FrameKindValue,
  WIRE_FLAG,
  WIRE_HEAD_SIZE,
  WIRE_VERSION,
  WireError,
  type WireErrorReason,
  type WireHead,
  zeroHead,
} from "./tcp/wire.ts";
export {
  BusFaults,
  type FlowFault,
  type LatencyRule,
  seededRandom,
  type TrafficFilter,
  type TrafficKind,
} from "./faults/faults.ts";
