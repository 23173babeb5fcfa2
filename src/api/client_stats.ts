/**
 * What `client.stats()` and `bus.stats()` return, and the counters behind
 * them: plain number fields that the client's calls and the library's
 * callbacks bump (no allocation on those paths), and three latency
 * histograms. Reading builds a fresh plain object; see `docs/stats.md`
 * for every field.
 *
 * @example
 * ```ts
 * import { ClientCounters } from "@smartbus/netclient/internal";
 * const counters = new ClientCounters();
 * counters.dataSent++;
 * counters.dataSentBytes += 6;
 * console.log(counters.totals(0).data.sent); // { count: 1, bytes: 6 }
 * ```
 * @module
 */
import { LatencyStat, type LatencyWindows } from "./latency_histogram.ts";
import type { ConnectionStatus } from "./status.ts";

/**
 * A count of messages and their bytes.
 *
 * @example
 * ```ts
 * import type { TrafficCount } from "@smartbus/netclient";
 * const meanSize = (t: TrafficCount) => t.count === 0 ? 0 : t.bytes / t.count;
 * ```
 */
export interface TrafficCount {
  /** Messages. */
  count: number;
  /** Their payload bytes, as handed to or by the library (a text's trailing NUL included). */
  bytes: number;
}

/**
 * Counts by result or acknowledge code, keyed by the code in decimal
 * (`"-2"`), for JSON and metric labels alike.
 *
 * @example
 * ```ts
 * import { type CodeCounts, errorCodeName } from "@smartbus/netclient";
 * const named = (c: CodeCounts) => Object.entries(c).map(([code, n]) => `${errorCodeName(Number(code))} ${n}`);
 * ```
 */
export type CodeCounts = Record<string, number>;

/**
 * The figures `client.stats()` and `bus.stats()` share. Counters count
 * from the client's creation (the unit's, for `bus.stats()`) and only
 * grow, except the `inFlight` gauges; latencies are in ms on the unit's
 * clock. Field by field: `docs/stats.md`.
 *
 * @example
 * ```ts
 * import type { TrafficStats } from "@smartbus/netclient";
 * const lost = (s: TrafficStats) => s.flows.timedOut + s.flows.notStarted + s.flows.failed;
 * ```
 */
export interface TrafficStats {
  /** When these figures were read, ms on the unit's clock (epoch ms on real time). */
  at: number;
  /** `send()`: messages the library accepted, data received (ping answers aside), calls the library refused. */
  data: { sent: TrafficCount; received: TrafficCount; errors: number };
  /**
   * `ping()` and `rtt()`: pings the library accepted, ping answers received
   * (cmd 8, cmdType 1), calls the library refused, `rtt()` calls awaiting
   * their answer.
   */
  pings: {
    sent: TrafficCount;
    received: TrafficCount;
    errors: number;
    inFlight: number;
  };
  /**
   * `invoke()` and `invokeFlow()`. Every started flow ends in exactly one of
   * answered, failed, notStarted, timedOut, aborted, or is in flight:
   * `started = answered + failed + notStarted + timedOut + aborted + inFlight`.
   */
  flows: {
    /** Calls the library accepted (it returned an invoke id). */
    started: number;
    /** Acknowledged with ack 1 (the IPSC started the flow). */
    acknowledged: number;
    /** Ended well: a result arrived, or (no result wanted) the ack 1. */
    answered: number;
    /** Ended with a result code other than 1 and -25, or a result that is not JSON (-99). */
    failed: number;
    /** `failed` by code. */
    failedByCode: CodeCounts;
    /** Acknowledged with an ack other than 1 (and not the library's ack timer). */
    notStarted: number;
    /** `notStarted` by ack. */
    notStartedByCode: CodeCounts;
    /** Timed out: the library's timer (-25), or the API's own deadline. */
    timedOut: number;
    /** Given up by the caller (`AbortSignal`) or by closing the client. */
    aborted: number;
    /** Started and not ended yet. */
    inFlight: number;
    /** Calls the library refused at once (no invoke id). */
    errors: number;
  };
  /** `sendNotify()`: notifications the library accepted, and refused. */
  notifications: { sent: number; errors: number };
  /** Connection events the library reported. */
  connection: {
    /** Connects (also reconnects, failovers and link takeovers). */
    connects: number;
    /** Established connections that broke. */
    disconnects: number;
    /** Failed connection attempts. */
    failures: number;
    /** `failures` by code. */
    failuresByCode: CodeCounts;
  };
  /** Latency summaries, ms: see {@link LatencyWindows}. */
  latency: {
    /** From the call to its ack 1. */
    flowAck: LatencyWindows;
    /** From the call to its result, for flows answered with one. */
    flowResult: LatencyWindows;
    /** `rtt()` round trips (plain `ping()` answers are not timed). */
    pingRtt: LatencyWindows;
  };
}

