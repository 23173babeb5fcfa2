/**
 * Tracing channels (`node:diagnostics_channel`) of the client's calls: one
 * `TracingChannel` per operation ({@link TRACING_CHANNELS}) and plain
 * channels for connection events ({@link CONNECTION_CHANNELS}). A call
 * builds its context only when the channel has a subscriber: while nobody
 * listens it spends only the check of its five events. Where the runtime has no `tracingChannel`,
 * the same five channels (`tracing:<name>:start`, …) are published by hand,
 * without `runStores`. Contexts field by field: `docs/stats.md`.
 *
 * @example
 * ```ts
 * import diagnostics_channel from "node:diagnostics_channel";
 * import { type InvokeTraceContext, TRACING_CHANNELS } from "@smartbus/netclient";
 * diagnostics_channel.tracingChannel<InvokeTraceContext>(TRACING_CHANNELS.invoke).subscribe({
 *   start() {},
 *   end() {},
 *   asyncStart() {},
 *   asyncEnd: (ctx) => console.log(ctx.project, ctx.flow, ctx.outcome),
 *   error: (ctx) => console.log("failed:", ctx.error),
 * });
 * ```
 * @module
 */
import diagnostics_channel from "node:diagnostics_channel";
import {
  AbortedError,
  FlowNotStartedError,
  FlowTimeoutError,
} from "../abi/errors.ts";
import type { Address } from "./client_args.ts";

/**
 * The names of the tracing channels, one per operation: subscribe with
 * `diagnostics_channel.tracingChannel(name)`. `invoke`, `ping` (for
 * `rtt()`) and `connect` are asynchronous (start, end, then asyncStart and
 * asyncEnd when the call settles; error before them when it rejects);
 * `send`, `ping` (for `ping()`), `notify` and the original Python package's `invokeFlow()` are
 * synchronous (start, end; error before end when it throws).
 *
 * @example
 * ```ts
 * import diagnostics_channel from "node:diagnostics_channel";
 * import { TRACING_CHANNELS } from "@smartbus/netclient";
 * const sends = diagnostics_channel.tracingChannel(TRACING_CHANNELS.send);
 * sends.subscribe({ start() {}, end: (ctx) => console.log(ctx), asyncStart() {}, asyncEnd() {}, error() {} });
 * ```
 */
export const TRACING_CHANNELS = {
  /** `invoke()` and `invokeFlow()`: {@link InvokeTraceContext}. */
  invoke: "smartbus:invoke",
  /** `send()`: {@link SendTraceContext}. */
  send: "smartbus:send",
  /** `ping()` and `rtt()`: {@link PingTraceContext}. */
  ping: "smartbus:ping",
  /** `sendNotify()`: {@link NotifyTraceContext}. */
  notify: "smartbus:notify",
  /** `connect()`: {@link ConnectTraceContext}. */
  connect: "smartbus:connect",
} as const;

/**
 * The names of the plain channels of connection events, each published
 * with a {@link ConnectionEventMessage} when the library reports it.
 *
 * @example
 * ```ts
 * import diagnostics_channel from "node:diagnostics_channel";
 * import { CONNECTION_CHANNELS, type ConnectionEventMessage } from "@smartbus/netclient";
 * diagnostics_channel.subscribe(CONNECTION_CHANNELS.disconnected, (m) => {
 *   const { unitId, localClientId } = m as ConnectionEventMessage;
 *   console.log(`client ${unitId}/${localClientId} lost its link`);
 * });
 * ```
 */
export const CONNECTION_CHANNELS = {
  /** Connected (also after a reconnect or a failover). */
  connected: "smartbus:connected",
  /** An established connection broke. */
  disconnected: "smartbus:disconnected",
  /** A connection attempt failed (`code`). */
  connectFailed: "smartbus:connectFailed",
} as const;

/**
 * What every context carries: which client made the call, and the error
 * when it failed (set before the `error` event).
 *
 * @example
 * ```ts
 * import type { TraceContextBase } from "@smartbus/netclient";
 * const who = (c: TraceContextBase) => `${c.unitId}/${c.localClientId}`;
 * ```
 */
