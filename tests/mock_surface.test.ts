/**
 * The public names of `@smartbus/netclient/mock`, pinned: the entry point
 * grows (or shrinks) only on purpose. Values are checked at run time
 * against the module's keys; every exported name, types included, against
 * the export lists written in `src/mock/mod.ts`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as mock from "../src/mock/mod.ts";

/** What the entry point exports as values. */
const VALUES = [
  "BusFaults",
  "ControlConfigError",
  "FlowFailure",
  "FlowStubs",
  "InvalidQueryError",
  "InvalidStubError",
  "Journal",
  "LogCapture",
  "MockBackend",
  "MockBus",
  "MockControl",
  "MockControlError",
  "MockIpsc",
  "RealClock",
  "StubLimitError",
  "VirtualClock",
  "WaitTimeoutError",
  "createMockBus",
  "serveTcp",
  "startMockServer",
];

/** What it exports as types only. */
const TYPES = [
  "BusAddress",
  "ClientRecord",
  "Clock",
  "ControlOptions",
  "ControlServer",
  "FaultRule",
  "FaultState",
  "FlowCallRecord",
  "FlowCallState",
  "FlowContext",
  "FlowFault",
  "FlowHandler",
  "FlowSetup",
  "FlowTable",
  "IpscMode",
  "IpscNotification",
  "JournalFlowCall",
  "JournalKind",
  "JournalMessage",
  "JournalQuery",
  "JournalRecords",
  "JournalSource",
  "LatencyRule",
  "LinkDelay",
  "MessageKind",
  "MessageRecord",
  "MockBackendOptions",
  "MockBusOptions",
  "MockControlState",
  "MockIpscOptions",
  "MockNode",
  "MockNodeOptions",
  "MockServer",
  "MockServerNode",
  "MockServerOptions",
  "NotificationRecord",
  "PresenceEvent",
  "ServedClientStats",
  "ServedTraffic",
  "ServedClientsReport",
  "StubHost",
  "StubInfo",
  "StubMatch",
  "StubReply",
  "StubSpec",
  "StubSummary",
  "TcpAddress",
  "TcpFront",
  "TcpFrontOptions",
  "TcpLogger",
  "TcpNode",
  "TrafficFilter",
  "TrafficKind",
  "VirtualClockOptions",
];

// Type-level pin: each type name must still resolve (a removed one fails
// `deno check`); an added one fails the source test below.
export type PinnedTypes = [
  mock.BusAddress,
  mock.ClientRecord,
  mock.Clock,
  mock.ControlOptions,
  mock.ControlServer,
  mock.FaultRule,
  mock.FaultState,
  mock.FlowCallRecord,
  mock.FlowCallState,
  mock.FlowContext,
  mock.FlowFault,
  mock.FlowHandler,
  mock.FlowSetup,
  mock.FlowTable,
  mock.IpscMode,
  mock.IpscNotification,
  mock.JournalFlowCall,
  mock.JournalKind,
  mock.JournalMessage,
  mock.JournalQuery,
  mock.JournalRecords,
  mock.JournalSource,
  mock.LatencyRule,
  mock.LinkDelay,
  mock.MessageKind,
  mock.MessageRecord,
  mock.MockBackendOptions,
  mock.MockBusOptions,
  mock.MockControlState,
  mock.MockIpscOptions,
  mock.MockNode,
  mock.MockNodeOptions,
  mock.MockServer,
  mock.MockServerNode,
  mock.MockServerOptions,
  mock.NotificationRecord,
  mock.PresenceEvent,
  mock.ServedClientStats,
  mock.ServedTraffic,
  mock.ServedClientsReport,
  mock.StubHost,
  mock.StubInfo,
  mock.StubMatch,
  mock.StubReply,
  mock.StubSpec,
  mock.StubSummary,
  mock.TcpAddress,
  mock.TcpFront,
  mock.TcpFrontOptions,
  mock.TcpLogger,
  mock.TcpNode,
  mock.TrafficFilter,
  mock.TrafficKind,
  mock.VirtualClockOptions,
];

/** Every name in the `export { ... }` lists of the entry point's source. */
function exportedNames(): string[] {
  const url = new URL("../src/mock/mod.ts", import.meta.url);
  const source = readFileSync(url, "utf8");
  const names: string[] = [];
  for (const m of source.matchAll(/export (?:type )?\{([^}]*)\}/g)) {
    for (const part of m[1].split(",")) {
      const name = part.trim().replace(/^type /, "");
      if (name !== "") names.push(name);
    }
  }
  return names.sort();
}

describe("mock surface", () => {
  test("mock surface - the entry point's values are the pinned list", () => {
    assert.deepEqual(Object.keys(mock).sort(), [...VALUES].sort());
  });

  test("mock surface - the entry point exports exactly the pinned values and types", () => {
    assert.deepEqual(exportedNames(), [...VALUES, ...TYPES].sort());
  });

  test("mock surface - the entry point re-exports nothing wholesale", () => {
    const url = new URL("../src/mock/mod.ts", import.meta.url);
    assert.doesNotMatch(readFileSync(url, "utf8"), /export \*/);
  });
});
