/**
 * A small world for the property suites: a mock bus on a virtual clock with
 * two nodes (0 master, 1 slave), an IPSC with test flows on node 0, and
 * units of clients on the public API, every event they raise recorded with
 * its bus time. Ops apply faults and traffic; the suites check what the
 * records say.
 */
import { ErrorCode } from "../../mod.ts";
import {
  Client,
  ClientType,
  FlowError,
  FlowNotStartedError,
  FlowTimeoutError,
  LibraryError,
  silentLogger,
  SmartBus,
} from "../../mod.ts";
import type { Backend } from "../../src/abi/backend.ts";
import {
  FlowFailure,
  MockBackend,
  MockBus,
  type MockIpsc,
  VirtualClock,
} from "../../src/mock/mod.ts";

export const RECONNECT_MS = 1000;
export const FLOWS = ["echo", "fail", "refuse", "silent", "late"] as const;
export type FlowName = typeof FLOWS[number];

/** One flow call made through `Client.invoke`, and everything seen about it. */
export interface FlowTrace {
  client: number;
  flow: FlowName;
  timeoutMs: number;
  at: number;
  /** The invoke id; undefined when `invoke` threw at once. */
  invokeId?: number;
  /** Synchronous failure (the client was not connected). */
  threw?: unknown;
  /** How and when the promise settled. */
  promise?: { at: number; ok: boolean; value: unknown };
  /** `timer`: the library's own acknowledge timer (-25, no head), not an answer. */
  acks: { at: number; ack: number; timer: boolean }[];
  /** respond / timeout / error events, in order. */
  outcomes: {
    at: number;
    kind: "respond" | "timeout" | "error";
    value: unknown;
  }[];
}

/** One `send` and what became of it. */
/**
 * One other awaitable call (`rtt()` to another client, or `connect()` on a
 * client already started) and how its promise settled.
 */
export interface CallTrace {
  kind: "rtt" | "connect";
  client: number;
  /** For rtt: the client pinged. */
  to?: number;
  timeoutMs: number;
  at: number;
  promise?: { at: number; ok: boolean; value: unknown };
}

export interface SendTrace {
  from: number;
  to: number;
  text: string;
  at: number;
  threw?: unknown;
}

export interface ClientRecord {
  index: number;
  unitId: number;
  id: number;
  client: Client;
  disconnects: number[];
  /**
   * When the bus closed one of its links (a stop, cut or kick that may
   * have touched it): a failover to its other link is silent, and what
   * the library had queued on the closed link is lost without an event.
   */
  linkBreaks: number[];
  connects: { at: number; unit: number }[];
  received: { at: number; from: string; text: string }[];
}

export interface World {
  /** The bus clock (virtual for the mock world, real for native ones). */
  clock: { now(): number };
  bus: MockBus;
  ipsc: MockIpsc;
  units: SmartBus[];
  clients: ClientRecord[];
  flows: FlowTrace[];
  sends: SendTrace[];
  invoke(
    client: number,
    flow: FlowName,
    timeoutMs: number,
    sleepMs: number,
  ): FlowTrace;
  send(from: number, to: number): SendTrace;
  calls: CallTrace[];
  /** `rtt()` from one client to another, or `connect()` when `to` is absent. */
  await(client: number, to: number | undefined, timeoutMs: number): CallTrace;
  close(): void;
}

/** The mock world: a virtual clock drives everything. */
export interface MockWorld extends World {
  clock: VirtualClock;
}

/**
 * Register the suites' test flows on `ipsc`. The `late` flow answers
 * `lateByMs` after the caller's timeout: in real time that margin must
 * exceed how late the library's own timer may run. A call that came over
 * TCP does not carry its timeout (the vendor's CALL_FLOW has none: the
 * caller's library times it, and the flow sees `timeoutMs` 0): the `late`
 * flow then answers `lateByMs` after `maxTimeoutMs`, the longest timeout
 * the suite uses.
 */
export function addTestFlows(
  ipsc: MockIpsc,
  lateByMs = 5,
  maxTimeoutMs = 0,
): void {
  ipsc
    .flow("p", "echo", async ([v, sleep], ctx) => {
      await ctx.sleep(sleep as number);
      return [v];
    })
    .flow("p", "fail", async (_p, ctx) => {
      await ctx.sleep(1);
      throw new FlowFailure(-3, "failed on purpose");
    })
    .flow("p", "refuse", (_p, ctx) => ctx.refuse(-1, "refused on purpose"))
    .flow("p", "silent", async (_p, ctx) => {
      await ctx.sleep(1);
      ctx.noAnswer();
    })
    .flow("p", "late", async (_p, ctx) => {
      await ctx.sleep((ctx.timeoutMs || maxTimeoutMs) + lateByMs);
      return ["late"];
    });
}