export interface TraceContextBase {
  /** The caller's unit id. */
  unitId: number;
  /** The caller's local client id. */
  localClientId: number;
  /** What the call threw or rejected with. */
  error?: unknown;
}

/**
 * Context of `send()` on {@link TRACING_CHANNELS}.send.
 *
 * @example
 * ```ts
 * import type { SendTraceContext } from "@smartbus/netclient";
 * const line = (c: SendTraceContext) => `${c.cmd}/${c.cmdType} → ${c.dst.unitId}/${c.dst.clientId}: ${c.bytes} B`;
 * ```
 */
export interface SendTraceContext extends TraceContextBase {
  /** The destination. */
  dst: Address;
  /** Command. */
  cmd: number;
  /** Command type. */
  cmdType: number;
  /** Payload bytes (a text's trailing NUL included). */
  bytes: number;
}

/**
 * Context of `ping()` and `rtt()` on {@link TRACING_CHANNELS}.ping.
 *
 * @example
 * ```ts
 * import type { PingTraceContext } from "@smartbus/netclient";
 * const rtt = (c: PingTraceContext) => c.awaited && typeof c.result === "number" ? `${c.result} ms` : "-";
 * ```
 */
export interface PingTraceContext extends TraceContextBase {
  /** The destination. */
  dst: Address;
  /** Payload bytes. */
  bytes: number;
  /** True for `rtt()` (asynchronous), false for `ping()`. */
  awaited: boolean;
  /** `rtt()`: the round trip, ms (set before asyncStart). */
  result?: number;
}

/**
 * How a traced `invoke()` ended (`InvokeTraceContext.outcome`): the
 * outcome of `client.stats().flows` it counts in, or `"error"` when the
 * call never started (bad arguments, the library refused it).
 *
 * @example
 * ```ts
 * import type { FlowOutcome } from "@smartbus/netclient";
 * const bad = (o: FlowOutcome) => o !== "answered";
 * ```
 */
export type FlowOutcome =
  | "answered"
  | "failed"
  | "notStarted"
  | "timedOut"
  | "aborted"
  | "error";

/**
 * Context of `invoke()` and `invokeFlow()` on {@link TRACING_CHANNELS}.invoke.
 *
 * @example
 * ```ts
 * import type { InvokeTraceContext } from "@smartbus/netclient";
 * const name = (c: InvokeTraceContext) => `${c.server}/${c.process} ${c.project}.${c.flow} #${c.invokeId ?? "?"}`;
 * ```
 */
export interface InvokeTraceContext extends TraceContextBase {
  /** The IPSC's unit id. */
  server: unknown;
  /** The IPSC's process index. */
  process: unknown;
  /** Project id. */
  project: unknown;
  /** Flow name. */
  flow: unknown;
  /** Whether the caller waits for a result. */
  wantResult: boolean;
  /** Timeout, ms. */
  timeoutMs: number;
  /** True for `invoke()` (asynchronous), false for the original Python package's `invokeFlow()`. */
  awaited: boolean;
  /** The invoke id, once the library returned it (before end). */
  invokeId?: number;
  /** `invoke()`: how it ended (before asyncStart, or before error). */
  outcome?: FlowOutcome;
  /** `invoke()`: the result list; `invokeFlow()`: the invoke id. */
  result?: unknown[] | number;
}

/**
 * Context of `sendNotify()` on {@link TRACING_CHANNELS}.notify.
 *
 * @example
 * ```ts
 * import type { NotifyTraceContext } from "@smartbus/netclient";
 * const line = (c: NotifyTraceContext) => `${c.title} → ${c.server}/${c.process}`;
 * ```
 */
export interface NotifyTraceContext extends TraceContextBase {
  /** The IPSC's unit id. */
  server: unknown;
  /** Its process index. */
  process: unknown;
  /** Project id, or null. */
  project: unknown;
  /** Title. */
  title: unknown;
  /** Mode. */
  mode: unknown;
  /** Expiry, s as passed. */
  expires: unknown;
  /** The invoke id the library returned (before end). */
  result?: number;
}

