/**
 * The mock's machinery, for the project's own tests, CLI and benchmarks:
 * the contract between the bus and a connection (ports, sinks, attach), the
 * wire codec of the TCP front, address and record helpers, the seeded PRNG,
 * the slab copier. Not exported by the package (`deno.json` maps only
 * `mod.ts` and `src/mock/mod.ts`): applications use
 * `@smartbus/netclient/mock`.
 *
 * @module
 */

export * from "./mod.ts";
export type {
  AttachRequest,
  AttachResult,
  BusAttach,
  BusPort,
  FlowInvocation,
  GlobalConnectEvent,
  HeadFields,
  NotifyMessage,
  PortSink,
} from "./bus/contract.ts";
export {
  addressKey,
  addressMatches,
  copyAddress,
  formatAddress,
} from "./bus/address.ts";
export { recordText } from "./bus/records.ts";
export {
  DEFAULT_RECORDS_BUDGET,
  DEFAULT_RECORDS_CAP,
  RecordBudget,
  RecordLog,
  recordsBudget,
  recordsCap,
} from "./bus/record_log.ts";
export { copyBytes, sameBytes, Slab } from "./bus/slab.ts";
export {
  DeliveryScheduler,
  type ScheduledTask,
} from "./bus/delivery_scheduler.ts";
export { unrefTimer } from "./bus/clock.ts";
export { seededRandom } from "./faults/random.ts";
export { parseFlowParams } from "./ipsc/flow_run.ts";
export { DEFAULT_MOCK_NODE, loadFlows } from "./server.ts";
export {
  type DecodedFrame,
  type DecoderRole,
  DEFAULT_FRAME_LIMIT,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameKind,
  type FrameKindValue,
  kindOf,
  MAX_TAIL,
  WIRE_FLAG,
  WIRE_HEAD_SIZE,
  WireError,
  type WireErrorReason,
  type WireHead,
  zeroHead,
} from "./tcp/wire.ts";
export { StructReader, StructWriter } from "./tcp/wire_fields.ts";
export {
  DEFAULT_LOG_LINES,
  escapeControl,
  logStamp,
} from "./bus/log_capture.ts";
