/**
 * The package's tracing channels as OpenTelemetry spans and metrics, with
 * `@opentelemetry/api` (the package itself depends on neither). Call
 * `bridgeToOpenTelemetry(api, { bus })` once, after registering your SDK
 * (`@opentelemetry/sdk-node`, say): every `invoke()`, `send()`, `ping()`,
 * `rtt()`, `sendNotify()` and `connect()` becomes a client span, with its
 * outcome; durations and outcomes go to metrics; `bus.stats()` gauges are
 * observed at each collection.
 *
 *   deno run -A examples/otel_bridge.ts   # on the mock bus, printing what it records
 *
 * The demo registers a tiny printing tracer and meter through the API's
 * global providers (no SDK needed); `@opentelemetry/api` is a dev
 * dependency, loaded at run time.
 */
import diagnostics_channel from "node:diagnostics_channel";
import process from "node:process";
import {
  Client,
  ClientType,
  CmdType,
  CONNECTION_CHANNELS,
  type ConnectTraceContext,
  type InvokeTraceContext,
  type NotifyTraceContext,
  type PingTraceContext,
  type SendTraceContext,
  SmartBus,
  TRACING_CHANNELS,
} from "../mod.ts";
import { MockBackend, MockBus } from "../src/mock/mod.ts";

// ---- the parts of @opentelemetry/api used here (its own types fit them) ----
type Attributes = Record<string, string | number | boolean>;
interface Span {
  setAttributes(attributes: Attributes): unknown;
  recordException(exception: Error | string): void;
  setStatus(status: { code: number; message?: string }): unknown;
  end(): void;
}
interface Tracer {
  startSpan(
    name: string,
    options?: { kind?: number; attributes?: Attributes },
  ): Span;
}
interface Meter {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    add(value: number, attributes?: Attributes): void;
  };
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    record(value: number, attributes?: Attributes): void;
  };
  createObservableGauge(
    name: string,
    options?: { description?: string; unit?: string },
  ): {
    addCallback(
      cb: (
        r: { observe(value: number, attributes?: Attributes): void },
      ) => void,
    ): void;
  };
}
/** What the bridge takes of `import * as api from "@opentelemetry/api"`. */
export interface OtelApi {
  trace: { getTracer(name: string, version?: string): Tracer };
  metrics: { getMeter(name: string, version?: string): Meter };
  SpanKind: { CLIENT: number };
  SpanStatusCode: { ERROR: number };
}

type Op = keyof typeof TRACING_CHANNELS;
type AnyContext =
  & Partial<
    & InvokeTraceContext
    & SendTraceContext
    & PingTraceContext
    & NotifyTraceContext
    & ConnectTraceContext
  >
  & {
    unitId: number;
    localClientId: number;
    error?: unknown;
    result?: unknown;
  };

const dst = (c: AnyContext) =>
  c.dst ? `${c.dst.unitId}/${c.dst.clientId}/${c.dst.clientType}` : "";

/** Span name and attributes at a call's start. */
function describe(op: Op, c: AnyContext): [string, Attributes] {
  const a: Attributes = {
    "smartbus.unit_id": c.unitId,
    "smartbus.local_client_id": c.localClientId,
  };
  switch (op) {
    case "invoke":
      Object.assign(a, {
        "smartbus.server": String(c.server),
        "smartbus.process": String(c.process),
        "smartbus.project": String(c.project),
        "smartbus.flow": String(c.flow),
        "smartbus.want_result": c.wantResult ?? true,
        "smartbus.timeout_ms": c.timeoutMs ?? 0,
      });
      return [`smartbus invoke ${String(c.project)}/${String(c.flow)}`, a];
    case "send":
      Object.assign(a, {
        "smartbus.dst": dst(c),
        "smartbus.cmd": c.cmd ?? 0,
        "smartbus.cmd_type": c.cmdType ?? 0,
        "smartbus.bytes": c.bytes ?? 0,
      });
      return ["smartbus send", a];
    case "ping":
      Object.assign(a, { "smartbus.dst": dst(c) });
      return [c.awaited ? "smartbus rtt" : "smartbus ping", a];
    case "notify":
      Object.assign(a, {
        "smartbus.project": String(c.project),
        "smartbus.title": String(c.title),
      });
      return ["smartbus notify", a];
    case "connect":
      Object.assign(a, { "server.address": c.master ?? "" });
      return ["smartbus connect", a];
  }
}