/**
 * Context of `connect()` on {@link TRACING_CHANNELS}.connect.
 *
 * @example
 * ```ts
 * import type { ConnectTraceContext } from "@smartbus/netclient";
 * const line = (c: ConnectTraceContext) => `${c.master} → node ${c.result ?? "?"}`;
 * ```
 */
export interface ConnectTraceContext extends TraceContextBase {
  /** The master, `host:port`. */
  master: string;
  /** The slave, `host:port`, or null. */
  slave: string | null;
  /** The node reached (its unit id), before asyncStart. */
  result?: number;
}

/**
 * Message of the {@link CONNECTION_CHANNELS}.
 *
 * @example
 * ```ts
 * import type { ConnectionEventMessage } from "@smartbus/netclient";
 * const line = (m: ConnectionEventMessage) => `${m.localClientId}: node ${m.accessUnitId ?? "-"} code ${m.code ?? 0}`;
 * ```
 */
export interface ConnectionEventMessage {
  /** The client's unit id. */
  unitId: number;
  /** Its local client id. */
  localClientId: number;
  /** `connected`: the node reached; `connectFailed`: the node tried, as the library reports it. */
  accessUnitId?: number;
  /** `connectFailed`: the code. */
  code?: number;
}

type Channel = diagnostics_channel.Channel;

interface RuntimeTracingChannel<C extends object> {
  start: Channel;
  end: Channel;
  asyncStart: Channel;
  asyncEnd: Channel;
  error: Channel;
  traceSync<R>(fn: () => R, context: C): R;
  tracePromise<R>(fn: () => Promise<R>, context: C): Promise<R>;
}

/**
 * Whether this runtime's `node:diagnostics_channel` has `tracingChannel`
 * (Node ≥ 19.9 and 18.19, Deno 2, Bun 1.1: see `docs/stats.md`). Without
 * it the package publishes the same channels by hand.
 *
 * @example
 * ```ts
 * import { runtimeHasTracingChannel } from "@smartbus/netclient/internal";
 * console.log(runtimeHasTracingChannel);
 * ```
 */
export const runtimeHasTracingChannel: boolean =
  typeof (diagnostics_channel as { tracingChannel?: unknown })
    .tracingChannel === "function";

/**
 * One operation's tracing channel, as the client publishes on it.
 *
 * @example
 * ```ts
 * import { OperationTracer } from "@smartbus/netclient/internal";
 * const t = new OperationTracer<{ n: number }>("demo:op");
 * if (t.active) t.sync({ n: 1 }, () => "done");
 * ```
 */
export class OperationTracer<C extends object> {
  /** The channel's name. */
  readonly name: string;
  #tc: RuntimeTracingChannel<C> | undefined;
  // Public fields, not private ones: `active` reads all five on every call,
  // and under Deno the private loads cost a send about 4 ns more (one
  // process per measurement, 4 each: 123–127 ns against 122–123 ns).
  /** The `start` event's channel. */
  readonly start: Channel;
  /** The `end` event's channel. */
  readonly end: Channel;
  /** The `asyncStart` event's channel. */
  readonly asyncStart: Channel;
  /** The `asyncEnd` event's channel. */
  readonly asyncEnd: Channel;
  /** The `error` event's channel. */
  readonly error: Channel;

  /**
   * The tracing channel `name`: the runtime's, or (`useRuntime` false, or
   * no `tracingChannel`) its five channels published by hand.
   */
  constructor(name: string, useRuntime = runtimeHasTracingChannel) {
    this.name = name;
    if (useRuntime && runtimeHasTracingChannel) {
      const tc = (diagnostics_channel as unknown as {
        tracingChannel(n: string): RuntimeTracingChannel<C>;
      }).tracingChannel(name);
      this.#tc = tc;
      this.start = tc.start;
      this.end = tc.end;
      this.asyncStart = tc.asyncStart;
      this.asyncEnd = tc.asyncEnd;
      this.error = tc.error;
    } else {
      const ch = (e: string) =>
        diagnostics_channel.channel(`tracing:${name}:${e}`);
      this.start = ch("start");
      this.end = ch("end");
      this.asyncStart = ch("asyncStart");
      this.asyncEnd = ch("asyncEnd");
      this.error = ch("error");
    }
  }