/**
 * What `client.stats()` returns.
 *
 * @example
 * ```ts
 * import { Client, type ClientStats, SmartBus } from "@smartbus/netclient";
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const mock = new MockBus();
 * mock.addNode({ unitId: 0, port: 8000 });
 * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(mock) });
 * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 8000 });
 * await client.connect();
 * const s: ClientStats = client.stats();
 * console.log(s.state, s.connection.connects); // connected 1
 * ```
 */
export interface ClientStats extends TrafficStats {
  /** The client's local client id. */
  localClientId: number;
  /** Its connection state now (`client.state.state`). */
  state: ConnectionStatus["state"];
}

/**
 * What `bus.stats()` returns: the figures of every client of the unit,
 * those closed since included, added up.
 *
 * @example
 * ```ts
 * import { SmartBus, type SmartBusStats } from "@smartbus/netclient";
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(new MockBus()) });
 * const s: SmartBusStats = bus.stats();
 * console.log(s.clients, s.eventQueue); // 0 null (the mock has no native event queue)
 * ```
 */
export interface SmartBusStats extends TrafficStats {
  /** The unit id. */
  unitId: number;
  /** Clients open now. */
  clients: number;
  /**
   * The native event queue (Deno, Bun, Node backends when it is in use):
   * events it dropped since this unit set its callbacks, because the JS
   * thread left its ring full for 1 s. `null` where there is no such queue:
   * the mock backend, or a native backend on its per-callback path.
   */
  eventQueue: { dropped: number } | null;
}

/** `Record<code, n>` of a map. */
function codes(m: Map<number, number>): CodeCounts {
  const out: CodeCounts = {};
  for (const [k, v] of [...m].sort((a, b) => a[0] - b[0])) out[String(k)] = v;
  return out;
}

function addCodes(into: Map<number, number>, from: Map<number, number>): void {
  for (const [k, v] of from) into.set(k, (into.get(k) ?? 0) + v);
}

/** Bump `code` in `m`. */
export function countCode(m: Map<number, number>, code: number): void {
  m.set(code, (m.get(code) ?? 0) + 1);
}

/**
 * The counters of one client (or the closed clients of a unit): fields the
 * hot paths bump directly.
 */
export class ClientCounters {
  /** `send()` calls the library accepted. */
  dataSent = 0;
  /** Their bytes. */
  dataSentBytes = 0;
  /** Data received (not ping answers). */
  dataReceived = 0;
  /** Their bytes. */
  dataReceivedBytes = 0;
  /** `send()` calls the library refused. */
  dataErrors = 0;
  /** Pings the library accepted (`ping()`, `rtt()`). */
  pingsSent = 0;
  /** Their bytes. */
  pingsSentBytes = 0;
  /** Ping answers received. */
  pingsReceived = 0;
  /** Their bytes. */
  pingsReceivedBytes = 0;
  /** Pings the library refused. */
  pingErrors = 0;
  /** Flows started. */
  flowsStarted = 0;
  /** Flows acknowledged with ack 1. */
  flowsAcknowledged = 0;
  /** Flows that ended well. */
  flowsAnswered = 0;
  /** Flows that failed, by code. */
  readonly flowsFailed: Map<number, number> = new Map();
  /** Flows not started, by ack. */
  readonly flowsNotStarted: Map<number, number> = new Map();
  /** Flows timed out. */
  flowsTimedOut = 0;
  /** Flows aborted. */
  flowsAborted = 0;
  /** Flow calls the library refused. */
  flowErrors = 0;
  /** Notifications the library accepted. */
  notifySent = 0;
  /** Notifications the library refused. */
  notifyErrors = 0;
  /** Connects. */
  connects = 0;
  /** Disconnects. */
  disconnects = 0;
  /** Failed connection attempts, by code. */
  readonly connectFailures: Map<number, number> = new Map();
  /** Flow acknowledgement latency. */
  readonly flowAck: LatencyStat = new LatencyStat();
  /** Flow result latency. */
  readonly flowResult: LatencyStat = new LatencyStat();
  /** `rtt()` round trips. */
  readonly pingRtt: LatencyStat = new LatencyStat();