/** Whether `op`'s call ends at its `end` event (else at `asyncEnd`). */
const synchronous = (op: Op, c: AnyContext) =>
  op === "send" || op === "notify" ||
  ((op === "invoke" || op === "ping") && c.awaited === false);

/**
 * Subscribe to every tracing and connection channel; returns the function
 * that unsubscribes. With `bus`, its `stats()` feed observable gauges.
 */
export function bridgeToOpenTelemetry(
  api: OtelApi,
  options: { bus?: SmartBus } = {},
): () => void {
  const tracer = api.trace.getTracer("@smartbus/netclient");
  const meter = api.metrics.getMeter("@smartbus/netclient");
  const calls = meter.createCounter("smartbus.calls", {
    description: "Calls by operation and outcome",
  });
  const duration = meter.createHistogram("smartbus.call.duration", {
    description: "From a call to its end (its result, for flows and rtt())",
    unit: "ms",
  });
  const sentBytes = meter.createCounter("smartbus.sent.bytes", { unit: "By" });
  const connection = meter.createCounter("smartbus.connection.events");
  const open = new WeakMap<object, { span: Span; t0: number }>();
  const offs: (() => void)[] = [];

  for (const op of Object.keys(TRACING_CHANNELS) as Op[]) {
    const finish = (c: AnyContext) => {
      const o = open.get(c);
      if (!o) return;
      open.delete(c);
      const outcome = c.outcome ?? (c.error === undefined ? "ok" : "error");
      const attrs: Attributes = {
        "smartbus.operation": op,
        "smartbus.outcome": outcome,
      };
      if (c.invokeId !== undefined) {
        o.span.setAttributes({ "smartbus.invoke_id": c.invokeId });
      }
      if (op === "ping" && typeof c.result === "number") {
        o.span.setAttributes({ "smartbus.rtt_ms": c.result });
      }
      if (op === "connect" && typeof c.result === "number") {
        o.span.setAttributes({ "smartbus.node": c.result });
      }
      o.span.setAttributes({ "smartbus.outcome": outcome });
      o.span.end();
      calls.add(1, attrs);
      duration.record(performance.now() - o.t0, attrs);
      if ((op === "send" || op === "ping") && c.error === undefined) {
        sentBytes.add(c.bytes ?? 0, { "smartbus.operation": op });
      }
    };
    const handlers = {
      start: (m: unknown) => {
        const c = m as AnyContext;
        const [name, attributes] = describe(op, c);
        open.set(c, {
          span: tracer.startSpan(name, {
            kind: api.SpanKind.CLIENT,
            attributes,
          }),
          t0: performance.now(),
        });
      },
      end: (m: unknown) => {
        const c = m as AnyContext;
        // A call that threw before its promise existed ends here too.
        if (synchronous(op, c) || c.error !== undefined) finish(c);
      },
      asyncStart: () => {},
      asyncEnd: (m: unknown) => finish(m as AnyContext),
      error: (m: unknown) => {
        const c = m as AnyContext;
        const span = open.get(c)?.span;
        if (!span) return;
        const e = c.error;
        span.recordException(e instanceof Error ? e : String(e));
        span.setStatus({
          code: api.SpanStatusCode.ERROR,
          message: e instanceof Error ? e.message : String(e),
        });
      },
    };
    const tc = diagnostics_channel.tracingChannel(TRACING_CHANNELS[op]);
    tc.subscribe(handlers);
    offs.push(() => tc.unsubscribe(handlers));
  }
  for (const [event, name] of Object.entries(CONNECTION_CHANNELS)) {
    const fn = (m: unknown) => {
      const msg = m as { unitId: number; localClientId: number; code?: number };
      connection.add(1, {
        "smartbus.event": event,
        "smartbus.unit_id": msg.unitId,
        "smartbus.local_client_id": msg.localClientId,
        ...(msg.code === undefined ? {} : { "smartbus.code": msg.code }),
      });
    };
    diagnostics_channel.subscribe(name, fn);
    offs.push(() => diagnostics_channel.unsubscribe(name, fn));
  }
  const bus = options.bus;
  if (bus) {
    const gauge = (
      name: string,
      read: (s: ReturnType<SmartBus["stats"]>) => number | undefined,
    ) =>
      meter.createObservableGauge(name).addCallback((r) => {
        const v = read(bus.stats());
        if (v !== undefined) r.observe(v, { "smartbus.unit_id": bus.unitId });
      });
    gauge("smartbus.flows.in_flight", (s) => s.flows.inFlight);
    gauge("smartbus.flows.timed_out", (s) => s.flows.timedOut);
    gauge(
      "smartbus.flow.result.p99",
      (s) => s.latency.flowResult.recent.p99 ?? undefined,
    );
    gauge("smartbus.event_queue.dropped", (s) => s.eventQueue?.dropped);
  }
  return () => offs.forEach((off) => off());
}

