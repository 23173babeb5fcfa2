/**
 * The client's statistics as `smartbus invoke --repeat` and `smartbus
 * watch --stats` print them: `client.stats()` with the unit's event-queue
 * drops, as one JSON object or as a few text lines an operator reads at a
 * glance (counts, then latency percentiles).
 *
 * @example
 * ```ts
 * import { statsLines } from "./stats_report.ts";
 * import { Client, SmartBus } from "../../mod.ts";
 * import { MockBackend, MockBus } from "../mock/mod.ts";
 * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(new MockBus()) });
 * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 8000 });
 * console.log(statsLines({ ...client.stats(), eventQueue: null }).join("\n"));
 * ```
 * @module
 */
import type { Client } from "../api/client.ts";
import type { ClientStats, CodeCounts } from "../api/client_stats.ts";
import type { LatencyWindows } from "../api/latency_histogram.ts";
import type { SmartBus } from "../api/smartbus.ts";
import { formatMs } from "./stats.ts";

/**
 * What the CLI prints: `client.stats()` (see `docs/stats.md`) and
 * `eventQueue` of `bus.stats()` (`null` on the mock backend).
 *
 * @example
 * ```ts
 * import type { CliStats } from "./stats_report.ts";
 * const lost = (s: CliStats) => s.flows.timedOut + (s.eventQueue?.dropped ?? 0);
 * ```
 */
export interface CliStats extends ClientStats {
  /** The native event queue's drops, or null where there is none. */
  eventQueue: { dropped: number } | null;
}

/**
 * The figures of a session's client and unit now.
 *
 * @example
 * ```ts
 * import { sessionStats } from "./stats_report.ts";
 * import { Client, SmartBus } from "../../mod.ts";
 * import { MockBackend, MockBus } from "../mock/mod.ts";
 * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(new MockBus()) });
 * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 8000 });
 * console.log(sessionStats({ bus, client }).flows.started); // 0
 * ```
 */
export function sessionStats(s: { bus: SmartBus; client: Client }): CliStats {
  return { ...s.client.stats(), eventQueue: s.bus.stats().eventQueue };
}

const plural = (n: number, one: string, many = `${one}s`): string =>
  `${n} ${n === 1 ? one : many}`;

const bytes = (n: number): string =>
  n < 1024
    ? `${n} B`
    : n < 1024 * 1024
    ? `${(n / 1024).toFixed(1)} KiB`
    : `${(n / 1024 / 1024).toFixed(1)} MiB`;

/** `" (-3 ×10, -1 ×2)"`, or nothing when there is no code. */
const byCode = (c: CodeCounts): string => {
  const parts = Object.entries(c).map(([code, n]) => `${code} ×${n}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
};

/** One latency kind: its lifetime percentiles, then the last minute's. */
function latencyLine(name: string, w: LatencyWindows): string {
  const l = w.lifetime;
  if (l.count === 0) return `latency ${name}: no samples`;
  const r = w.recent;
  const recent = r.count === 0
    ? "none in the last minute"
    : `last minute ${r.count}, p99 ${formatMs(r.p99)}`;
  return `latency ${name}: ${l.count}, p50 ${formatMs(l.p50)}, p90 ${
    formatMs(l.p90)
  }, p99 ${formatMs(l.p99)}, max ${formatMs(l.max)}; ${recent}`;
}

/**
 * The figures as text lines: flows and their outcomes (codes in
 * parentheses), latencies of flow acknowledges, flow results and ping
 * round trips, data, pings, notifications, the link, the event queue.
 *
 * @example
 * ```ts
 * import { sessionStats, statsLines } from "./stats_report.ts";
 * import { Client, SmartBus } from "../../mod.ts";
 * import { MockBackend, MockBus } from "../mock/mod.ts";
 * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(new MockBus()) });
 * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 8000 });
 * for (const line of statsLines(sessionStats({ bus, client }))) console.error(line);
 * ```
 */
export function statsLines(s: CliStats): string[] {
  const f = s.flows;
  const lines = [
    `flows: ${f.started} started, ${f.acknowledged} acknowledged, ${f.answered} answered, ${f.failed} failed${
      byCode(f.failedByCode)
    }, ${f.notStarted} not started${
      byCode(f.notStartedByCode)
    }, ${f.timedOut} timed out, ${f.aborted} aborted, ${f.inFlight} in flight, ${f.errors} refused by the library`,
    latencyLine("flow ack", s.latency.flowAck),
    latencyLine("flow result", s.latency.flowResult),
    latencyLine("ping rtt", s.latency.pingRtt),
    `data: ${s.data.sent.count} sent (${
      bytes(s.data.sent.bytes)
    }), ${s.data.received.count} received (${
      bytes(s.data.received.bytes)
    }), ${s.data.errors} refused`,
    `pings: ${s.pings.sent.count} sent (${
      bytes(s.pings.sent.bytes)
    }), ${s.pings.received.count} answers (${
      bytes(s.pings.received.bytes)
    }), ${s.pings.errors} refused, ${s.pings.inFlight} awaiting an answer`,
    `notifications: ${s.notifications.sent} sent, ${s.notifications.errors} refused`,
    `link: ${s.state}, ${plural(s.connection.connects, "connect")}, ${
      plural(s.connection.disconnects, "disconnect")
    }, ${plural(s.connection.failures, "failed attempt")}${
      byCode(s.connection.failuresByCode)
    }`,
  ];
  if (s.eventQueue !== null) {
    lines.push(`event queue: ${s.eventQueue.dropped} dropped`);
  }
  return lines;
}