  /** Whether anyone subscribes to any of its five events. */
  get active(): boolean {
    return this.start.hasSubscribers || this.end.hasSubscribers ||
      this.asyncStart.hasSubscribers || this.asyncEnd.hasSubscribers ||
      this.error.hasSubscribers;
  }

  /** Run `fn` traced as a synchronous call with `ctx`. */
  sync<R>(ctx: C, fn: () => R): R {
    if (this.#tc) return this.#tc.traceSync(fn, ctx);
    const c = ctx as C & { result?: unknown; error?: unknown };
    this.start.publish(ctx);
    try {
      const r = fn();
      c.result = r;
      return r;
    } catch (e) {
      c.error = e;
      this.error.publish(ctx);
      throw e;
    } finally {
      this.end.publish(ctx);
    }
  }

  /**
   * Start an asynchronous call with `begin`, traced with `ctx`: the
   * returned promise settles as `begin()`'s does, once the async events
   * are published (so a subscriber has ended its span when the caller
   * resumes). `settled` runs first, to complete `ctx`.
   */
  promise<R>(
    ctx: C,
    begin: () => Promise<R>,
    settled?: (ctx: C, error?: unknown) => void,
  ): Promise<R> {
    const run = (): Promise<R> => {
      const p = begin();
      if (!settled) return p;
      return p.then((r) => {
        settled(ctx);
        return r;
      }, (e: unknown) => {
        settled(ctx, e);
        throw e;
      });
    };
    if (this.#tc) return this.#tc.tracePromise(run, ctx);
    const c = ctx as C & { result?: unknown; error?: unknown };
    this.start.publish(ctx);
    try {
      return run().then((r) => {
        c.result = r;
        this.asyncStart.publish(ctx);
        this.asyncEnd.publish(ctx);
        return r;
      }, (e: unknown) => {
        c.error = e;
        this.error.publish(ctx);
        this.asyncStart.publish(ctx);
        this.asyncEnd.publish(ctx);
        throw e;
      });
    } catch (e) {
      c.error = e;
      this.error.publish(ctx);
      throw e;
    } finally {
      this.end.publish(ctx);
    }
  }
}

/**
 * The flow outcome the rejection of a started `invoke()` stands for (any
 * other error: a result that is not JSON, counted as failed with -99).
 *
 * @example
 * ```ts
 * import { AbortedError } from "@smartbus/netclient";
 * import { flowOutcomeOf } from "@smartbus/netclient/internal";
 * console.log(flowOutcomeOf(new AbortedError("demo"))); // aborted
 * ```
 */
export function flowOutcomeOf(error: unknown): FlowOutcome {
  if (error instanceof FlowTimeoutError) return "timedOut";
  if (error instanceof FlowNotStartedError) return "notStarted";
  if (error instanceof AbortedError) return "aborted";
  return "failed";
}

/**
 * The package's tracers and connection channels, made once per process
 * (channels are global by name).
 *
 * @example
 * ```ts
 * import { tracers } from "@smartbus/netclient/internal";
 * console.log(tracers.send.active); // false until someone subscribes
 * ```
 */
export const tracers: {
  readonly invoke: OperationTracer<InvokeTraceContext>;
  readonly send: OperationTracer<SendTraceContext>;
  readonly ping: OperationTracer<PingTraceContext>;
  readonly notify: OperationTracer<NotifyTraceContext>;
  readonly connect: OperationTracer<ConnectTraceContext>;
  readonly connected: Channel;
  readonly disconnected: Channel;
  readonly connectFailed: Channel;
} = {
  invoke: new OperationTracer(TRACING_CHANNELS.invoke),
  send: new OperationTracer(TRACING_CHANNELS.send),
  ping: new OperationTracer(TRACING_CHANNELS.ping),
  notify: new OperationTracer(TRACING_CHANNELS.notify),
  connect: new OperationTracer(TRACING_CHANNELS.connect),
  connected: diagnostics_channel.channel(CONNECTION_CHANNELS.connected),
  disconnected: diagnostics_channel.channel(CONNECTION_CHANNELS.disconnected),
  connectFailed: diagnostics_channel.channel(
    CONNECTION_CHANNELS.connectFailed,
  ),
};
