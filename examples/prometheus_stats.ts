/**
 * `bus.stats()` in the Prometheus text format, for a `/metrics` endpoint:
 * counters as `_total`, gauges, and each latency as a summary in seconds
 * (quantiles over the last minute, `_sum` and `_count` over the unit's
 * life, as Prometheus summaries are read).
 *
 *   deno run -A examples/prometheus_stats.ts          # one page, on the mock bus
 *   deno run -A examples/prometheus_stats.ts --serve  # GET http://127.0.0.1:9464/metrics
 *
 * In an app: `res.end(prometheusText(bus.stats()))` in the handler of
 * `/metrics`. Names follow docs/stats.md field by field.
 */
import { createServer } from "node:http";
import process from "node:process";
import {
  Client,
  type LatencyWindows,
  SmartBus,
  type SmartBusStats,
} from "../mod.ts";
import { MockBackend, MockBus } from "../src/mock/mod.ts";

type Labels = Record<string, string | number>;

/** `bus.stats()` as one Prometheus text exposition (format 0.0.4). */
export function prometheusText(s: SmartBusStats): string {
  const lines: string[] = [];
  const base: Labels = { unit: s.unitId };
  const fmt = (l: Labels) =>
    `{${
      Object.entries(l).map(([k, v]) =>
        `${k}="${
          String(v).replace(/[\\"\n]/g, (c) => c === "\n" ? "\\n" : `\\${c}`)
        }"`
      ).join(",")
    }}`;
  const metric = (
    name: string,
    type: "counter" | "gauge",
    help: string,
    values: [Labels, number][],
  ) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [l, v] of values) {
      lines.push(`${name}${fmt({ ...base, ...l })} ${v}`);
    }
  };
  const counter = (name: string, help: string, v: number) =>
    metric(name, "counter", help, [[{}, v]]);
  const gauge = (name: string, help: string, v: number) =>
    metric(name, "gauge", help, [[{}, v]]);
  const byCode = (name: string, help: string, codes: Record<string, number>) =>
    metric(
      name,
      "counter",
      help,
      Object.entries(codes).map(([code, n]) => [{ code }, n]),
    );
  const summary = (name: string, help: string, w: LatencyWindows) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} summary`);
    const r = w.recent;
    for (const [q, v] of [["0.5", r.p50], ["0.9", r.p90], ["0.99", r.p99]]) {
      const value = v === null ? "NaN" : String((v as number) / 1000);
      lines.push(`${name}${fmt({ ...base, quantile: q as string })} ${value}`);
    }
    lines.push(`${name}_sum${fmt(base)} ${w.lifetime.sum / 1000}`);
    lines.push(`${name}_count${fmt(base)} ${w.lifetime.count}`);
  };

  gauge("smartbus_clients", "Clients open now.", s.clients);
  counter(
    "smartbus_data_sent_total",
    "Data messages the library accepted.",
    s.data.sent.count,
  );
  counter(
    "smartbus_data_sent_bytes_total",
    "Their payload bytes.",
    s.data.sent.bytes,
  );
  counter(
    "smartbus_data_received_total",
    "Data messages received.",
    s.data.received.count,
  );
  counter(
    "smartbus_data_received_bytes_total",
    "Their payload bytes.",
    s.data.received.bytes,
  );
  counter(
    "smartbus_data_errors_total",
    "Sends the library refused.",
    s.data.errors,
  );
  counter(
    "smartbus_pings_sent_total",
    "Pings the library accepted.",
    s.pings.sent.count,
  );
  counter(
    "smartbus_pings_received_total",
    "Ping answers received.",
    s.pings.received.count,
  );
  counter(
    "smartbus_ping_errors_total",
    "Pings the library refused.",
    s.pings.errors,
  );
  gauge(
    "smartbus_pings_in_flight",
    "rtt() calls awaiting their answer.",
    s.pings.inFlight,
  );
  counter("smartbus_flows_started_total", "Flows started.", s.flows.started);
  counter(
    "smartbus_flows_acknowledged_total",
    "Flows acknowledged with ack 1.",
    s.flows.acknowledged,
  );
  counter(
    "smartbus_flows_answered_total",
    "Flows that ended well.",
    s.flows.answered,
  );
  byCode(
    "smartbus_flows_failed_total",
    "Flows that failed, by result code.",
    s.flows.failedByCode,
  );
  byCode(
    "smartbus_flows_not_started_total",
    "Flows the IPSC did not start, by ack.",
    s.flows.notStartedByCode,
  );
  counter(
    "smartbus_flows_timed_out_total",
    "Flows timed out.",
    s.flows.timedOut,
  );
  counter("smartbus_flows_aborted_total", "Flows aborted.", s.flows.aborted);
  gauge(
    "smartbus_flows_in_flight",
    "Flows started and not ended.",
    s.flows.inFlight,
  );
  counter(
    "smartbus_flow_errors_total",
    "Flow calls the library refused.",
    s.flows.errors,
  );
  counter(
    "smartbus_notifications_sent_total",
    "Notifications the library accepted.",
    s.notifications.sent,
  );
  counter(
    "smartbus_notification_errors_total",
    "Notifications the library refused.",
    s.notifications.errors,
  );
  counter(
    "smartbus_connects_total",
    "Connects (reconnects and failovers included).",
    s.connection.connects,
  );
  counter(
    "smartbus_disconnects_total",
    "Established connections that broke.",
    s.connection.disconnects,
  );
  byCode(
    "smartbus_connect_failures_total",
    "Failed connection attempts, by code.",
    s.connection.failuresByCode,
  );
  if (s.eventQueue) {
    counter(
      "smartbus_event_queue_dropped_total",
      "Events the native event queue dropped.",
      s.eventQueue.dropped,
    );
  }
  summary(
    "smartbus_flow_ack_seconds",
    "From a flow call to its ack 1.",
    s.latency.flowAck,
  );
  summary(
    "smartbus_flow_result_seconds",
    "From a flow call to its result.",
    s.latency.flowResult,
  );
  summary("smartbus_ping_rtt_seconds", "rtt() round trips.", s.latency.pingRtt);
  return lines.join("\n") + "\n";
}

if (import.meta.main) {
  // A small app on the mock bus: a few flows, one of them refused.
  const mock = new MockBus();
  mock.addNode({ unitId: 0, port: 8000 });
  mock.addIpsc({ unitId: 0, processIndex: 0 })
    .flow("ivr", "hello", async ([who], ctx) => {
      await ctx.sleep(5);
      return [`hi ${who}`];
    })
    .flow("ivr", "busy", (_p, ctx) => ctx.refuse(-2, "busy"));
  await using bus = new SmartBus({
    unitId: 17,
    backend: new MockBackend(mock),
  });
  const client = new Client({
    bus,
    localClientId: 1,
    masterHost: "127.0.0.1",
    masterPort: 8000,
  });
  await client.connect();
  const call = (flow: string) =>
    client.invoke({
      server: 0,
      process: 0,
      project: "ivr",
      flow,
      params: ["ann"],
    });
  await Promise.allSettled([call("hello"), call("hello"), call("busy")]);
  if (!process.argv.includes("--serve")) {
    console.log(prometheusText(bus.stats()));
  } else {
    const server = createServer((req, res) => {
      if (req.url !== "/metrics") return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": "text/plain; version=0.0.4" });
      res.end(prometheusText(bus.stats()));
    });
    server.listen(
      9464,
      "127.0.0.1",
      () => console.log("http://127.0.0.1:9464/metrics"),
    );
    await new Promise((resolve) => process.once("SIGINT", resolve));
    server.close();
  }
}
