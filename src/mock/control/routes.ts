/**
 * The control API's routes (`/api/v1/...`): state, stubs, faults, the
 * journal, reset. Each maps JSON in to one call on the shared parts
 * ({@link FlowStubs}, {@link Journal}, {@link FaultBook}) and JSON out.
 *
 * @module
 */
import type { MockBus } from "../mock_bus.ts";
import type { FaultBook } from "./fault_book.ts";
import { faultRoutes } from "./fault_routes.ts";
import { ControlHttpError, type Route } from "./http.ts";
import { type Journal, waitBudget } from "./journal.ts";
import { masker } from "./masking.ts";
import {
  InvalidQueryError,
  JOURNAL_KINDS,
  JOURNAL_PATHS,
  type JournalKind,
  type JournalQuery,
  WaitTimeoutError,
} from "./journal_types.ts";
import type { BusWatch } from "./presence.ts";
import type { ServedClientsReport } from "./served_clients.ts";
import type { FlowStubs } from "./stubs.ts";
import { InvalidStubError, type StubSpec } from "./stub_spec.ts";
import { StubLimitError } from "./stub_limits.ts";

/** The versioned prefix of every API path. */
export const API_PREFIX = "/api/v1";

/** What the routes drive. */
export interface ControlParts {
  /** The bus. */
  bus: MockBus;
  /** Its stubs. */
  stubs: FlowStubs;
  /** Its journal. */
  journal: Journal;
  /** Presence and traffic at the TCP edge. */
  watch: BusWatch;
  /** Faults. */
  faults: FaultBook;
  /** Back to the state the server started with. */
  reset(): void;
  /** Something changed that the page shows: push a fresh state. */
  changed(): void;
  /** The event streams: open, their cap, dropped for falling behind. */
  streams?(): { subscribers: number; maxSubscribers: number; dropped: number };
}

// A Map, not an object: `constructor` or `__proto__` must not name a kind.
// `flowCalls`, the spelling of old, is still taken; it is never shown.
const KIND_PATHS = new Map<string, JournalKind>([
  ...JOURNAL_KINDS.map((k): [string, JournalKind] => [JOURNAL_PATHS[k], k]),
  ["flowCalls", "flowCalls"],
]);

const NUMERIC = new Set([
  "unit",
  "client",
  "fromUnit",
  "fromClient",
  "toUnit",
  "toClient",
  "cmd",
  "ipscUnit",
  "ipscProcess",
  "since",
  "limit",
]);

function kindOf(p: string): JournalKind {
  const k = KIND_PATHS.get(p);
  if (!k) {
    throw new ControlHttpError(
      404,
      "not_found",
      `no journal ${p}; one of ${
        JOURNAL_KINDS.map((k) => JOURNAL_PATHS[k]).join(", ")
      }`,
    );
  }
  return k;
}

/** A journal query from a URL's search parameters (`skip`: handled by the route). */
export function queryFromUrl(
  url: URL,
  skip: readonly string[] = [],
): JournalQuery {
  const q: Record<string, unknown> = {};
  for (const [k, v] of url.searchParams) {
    if (skip.includes(k)) continue;
    if (NUMERIC.has(k)) {
      const n = Number(v);
      if (v.trim() === "" || !Number.isFinite(n)) {
        throw new InvalidQueryError(`${k} must be a number, got ${v}`);
      }
      q[k] = n;
    } else if (k === "params") {
      try {
        q[k] = JSON.parse(v);
      } catch {
        throw new InvalidQueryError(`params must be a JSON list, got ${v}`);
      }
    } else q[k] = v;
  }
  return q as JournalQuery;
}

/** Run `fn`, turning the shared parts' errors into HTTP ones. */
export async function httpErrors<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof ControlHttpError) throw e;
    if (e instanceof InvalidStubError) {
      throw new ControlHttpError(400, "invalid_stub", e.message);
    }
    if (e instanceof StubLimitError) {
      throw new ControlHttpError(413, e.code, e.message, { limit: e.limit });
    }
    if (e instanceof InvalidQueryError) {
      throw new ControlHttpError(400, "invalid_query", e.message);
    }
    if (e instanceof WaitTimeoutError) {
      throw new ControlHttpError(408, "wait_timeout", e.message, {
        matched: e.matched,
      });
    }
    if (
      e instanceof RangeError || e instanceof Error && /^no /.test(e.message)
    ) {
      throw new ControlHttpError(400, "invalid_argument", e.message);
    }
    throw e;
  }
}

/**
 * The current state: nodes (account names only), clients, IPSCs, faults,
 * stubs (whole, or as the inspector's summaries with `summaries`).
 */