// ---- the demo: a printing tracer and meter, an app on the mock bus ----

/** A tracer provider and meter provider that print what they get. */
function printing(api: OtelApi, out: string[]) {
  const tracer: Tracer = {
    startSpan(name, options) {
      const attrs: Attributes = { ...options?.attributes };
      let status = "unset";
      const span: Span = {
        setAttributes: (a) => Object.assign(attrs, a),
        recordException: () => {},
        setStatus: (s) =>
          status = s.code === api.SpanStatusCode.ERROR
            ? `error: ${s.message}`
            : "ok",
        end: () =>
          out.push(`span ${name} [${status}] ${JSON.stringify(attrs)}`),
      };
      return span;
    },
  };
  const meter: Meter = {
    createCounter: (name) => ({
      add: (v, a) =>
        out.push(`counter ${name} +${v} ${JSON.stringify(a ?? {})}`),
    }),
    createHistogram: (name) => ({
      record: () => out.push(`histogram ${name}`),
    }),
    createObservableGauge: () => ({ addCallback: () => {} }),
  };
  return {
    tracerProvider: { getTracer: () => tracer },
    meterProvider: { getMeter: () => meter },
  };
}

if (import.meta.main) {
  const specifier = "@opentelemetry/api"; // a dev dependency: loaded at run time
  let api: OtelApi & {
    trace: { setGlobalTracerProvider(p: unknown): boolean; disable(): void };
    metrics: { setGlobalMeterProvider(p: unknown): boolean; disable(): void };
  };
  try {
    api = await import(specifier);
  } catch (e) {
    console.error(
      `examples/otel_bridge.ts needs ${specifier} (npm ci): ${
        (e as Error).message
      }`,
    );
    process.exit(1);
  }
  const out: string[] = [];
  const p = printing(api, out);
  api.trace.setGlobalTracerProvider(p.tracerProvider);
  api.metrics.setGlobalMeterProvider(p.meterProvider);

  const mock = new MockBus();
  mock.addNode({ unitId: 0, port: 8000 });
  mock.addIpsc({ unitId: 0, processIndex: 0 })
    .flow("ivr", "hello", ([who]) => [`hi ${who}`])
    .flow("ivr", "busy", (_p, ctx) => ctx.refuse(-2, "busy"));
  await using bus = new SmartBus({
    unitId: 17,
    backend: new MockBackend(mock),
  });
  await using peerBus = new SmartBus({
    unitId: 18,
    backend: new MockBackend(mock),
  });
  const stop = bridgeToOpenTelemetry(api, { bus });
  const client = new Client({
    bus,
    localClientId: 1,
    masterHost: "127.0.0.1",
    masterPort: 8000,
  });
  const peer = new Client({
    bus: peerBus,
    localClientId: 2,
    masterHost: "127.0.0.1",
    masterPort: 8000,
  });
  await Promise.all([client.connect(), peer.connect()]);
  await client.invoke({
    server: 0,
    process: 0,
    project: "ivr",
    flow: "hello",
    params: ["ann"],
  });
  await client.invoke({ server: 0, process: 0, project: "ivr", flow: "busy" })
    .catch(() => {});
  client.send(1, CmdType.USER, 18, 2, ClientType.AGENT, "hello");
  await client.rtt({ unitId: 18, clientId: 2, clientType: ClientType.AGENT });
  stop();
  api.trace.disable();
  api.metrics.disable();
  for (const line of out) console.log(line);
  const spans = out.filter((l) => l.startsWith("span "));
  const want = [
    "smartbus connect",
    "smartbus invoke ivr/hello",
    "smartbus invoke ivr/busy",
    "smartbus send",
    "smartbus rtt",
  ];
  const missing = want.filter((w) =>
    !spans.some((s) => s.startsWith(`span ${w} `))
  );
  if (
    missing.length > 0 ||
    !spans.some((s) => s.includes('"smartbus.outcome":"notStarted"'))
  ) {
    console.error(
      `missing spans: ${missing.join(", ") || "the refused flow's outcome"}`,
    );
    process.exit(1);
  }
}
