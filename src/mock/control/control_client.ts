/**
 * {@link MockControl}: a typed client of a served mock bus's control API,
 * with the words of the in-memory bus: `stubs.add`, `journal.count`,
 * `journal.waitFor`, `faults.cutLink`, `reset`.
 *
 * @example
 * ```ts
 * import { MockControl } from "@smartbus/netclient/mock";
 * const control = new MockControl("http://127.0.0.1:9000");
 * await control.stubs.add({ project: "ivr", flow: "hello", reply: { result: ["hi"] } });
 * const calls = await control.journal.waitFor("flowCalls", { flow: "hello" });
 * ```
 * @module
 */
import type { FaultState, IpscMode } from "./fault_book.ts";
import type { TrafficFilter } from "../bus/fault_policy.ts";
import type { ClientRecord } from "../bus/records.ts";
import type { JournalRecords } from "./journal.ts";
import type { ServedClientsReport } from "./served_clients.ts";
import {
  JOURNAL_PATHS,
  type JournalKind,
  type JournalQuery,
} from "./journal_types.ts";
import type { StubInfo, StubSpec } from "./stub_spec.ts";

/**
 * The control API answered with an error: its HTTP status, code
 * (`not_found`, `invalid_stub`, `wait_timeout`, …) and message.
 *
 * @example
 * ```ts
 * import { MockControlError } from "@smartbus/netclient/mock";
 * const timedOut = (e: unknown): boolean => e instanceof MockControlError && e.code === "wait_timeout";
 * ```
 */
export class MockControlError extends Error {
  /** `"MockControlError"`. */
  override name = "MockControlError";
  /** HTTP status. */
  readonly status: number;
  /** The API's error code. */
  readonly code: string;
  /** The whole error body. */
  readonly body: Record<string, unknown>;
  /** An error with `status` and the API's error `body`. */
  constructor(status: number, body: Record<string, unknown>) {
    super(`${status} ${body.code}: ${body.message}`);
    this.status = status;
    this.code = String(body.code);
    this.body = body;
  }
}

/**
 * The served bus's state, as `GET /api/v1/state` gives it.
 *
 * @example
 * ```ts
 * import type { MockControlState } from "@smartbus/netclient/mock";
 * const up = (s: MockControlState): number[] => s.nodes.filter((n) => n.running).map((n) => n.unitId);
 * ```
 */
export interface MockControlState {
  /** Bus time. */
  time: number;
  /** Nodes (account names, never passwords). */
  nodes: {
    unitId: number;
    host: string;
    port: number;
    running: boolean;
    users: string[];
  }[];
  /** Connected clients. */
  clients: ClientRecord[];
  /** Mock IPSCs. */
  ipscs: {
    unitId: number;
    processIndex: number;
    node: number;
    connected: boolean;
  }[];
  /** Faults in force. */
  faults: FaultState;
  /** Stubs. */
  stubs: StubInfo[];
}

