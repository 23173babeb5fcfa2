/**
 * The public surface of `@smartbus/netclient` (mod.ts), pinned: a name added
 * to or dropped from the entry point fails here until this list changes too,
 * so the surface only grows on purpose. Machinery stays in internal.ts.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as api from "../mod.ts";

/** What `import * as api from "@smartbus/netclient"` holds at run time. */
const RUNTIME_NAMES = [
  "AbortedError",
  "AlreadyExistsError",
  "AlreadyInitializedError",
  "CONNECTION_CHANNELS",
  "Client",
  "ClientCore",
  "ClientType",
  "CmdType",
  "ConnectError",
  "DEFAULT_CALL_TIMEOUT_MS",
  "DEFAULT_FLOW_TIMEOUT_MS",
  "ErrorCode",
  "FLOW_ACK_OK",
  "FlowError",
  "FlowNotStartedError",
  "FlowTimeoutError",
  "GlobalConnectStatus",
  "InvalidArgumentError",
  "LibraryError",
  "LibraryLoadError",
  "MAX_DATA_BYTES",
  "MAX_FLOW_PARAMS_BYTES",
  "MAX_NOTIFY_PARAM_BYTES",
  "MAX_SMARTBUS_NETCLI_UNITID",
  "MAX_STRING_BYTES",
  "MIN_LOCAL_CLIENT_TYPE",
  "MIN_SMARTBUS_NETCLI_UNITID",
  "NO_SLAVE_PORT",
  "NotInitializedError",
  "PackInfo",
  "RECENT_WINDOW_MS",
  "STRING_FIELD_BYTES",
  "SmartBus",
  "SmartBusCore",
  "SmartBusError",
  "TRACING_CHANNELS",
  "TimeoutError",
  "UnsafeLibraryError",
  "defaultBus",
  "defaultLogger",
  "errorCodeName",
  "finalize",
  "getUnitId",
  "initialize",
  "isInitialized",
  "silentLogger",
];

/** The type-only exports (options, events, results, the Backend contract). */
const TYPE_NAMES = [
  "Address",
  "Backend",
  "BackendCallbacks",
  "BackendChoice",
  "BackendKind",
  "BackendResolver",
  "CallOptions",
  "ClientEvents",
  "ClientOptions",
  "ClientStats",
  "CodeCounts",
  "ConnectTraceContext",
  "ConnectionEventMessage",
  "ConnectionStatus",
  "ErrorCodeName",
  "FlowCall",
  "FlowCallInfo",
  "FlowOutcome",
  "GlobalConnectHandler",
  "GlobalConnectInfo",
  "Initialize",
  "InvokeTraceContext",
  "LatencySummary",
  "LatencyWindows",
  "LinkInfo",
  "Logger",
  "LoggingOption",
  "NotifyTraceContext",
  "PackInfoFields",
  "PacketHeadFields",
  "PingTraceContext",
  "SendTraceContext",
  "SmartBusErrorOptions",
  "SmartBusEvents",
  "SmartBusOptions",
  "SmartBusStats",
  "TextEncodingName",
  "Timers",
  "TraceContextBase",
  "TrafficCount",
  "TrafficStats",
];

const byCodePoint = (a: string, b: string): number =>
  a < b ? -1 : a > b ? 1 : 0;

interface DocNode {
  module_doc?: { doc?: string };
  symbols: { name: string }[];
}

/** `deno doc --json mod.ts`: what the JSR page of the package shows. */
function denoDoc(): DocNode {
  const root = fileURLToPath(new URL("..", import.meta.url));
  const deno = "Deno" in globalThis
    ? (globalThis as unknown as { Deno: { execPath(): string } }).Deno
      .execPath()
    : fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url));
  const r = spawnSync(deno, ["doc", "--json", "mod.ts"], {
    cwd: root,
    encoding: "utf8",
    timeout: 60_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
  });
  assert.equal(r.status, 0, `deno doc failed: ${r.error ?? r.stderr}`);
  const json = JSON.parse(r.stdout) as { nodes: Record<string, DocNode> };
  const mod = Object.entries(json.nodes).find(([url]) =>
    url.endsWith("/mod.ts")
  );
  assert.ok(mod, "deno doc describes mod.ts");
  return mod[1];
}

describe("api surface", () => {
  test("api surface - mod.ts exports exactly the public runtime names", () => {
    assert.deepEqual(Object.keys(api).sort(byCodePoint), RUNTIME_NAMES);
  });

  test("api surface - deno doc lists the public names and opens with the package description", () => {
    const doc = denoDoc();
    const names = doc.symbols.map((s) => s.name).sort(byCodePoint);
    assert.deepEqual(
      names,
      [...RUNTIME_NAMES, ...TYPE_NAMES].sort(byCodePoint),
    );
    assert.match(
      doc.module_doc?.doc ?? "",
      /^Drive the SmartBus network client library/,
      "the module doc is prose, not a JSDoc tag",
    );
  });

  test("api surface - no machinery leaks into the public entry", () => {
    for (
      const name of [
        "Pending",
        "DeadlineQueue",
        "FlowCalls",
        "ConnectWaiters",
        "RttTracker",
        "StatusFeed",
        "Emitter",
        "runGuarded",
        "buildGbkEncodeTable",
        "transientCString",
        "resolveBackend",
        "detectRuntime",
        "initializer",
      ]
    ) {
      assert.ok(!(name in api), `${name} is internal`);
    }
  });
});