/** Units `unitIds` with `perUnit` clients each (ids 1..perUnit), master node 0, slave node 1. */
export function makeWorld(
  unitIds: number[] = [17, 18],
  perUnit = 2,
): MockWorld {
  const clock = new VirtualClock();
  const bus = new MockBus({ clock, strict: true, logger: () => {} });
  bus.addNode({ unitId: 0, port: 8000 });
  bus.addNode({ unitId: 1, port: 8001 });
  const ipsc = bus.addIpsc({ unitId: 0, processIndex: 0, node: 0 });
  addTestFlows(ipsc);
  const units = unitIds.map((unitId) =>
    new SmartBus({
      unitId,
      backend: new TracingBackend(bus, { reconnectIntervalMs: RECONNECT_MS }),
      logger: silentLogger,
    })
  );
  const nodes = {
    master: { host: "127.0.0.1", port: 8000 },
    slave: { host: "127.0.0.1", port: 8001 },
  };
  return { ...instrument(bus, ipsc, clock, units, perUnit, nodes), clock };
}

/** The invoke id `invoke()` just got, read off the backend (see {@link traceInvokeIds}). */
type InvokeIdProbe = { lastInvokeId?: number };

/** The master and slave a unit's clients dial. */
export interface WorldNodes {
  master: { host: string; port: number };
  slave: { host: string; port: number };
}

/**
 * Clients on `units`, every event they raise recorded at `clock.now()`, and
 * the traffic helpers. Each unit's backend must remember its last invoke id
 * ({@link TracingBackend} or {@link traceInvokeIds}). `perUnit` and `nodes`
 * are for every unit, or one entry per unit.
 */
