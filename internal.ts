/**
 * The package's machinery, for its own benchmarks and tests: not part of
 * the public API, neither exported nor published by `deno.json`
 * (applications import `@smartbus/netclient` and
 * `@smartbus/netclient/mock`). Inside this repository the specifier
 * `@smartbus/netclient/internal` maps here (`deno.json` "imports"), so that
 * the examples of internal symbols type-check; it resolves nowhere else,
 * and nothing here is stable. Code under src/ imports the files themselves.
 *
 * @example
 * ```ts
 * import { DeadlineQueue, realTimers } from "@smartbus/netclient/internal";
 * const q = new DeadlineQueue<string>(realTimers, (what) => console.log(what, "is due"));
 * q.remove(q.add("tea", 1000));
 * ```
 * @module
 */
export * from "./src/abi/constants.ts";
export * from "./src/abi/packinfo.ts";
export * from "./src/core/timers.ts";
export * from "./src/api/client_args.ts";
export * from "./src/api/library_args.ts";
export * from "./src/api/client_events.ts";
export * from "./src/api/client_link.ts";
export * from "./src/api/connect_waiters.ts";
export * from "./src/api/deadlines.ts";
export * from "./src/api/emitter.ts";
export * from "./src/api/flow_calls.ts";
export * from "./src/api/log.ts";
export * from "./src/api/params.ts";
export * from "./src/api/pending.ts";
export * from "./src/api/rtt.ts";
export * from "./src/api/status.ts";
export * from "./src/api/text.ts";
export * from "./src/api/c_string.ts";
export * from "./src/api/links.ts";
export * from "./src/api/client_stats.ts";
export * from "./src/api/latency_histogram.ts";
export * from "./src/api/tracing.ts";
export * from "./src/api/validate.ts";
export { initializer } from "./src/api/facade.ts";
export type { NativeBackend } from "./src/ffi/native_backend.ts";
export {
  detectRuntime,
  resolveBackend,
  type RuntimeName,
} from "./src/ffi/select.ts";