export function stateOf(
  p: ControlParts,
  summaries = false,
): Record<string, unknown> {
  const mask = masker(p.bus);
  return {
    time: p.bus.clock.now(),
    nodes: p.bus.nodes().map((n) => ({
      unitId: n.unitId,
      host: n.host,
      port: n.port,
      running: n.running,
      users: Object.keys(n.users ?? {}),
    })),
    clients: p.bus.clients().map((c) => ({ ...c, addInfo: mask(c.addInfo) })),
    ipscs: p.bus.ipscs().map((i) => ({
      unitId: i.unitId,
      processIndex: i.processIndex,
      node: i.nodeUnitId,
      connected: i.connected,
    })),
    faults: p.faults.state(),
    stubs: summaries ? p.stubs.summaries() : p.stubs.list(),
  };
}

const CLIENT_FILTERS = ["unit", "client"];

/**
 * `GET /clients/stats`: what the bus saw of each TCP client, those at
 * `unit` and `client` alone when given.
 */
function clientStats(p: ControlParts, url: URL): ServedClientsReport {
  const want: Record<string, number> = {};
  for (const [k, v] of url.searchParams) {
    if (!CLIENT_FILTERS.includes(k)) {
      throw new InvalidQueryError(
        `no filter ${k} on client stats; use ${CLIENT_FILTERS.join(" or ")}`,
      );
    }
    const n = Number(v);
    if (v.trim() === "" || !Number.isInteger(n)) {
      throw new InvalidQueryError(`${k} must be an integer, got ${v}`);
    }
    want[k] = n;
  }
  const report = p.watch.clients.report();
  report.clients = report.clients.filter((c) =>
    (want.unit === undefined || c.address.unitId === want.unit) &&
    (want.client === undefined || c.address.clientId === want.client)
  );
  return report;
}

/** Every route of the API (the page and the event stream are added by the server). */
export function apiRoutes(p: ControlParts): Route[] {
  const A = API_PREFIX;
  const done = (body: unknown = { ok: true }) => {
    p.changed();
    return { status: 200, body };
  };
  const stub = (id: string) => {
    const s = p.stubs.get(id);
    if (!s) throw new ControlHttpError(404, "not_found", `no stub ${id}`);
    return s;
  };
  return [
    {
      method: "GET",
      path: A,
      run: () => ({
        status: 200,
        body: {
          name: "smartbus mock control",
          version: 1,
          journal: JOURNAL_KINDS.map((k) => JOURNAL_PATHS[k]),
          maxWaitMs: waitBudget(Infinity),
          waits: { active: p.journal.waiting, max: p.journal.maxWaits },
          events: p.streams?.(),
        },
      }),
    },
    {
      method: "GET",
      path: `${A}/state`,
      run: () => ({ status: 200, body: stateOf(p) }),
    },
    {
      method: "GET",
      path: `${A}/clients/stats`,
      run: (c) => ({ status: 200, body: clientStats(p, c.url) }),
    },
    {
      method: "GET",
      path: `${A}/stubs`,
      run: () => ({ status: 200, body: { stubs: p.stubs.list() } }),
    },
    {
      method: "POST",
      path: `${A}/stubs`,
      run: async (c) => {
        const s = p.stubs.add((await c.body()) as StubSpec);
        p.changed();
        return { status: 201, body: s };
      },
    },
    {
      method: "DELETE",
      path: `${A}/stubs`,
      run: () => (p.stubs.clear(), done()),
    },
    {
      method: "GET",
      path: `${A}/stubs/:id`,
      run: (c) => ({ status: 200, body: stub(c.params.id) }),
    },
    {
      method: "PUT",
      path: `${A}/stubs/:id`,
      run: async (c) =>
        done(
          p.stubs.replace(
            c.params.id,
            (await c.body()) as StubSpec,
          ),
        ),
    },
    {
      method: "DELETE",
      path: `${A}/stubs/:id`,
      run: (c) => {
        if (!p.stubs.remove(c.params.id)) stub(c.params.id);
        p.changed();
        return { status: 204 };
      },
    },
    ...faultRoutes(p, done),
    {
      method: "GET",
      path: `${A}/journal/:kind`,
      run: (c) => {
        const records = p.journal.find(
          kindOf(c.params.kind),
          queryFromUrl(c.url),
        );
        return { status: 200, body: { count: records.length, records } };
      },
    },
    {
      method: "GET",
      path: `${A}/journal/:kind/count`,
      run: (c) => ({
        status: 200,
        body: {
          count: p.journal.count(kindOf(c.params.kind), queryFromUrl(c.url)),
        },
      }),
    },
    {
      method: "GET",
      path: `${A}/journal/:kind/wait`,
      run: async (c) => {
        const extra = ["count", "timeoutMs"].map((k) =>
          c.url.searchParams.get(k)
        );
        const [count, timeoutMs] = extra.map((v) =>
          v === null ? undefined : Number(v)
        );
        const records = await p.journal.waitFor(
          kindOf(c.params.kind),
          queryFromUrl(c.url, ["count", "timeoutMs"]),
          { count, timeoutMs, signal: c.signal },
        );
        return { status: 200, body: { count: records.length, records } };
      },
    },
    {
      method: "DELETE",
      path: `${A}/journal`,
      run: () => (p.journal.clear(), done()),
    },
    { method: "POST", path: `${A}/reset`, run: () => (p.reset(), done()) },
  ];
}