export function instrument(
  bus: MockBus,
  ipsc: MockIpsc,
  clock: { now(): number },
  units: SmartBus[],
  perUnit: number | number[],
  nodes: WorldNodes | WorldNodes[],
): World {
  const clients: ClientRecord[] = [];
  for (const [u, unit] of units.entries()) {
    const count = Array.isArray(perUnit) ? perUnit[u] : perUnit;
    const unitNodes = Array.isArray(nodes) ? nodes[u] : nodes;
    for (let id = 1; id <= count; id++) {
      const client = new Client({
        bus: unit,
        localClientId: id,
        localClientType: ClientType.AGENT,
        masterHost: unitNodes.master.host,
        masterPort: unitNodes.master.port,
        slaverHost: unitNodes.slave.host,
        slaverPort: unitNodes.slave.port,
      });
      const rec: ClientRecord = {
        index: clients.length,
        unitId: unit.unitId,
        id,
        client,
        disconnects: [],
        linkBreaks: [],
        connects: [],
        received: [],
      };
      client.on("disconnect", () => void rec.disconnects.push(clock.now()));
      client.on(
        "connectSuccess",
        (unit) => void rec.connects.push({ at: clock.now(), unit }),
      );
      client.on("receiveText", (info, text) =>
        void rec.received.push({
          at: clock.now(),
          from: `${info.srcUnitId}/${info.srcUnitClientId}`,
          text,
        }));
      clients.push(rec);
      void client.connect().catch(() => {});
    }
  }
  const flows: FlowTrace[] = [];
  const byId = new Map<string, FlowTrace>();
  for (const rec of clients) {
    const find = (id: number) => byId.get(`${rec.index}#${id}`);
    const outcome = (
      id: number,
      kind: FlowTrace["outcomes"][number]["kind"],
      value: unknown,
    ) => void find(id)?.outcomes.push({ at: clock.now(), kind, value });
    rec.client.on(
      "invokeFlowAcknowledge",
      (info, _p, id, ack) =>
        void find(id)?.acks.push({
          at: clock.now(),
          ack,
          timer: info === null && ack === ErrorCode.TIMEOUT,
        }),
    );
    rec.client.on(
      "invokeFlowRespond",
      (_i, _p, id, r) => outcome(id, "respond", r),
    );
    rec.client.on(
      "invokeFlowTimeout",
      (_i, _p, id) => outcome(id, "timeout", null),
    );
    rec.client.on(
      "invokeFlowError",
      (_i, _p, id, errno) => outcome(id, "error", errno),
    );
  }
  const sends: SendTrace[] = [];
  const calls: CallTrace[] = [];
  let seq = 0;
  return {
    clock,
    bus,
    ipsc,
    units,
    clients,
    flows,
    sends,
    invoke(client, flow, timeoutMs, sleepMs) {
      const rec = clients[client];
      const t: FlowTrace = {
        client,
        flow,
        timeoutMs,
        at: clock.now(),
        acks: [],
        outcomes: [],
      };
      flows.push(t);
      // invoke() never throws: a call the library refused rejects with no invoke id.
      const backend = rec.client.bus.backend as unknown as InvokeIdProbe;
      backend.lastInvokeId = undefined;
      const p = rec.client.invoke(
        {
          server: 0,
          process: 0,
          project: "p",
          flow,
          params: [`v${seq++}`, sleepMs],
        },
        { timeout: timeoutMs },
      );
      const last = backend.lastInvokeId;
      const id = last !== undefined && last > 0 ? last : undefined;
      if (id !== undefined) {
        t.invokeId = id;
        byId.set(`${client}#${id}`, t);
      }
      p.then(
        (value) => void (t.promise = { at: clock.now(), ok: true, value }),
        (error) => {
          if (id === undefined) t.threw = error;
          t.promise = { at: clock.now(), ok: false, value: error };
        },
      );
      return t;
    },
    calls,
    await(client, to, timeoutMs) {
      const rec = clients[client];
      const t: CallTrace = {
        kind: to === undefined ? "connect" : "rtt",
        client,
        to,
        timeoutMs,
        at: clock.now(),
      };
      calls.push(t);
      const target = to === undefined ? undefined : clients[to];
      const p = target === undefined
        ? rec.client.connect({ timeout: timeoutMs })
        : rec.client.rtt({
          unitId: target.unitId,
          clientId: target.id,
          clientType: ClientType.AGENT,
        }, { timeout: timeoutMs });
      p.then(
        (value) => void (t.promise = { at: clock.now(), ok: true, value }),
        (error) =>
          void (t.promise = { at: clock.now(), ok: false, value: error }),
      );
      return t;
    },
    send(from, to) {
      const a = clients[from];
      const b = clients[to];
      const t: SendTrace = {
        from,
        to,
        text: `m${seq++} ${a.unitId}/${a.id}>${b.unitId}/${b.id}`,
        at: clock.now(),
      };
      try {
        a.client.send(1, 3, b.unitId, b.id, ClientType.AGENT, t.text);
      } catch (e) {
        t.threw = e;
      }
      sends.push(t);
      return t;
    },
    close() {
      for (const u of units) u.close();
    },
  };
}

/**
 * The mock backend, remembering what its last `RemoteInvokeFlow` returned:
 * `invoke()` keeps the invoke id to itself, and the suites must tie each
 * promise to the events carrying that id.
 */
export class TracingBackend extends MockBackend {
  lastInvokeId: number | undefined;
  override remoteInvokeFlow(
    ...args: Parameters<MockBackend["remoteInvokeFlow"]>
  ): number {
    const rc = super.remoteInvokeFlow(...args);
    this.lastInvokeId = rc;
    return rc;
  }
}

/** Any backend (a native one), wrapped to remember its last invoke id like {@link TracingBackend}. */
export function traceInvokeIds(backend: Backend): Backend & InvokeIdProbe {
  const probe: InvokeIdProbe = {};
  return new Proxy(backend, {
    get(target, prop) {
      if (prop === "lastInvokeId") return probe.lastInvokeId;
      if (prop === "remoteInvokeFlow") {
        return (...args: Parameters<Backend["remoteInvokeFlow"]>): number => {
          const rc = target.remoteInvokeFlow(...args);
          probe.lastInvokeId = rc;
          return rc;
        };
      }
      const v = Reflect.get(target, prop, target);
      return typeof v === "function" ? v.bind(target) : v;
    },
    set(target, prop, value) {
      if (prop === "lastInvokeId") {
        probe.lastInvokeId = value;
        return true;
      }
      return Reflect.set(target, prop, value, target);
    },
  }) as Backend & InvokeIdProbe;
}

/** Classify a settled `invoke()` rejection. */
export function errorKind(e: unknown): string {
  if (e instanceof FlowTimeoutError) return "FlowTimeoutError";
  if (e instanceof FlowNotStartedError) return "FlowNotStartedError";
  if (e instanceof FlowError) return `FlowError(${e.code})`;
  if (e instanceof LibraryError) return `LibraryError(${e.code})`;
  return String(e);
}