  /** Add every count of `other` to these (a closing client's, into its unit's). */
  absorb(other: ClientCounters): void {
    this.dataSent += other.dataSent;
    this.dataSentBytes += other.dataSentBytes;
    this.dataReceived += other.dataReceived;
    this.dataReceivedBytes += other.dataReceivedBytes;
    this.dataErrors += other.dataErrors;
    this.pingsSent += other.pingsSent;
    this.pingsSentBytes += other.pingsSentBytes;
    this.pingsReceived += other.pingsReceived;
    this.pingsReceivedBytes += other.pingsReceivedBytes;
    this.pingErrors += other.pingErrors;
    this.flowsStarted += other.flowsStarted;
    this.flowsAcknowledged += other.flowsAcknowledged;
    this.flowsAnswered += other.flowsAnswered;
    addCodes(this.flowsFailed, other.flowsFailed);
    addCodes(this.flowsNotStarted, other.flowsNotStarted);
    this.flowsTimedOut += other.flowsTimedOut;
    this.flowsAborted += other.flowsAborted;
    this.flowErrors += other.flowErrors;
    this.notifySent += other.notifySent;
    this.notifyErrors += other.notifyErrors;
    this.connects += other.connects;
    this.disconnects += other.disconnects;
    addCodes(this.connectFailures, other.connectFailures);
    this.flowAck.absorb(other.flowAck);
    this.flowResult.absorb(other.flowResult);
    this.pingRtt.absorb(other.pingRtt);
  }

  /**
   * The figures of these counters and of `more` added up, read at `now`;
   * `inFlight` gives the two gauges (flows, `rtt()` pings) now.
   */
  totals(
    now: number,
    inFlight: { flows: number; pings: number } = { flows: 0, pings: 0 },
    more: readonly ClientCounters[] = [],
  ): TrafficStats {
    const all = [this, ...more];
    const sum = (f: (c: ClientCounters) => number): number => {
      let n = 0;
      for (const c of all) n += f(c);
      return n;
    };
    const merged = (f: (c: ClientCounters) => Map<number, number>) => {
      const m = new Map<number, number>();
      for (const c of all) addCodes(m, f(c));
      return m;
    };
    const failed = merged((c) => c.flowsFailed);
    const notStarted = merged((c) => c.flowsNotStarted);
    const connectFailures = merged((c) => c.connectFailures);
    const total = (m: Map<number, number>) => {
      let n = 0;
      for (const v of m.values()) n += v;
      return n;
    };
    return {
      at: now,
      data: {
        sent: {
          count: sum((c) => c.dataSent),
          bytes: sum((c) => c.dataSentBytes),
        },
        received: {
          count: sum((c) => c.dataReceived),
          bytes: sum((c) => c.dataReceivedBytes),
        },
        errors: sum((c) => c.dataErrors),
      },
      pings: {
        sent: {
          count: sum((c) => c.pingsSent),
          bytes: sum((c) => c.pingsSentBytes),
        },
        received: {
          count: sum((c) => c.pingsReceived),
          bytes: sum((c) => c.pingsReceivedBytes),
        },
        errors: sum((c) => c.pingErrors),
        inFlight: inFlight.pings,
      },
      flows: {
        started: sum((c) => c.flowsStarted),
        acknowledged: sum((c) => c.flowsAcknowledged),
        answered: sum((c) => c.flowsAnswered),
        failed: total(failed),
        failedByCode: codes(failed),
        notStarted: total(notStarted),
        notStartedByCode: codes(notStarted),
        timedOut: sum((c) => c.flowsTimedOut),
        aborted: sum((c) => c.flowsAborted),
        inFlight: inFlight.flows,
        errors: sum((c) => c.flowErrors),
      },
      notifications: {
        sent: sum((c) => c.notifySent),
        errors: sum((c) => c.notifyErrors),
      },
      connection: {
        connects: sum((c) => c.connects),
        disconnects: sum((c) => c.disconnects),
        failures: total(connectFailures),
        failuresByCode: codes(connectFailures),
      },
      latency: {
        flowAck: LatencyStat.summarize(all.map((c) => c.flowAck), now),
        flowResult: LatencyStat.summarize(all.map((c) => c.flowResult), now),
        pingRtt: LatencyStat.summarize(all.map((c) => c.pingRtt), now),
      },
    };
  }
}