function search(q: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    p.set(k, typeof v === "string" ? v : JSON.stringify(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}

/**
 * A client of a served mock's control API (see the module doc). Methods
 * reject with {@link MockControlError} when the API refuses.
 *
 * @example
 * ```ts
 * import { MockControl } from "@smartbus/netclient/mock";
 * const control = new MockControl("http://127.0.0.1:9000", { token: "t0k3n" });
 * await control.faults.stopNode(0);
 * await control.faults.healAll();
 * await control.reset();
 * ```
 */
export class MockControl {
  /** The control server's base URL. */
  readonly url: string;
  #token: string | undefined;

  /** A client of the control server at `url` (its base, without `/api/v1`). */
  constructor(url: string, options: { token?: string } = {}) {
    this.url = url.replace(/\/+$/, "");
    this.#token = options.token;
  }

  /** Call `method path` with an optional JSON body; the parsed answer. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<T> {
    const headers: Record<string, string> = {};
    if (this.#token) headers.authorization = `Bearer ${this.#token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${this.url}/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
    });
    const text = await res.text();
    const value = text ? JSON.parse(text) : undefined;
    if (!res.ok) {
      throw new MockControlError(
        res.status,
        value?.error ?? { code: "http", message: text },
      );
    }
    return value as T;
  }

  /** Nodes, clients, IPSCs, faults and stubs. */
  state(): Promise<MockControlState> {
    return this.request("GET", "/state");
  }

  /**
   * What the bus saw of each TCP client (messages, bytes, pings, flows),
   * those at `unit` and `client` alone when given.
   */
  clientStats(
    filter: { unit?: number; client?: number } = {},
  ): Promise<ServedClientsReport> {
    return this.request("GET", `/clients/stats${search(filter)}`);
  }

  /** Back to the state the server started with (every connection closes). */
  async reset(): Promise<void> {
    await this.request("POST", "/reset");
  }

  /** Flow stubs: `add`, `replace`, `list`, `get`, `remove`, `clear`. */
  readonly stubs: {
    add(spec: StubSpec): Promise<StubInfo>;
    replace(id: string, spec: StubSpec): Promise<StubInfo>;
    list(): Promise<StubInfo[]>;
    get(id: string): Promise<StubInfo>;
    remove(id: string): Promise<void>;
    clear(): Promise<void>;
  } = {
    add: (spec) => this.request("POST", "/stubs", spec),
    replace: (id, spec) =>
      this.request("PUT", `/stubs/${encodeURIComponent(id)}`, spec),
    list: async () =>
      (await this.request<{ stubs: StubInfo[] }>("GET", "/stubs")).stubs,
    get: (id) => this.request("GET", `/stubs/${encodeURIComponent(id)}`),
    remove: async (id) => {
      await this.request("DELETE", `/stubs/${encodeURIComponent(id)}`);
    },
    clear: async () => {
      await this.request("DELETE", "/stubs");
    },
  };

  /** The journal: `find`, `count`, `waitFor`, `clear`. */
  readonly journal: {
    find<K extends JournalKind>(
      kind: K,
      query?: JournalQuery,
    ): Promise<JournalRecords[K][]>;
    count(kind: JournalKind, query?: JournalQuery): Promise<number>;
    waitFor<K extends JournalKind>(
      kind: K,
      query?: JournalQuery,
      options?: { count?: number; timeoutMs?: number; signal?: AbortSignal },
    ): Promise<JournalRecords[K][]>;
    clear(): Promise<void>;
  } = {
    find: async (kind, query = {}) =>
      (await this.request<{ records: never[] }>(
        "GET",
        `/journal/${JOURNAL_PATHS[kind]}${search({ ...query })}`,
      )).records,
    count: async (kind, query = {}) =>
      (await this.request<{ count: number }>(
        "GET",
        `/journal/${JOURNAL_PATHS[kind]}/count${search({ ...query })}`,
      )).count,
    waitFor: async (kind, query = {}, options = {}) =>
      (await this.request<{ records: never[] }>(
        "GET",
        `/journal/${JOURNAL_PATHS[kind]}/wait${
          search({
            ...query,
            count: options.count,
            timeoutMs: options.timeoutMs,
          })
        }`,
        undefined,
        options.signal,
      )).records,
    clear: async () => {
      await this.request("DELETE", "/journal");
    },
  };

  /** Faults, named as on `bus.faults` and the bus. */
  readonly faults: {
    state(): Promise<FaultState>;
    stopNode(unitId: number): Promise<void>;
    startNode(unitId: number): Promise<void>;
    cutLink(a: number, b: number): Promise<void>;
    healLink(a: number, b: number): Promise<void>;
    cutClient(
      address: { unitId: number; clientId: number },
      options?: { node?: number },
    ): Promise<void>;
    healClient(address: { unitId: number; clientId: number }): Promise<void>;
    kick(address: { unitId: number; clientId: number }): Promise<void>;
    latency(
      rule: TrafficFilter & { baseMs: number; jitterMs?: number },
    ): Promise<string>;
    dropShare(share: number, filter?: TrafficFilter): Promise<string>;
    removeRule(id: string): Promise<void>;
    ipsc(
      mode: IpscMode,
      options?: { unitId?: number; processIndex?: number; lateByMs?: number },
    ): Promise<void>;
    healAll(): Promise<void>;
  } = {
    state: () => this.request("GET", "/faults"),
    stopNode: (u) => this.#ok("POST", `/nodes/${u}/stop`),
    startNode: (u) => this.#ok("POST", `/nodes/${u}/start`),
    cutLink: (a, b) => this.#ok("POST", "/faults/links/cut", { a, b }),
    healLink: (a, b) => this.#ok("POST", "/faults/links/heal", { a, b }),
    cutClient: (a, o = {}) =>
      this.#ok("POST", "/faults/clients/cut", {
        unitId: a.unitId,
        clientId: a.clientId,
        node: o.node,
      }),
    healClient: (a) =>
      this.#ok("POST", "/faults/clients/heal", {
        unitId: a.unitId,
        clientId: a.clientId,
      }),
    kick: (a) =>
      this.#ok("POST", "/clients/kick", {
        unitId: a.unitId,
        clientId: a.clientId,
      }),
    latency: async (rule) =>
      (await this.request<{ id: string }>("POST", "/faults/latency", rule)).id,
    dropShare: async (share, filter = {}) =>
      (await this.request<{ id: string }>("POST", "/faults/drops", {
        share,
        ...filter,
      })).id,
    removeRule: (id) =>
      this.#ok("DELETE", `/faults/rules/${encodeURIComponent(id)}`),
    ipsc: (mode, o = {}) => this.#ok("POST", "/faults/ipsc", { mode, ...o }),
    healAll: () => this.#ok("POST", "/faults/heal-all"),
  };

  async #ok(method: string, path: string, body?: unknown): Promise<void> {
    await this.request(method, path, body);
  }
}
