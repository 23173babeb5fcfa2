/**
 * A mock SmartBus served on TCP in one call: nodes, accounts, one mock IPSC
 * with its flows, and a log line per connect, disconnect and flow call. This
 * is what `smartbus mock` runs; apps in any language (through the native
 * stand-in library) and tests can use it too.
 *
 * @example
 * ```ts
 * import { startMockServer } from "@smartbus/netclient/mock";
 * await using server = await startMockServer({
 *   nodes: [{ unitId: 0, port: 0 }], // 0: a free port
 *   flows: { "ivr/echo": (params: unknown[]) => params, "ivr/fixed": ["ok"] },
 * });
 * console.log(server.addresses[0].port);
 * ```
 * @module
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { MockBus } from "./mock_bus.ts";
import type { FlowContext, FlowHandler } from "./ipsc/flow_run.ts";
import type { MockIpsc } from "./ipsc/ipsc.ts";
import { formatAddress } from "./bus/address.ts";
import { escapeControl } from "./bus/log_capture.ts";
import { serveTcp, type TcpAddress } from "./tcp/front.ts";
import {
  checkControlOptions,
  type ControlOptions,
  type ControlServer,
  startControlServer,
} from "./control/control_server.ts";
import { tapAttach, watchOf } from "./control/presence.ts";
import { masker } from "./control/masking.ts";

/**
 * A node to serve.
 *
 * @example
 * ```ts
 * import type { MockServerNode } from "@smartbus/netclient/mock";
 * const node: MockServerNode = { unitId: 1, port: 0 }; // a free port
 * ```
 */
export interface MockServerNode {
  /** 0–15. */
  unitId: number;
  /** Where to listen and how the bus knows the node; default `"127.0.0.1"`. */
  host?: string;
  /** TCP port; 0 picks a free one (see {@link MockServer.addresses}). */
  port: number;
}

/**
 * Flows by `"project/flow"` (split at the first `/`): a handler, or a
 * canned result list answered to every call.
 *
 * @example
 * ```ts
 * import type { FlowTable } from "@smartbus/netclient/mock";
 * const table: FlowTable = { "ivr/echo": (p) => p, "ivr/fixed": ["ok"] };
 * ```
 */
export type FlowTable = Record<string, FlowHandler | unknown[]>;

/**
 * A flow table, or a function that registers flows on the IPSC itself.
 *
 * @example
 * ```ts
 * import type { FlowSetup } from "@smartbus/netclient/mock";
 * const setup: FlowSetup = (ipsc) => ipsc.flow("ivr", "echo", (p) => p);
 * ```
 */
export type FlowSetup = FlowTable | ((ipsc: MockIpsc) => unknown);

/**
 * Options of {@link createMockBus} and {@link startMockServer}.
 *
 * @example
 * ```ts
 * import type { MockServerOptions } from "@smartbus/netclient/mock";
 * const options: MockServerOptions = { users: { alice: "s3cret" }, flows: { "p/hi": ["hi"] } };
 * ```
 */
export interface MockServerOptions {
  /** Default: one node 0 at 127.0.0.1:8000. */
  nodes?: MockServerNode[];
  /** User name → password, required on every node; default: no login needed. */
  users?: Record<string, string>;
  /** The mock IPSC's unit id and process index (default 0:0); `null` for none. */
  ipsc?: { unitId: number; processIndex: number } | null;
  /**
   * Its flows; a string is a file: `.json` holds canned answers
   * (`{ "project/flow": [result...] }`), anything else is a module whose
   * default export (or `flows` export) is a {@link FlowSetup}.
   */
  flows?: FlowSetup | string;
  /** One line per connect, disconnect, flow call and bus event; default: none. */
  log?: (line: string) => void;
  /** Heartbeat interval announced to TCP clients, ms (default 5000). */
  heartbeatMs?: number;
  /** Serve the control API and inspector too (see `docs/control-api.md`). */
  control?: ControlOptions;
  /** Time a TCP connection has to log in, ms (default 5000). */
  loginTimeoutMs?: number;
  /** Records kept per kind, as `MockBusOptions.records` (default 10,000). */
  records?: boolean | number;
  /**
   * Bytes all records may hold, as `MockBusOptions.recordsBudget` (default
   * 64 MiB; 0 or `false`: no records): a served bus does not grow with its
   * traffic.
   */
  recordsBudget?: boolean | number;
}

/**
 * A running mock server.
 *
 * @example
 * ```ts
 * import { type MockServer, startMockServer } from "@smartbus/netclient/mock";
 * const server: MockServer = await startMockServer({ nodes: [{ unitId: 0, port: 0 }] });
 * console.log(server.addresses[0].port);
 * await server.close();
 * ```
 */
export interface MockServer {
  /** Where each node listens, in the order given. */
  readonly addresses: readonly TcpAddress[];
  /** The bus, to inspect records or inject faults. */
  readonly bus: MockBus;
  /** The mock IPSC, or null when `ipsc: null` was asked. */
  readonly ipsc: MockIpsc | null;
  /** The control server, when `control` was asked. */
  readonly control: ControlServer | null;
  /** Close every socket and server. Idempotent. */
  close(): Promise<void>;
  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** The default node when none is given. */
export const DEFAULT_MOCK_NODE: Readonly<Required<MockServerNode>> = {
  unitId: 0,
  host: "127.0.0.1",
  port: 8000,
};

/**
 * Read a flow file: JSON canned answers, or a JS/TS module (its default
 * export, else its `flows` export).
 *
 * @example
 * ```ts
 * import { startMockServer } from "@smartbus/netclient/mock";
 * // the flows of a file are read with loadFlows
 * await using server = await startMockServer({ flows: "./answers.json" });
 * ```
 */
export async function loadFlows(path: string): Promise<FlowSetup> {
  const full = resolve(path);
  if (full.toLowerCase().endsWith(".json")) {
    const parsed: unknown = JSON.parse(await readFile(full, "utf8"));
    if (
      typeof parsed !== "object" || parsed === null || Array.isArray(parsed)
    ) {
      throw new TypeError(
        `${path}: expected an object { "project/flow": [result...] }`,
      );
    }
    const table: FlowTable = {};
    for (const [k, v] of Object.entries(parsed)) {
      table[k] = Array.isArray(v) ? v : [v];
    }
    return table;
  }
  const mod = await import(pathToFileURL(full).href) as Record<string, unknown>;
  const setup = mod.default ?? mod.flows;
  if (
    typeof setup === "function" ||
    (typeof setup === "object" && setup !== null)
  ) {
    return setup as FlowSetup;
  }
  throw new TypeError(
    `${path}: export default a { "project/flow": handler } object or a function (ipsc) => void`,
  );
}

function splitFlowKey(key: string): [string, string] {
  const i = key.indexOf("/");
  if (i <= 0 || i === key.length - 1) {
    throw new TypeError(
      `flow key ${JSON.stringify(key)} must read "project/flow"`,
    );
  }
  return [key.slice(0, i), key.slice(i + 1)];
}

/** Register `setup` on `ipsc`; each call is logged before it runs. */
async function applyFlows(
  ipsc: MockIpsc,
  setup: FlowSetup,
  log: (line: string) => void,
): Promise<void> {
  const logged =
    (project: string, flow: string, run: FlowHandler) =>
    (params: unknown[], ctx: FlowContext): unknown => {
      log(
        `flow call ${project}/${flow} from ${
          formatAddress(ctx.from)
        } (invoke id ${ctx.invokeId}, timeout ${ctx.timeoutMs} ms): ${
          JSON.stringify(params)
        }`,
      );
      return run(params, ctx);
    };
  if (typeof setup === "function") {
    // The setup sees the IPSC with a `flow` that logs each call; every other
    // member is the IPSC's own (bound: its private fields need the real `this`).
    const view = new Proxy(ipsc, {
      get(target, prop) {
        if (prop === "flow") {
          return (project: string, flow: string, run: FlowHandler) =>
            target.flow(project, flow, logged(project, flow, run)) && view;
        }
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v;
      },
    });
    await setup(view);
    return;
  }
  for (const [key, value] of Object.entries(setup)) {
    const [project, flow] = splitFlowKey(key);
    const run: FlowHandler = typeof value === "function"
      ? value
      : Array.isArray(value)
      ? () => value
      : (() => {
        throw new TypeError(`flow ${key}: a function or a result list`);
      })();
    ipsc.flow(project, flow, logged(project, flow, run));
  }
}

/** Load the flow file first: a bad file must fail before anything logs in. */
async function resolveFlows(
  options: MockServerOptions,
): Promise<FlowSetup | undefined> {
  return typeof options.flows === "string"
    ? await loadFlows(options.flows)
    : options.flows;
}

/** Add `nodes` (real ports), then the IPSC with its flows and a notify log. */
async function populate(
  bus: MockBus,
  nodes: readonly Required<MockServerNode>[],
  options: MockServerOptions,
  setup: FlowSetup | undefined,
  log: (line: string) => void,
): Promise<MockIpsc | null> {
  for (const n of nodes) bus.addNode({ ...n, users: options.users });
  const want = options.ipsc === undefined
    ? { unitId: 0, processIndex: 0 }
    : options.ipsc;
  if (!want) return null;
  const ipsc = bus.addIpsc({ ...want, node: nodes[0].unitId });
  if (setup !== undefined) await applyFlows(ipsc, setup, log);
  const who = `${want.unitId}:${want.processIndex}`;
  ipsc.onNotify((n) =>
    log(
      `notify to IPSC ${who} from ${formatAddress(n.from)}: ${n.project} ${
        JSON.stringify(n.title)
      } ${JSON.stringify(n.param)}`,
    )
  );
  return ipsc;
}

function askedNodes(options: MockServerOptions): Required<MockServerNode>[] {
  const nodes = options.nodes?.length ? options.nodes : [DEFAULT_MOCK_NODE];
  return nodes.map((n) => ({
    unitId: n.unitId,
    host: n.host ?? DEFAULT_MOCK_NODE.host,
    port: n.port,
  }));
}

/**
 * The server's log: lines name what peers sent, so control characters are
 * escaped, and the passwords of the bus (once `bus()` has one) masked.
 */
function serverLog(
  options: MockServerOptions,
  bus: () => MockBus | undefined,
): (line: string) => void {
  const log = options.log;
  if (!log) return () => {};
  return (line) => {
    const b = bus();
    log(escapeControl(b ? masker(b)(line) : line));
  };
}

/** The bus of a server: real time, strict, records as asked. */
function newBus(
  options: MockServerOptions,
  log: (line: string) => void,
): MockBus {
  return new MockBus({
    strict: true,
    logger: log,
    records: options.records,
    recordsBudget: options.recordsBudget,
  });
}

/**
 * A mock bus (real time, strict) with `options`' nodes, accounts and IPSC
 * flows, not served anywhere: for an in-process `MockBackend`. Every node
 * needs a real port number here (1–65535): it is the address clients dial.
 *
 * @example
 * ```ts
 * import { createMockBus, MockBackend } from "@smartbus/netclient/mock";
 * const { bus } = await createMockBus({ flows: { "p/hello": ["hi"] } });
 * const backend = new MockBackend(bus);
 * ```
 */
export async function createMockBus(
  options: MockServerOptions = {},
): Promise<{ bus: MockBus; ipsc: MockIpsc | null }> {
  let logged: MockBus | undefined;
  const log = serverLog(options, () => logged);
  const setup = await resolveFlows(options);
  const bus = logged = newBus(options, log);
  const ipsc = await populate(bus, askedNodes(options), options, setup, log);
  return { bus, ipsc };
}

/**
 * Start a mock bus on TCP in one call (see {@link MockServerOptions}). A
 * node asked with port 0 is known on the bus by the port picked, so
 * in-process clients (`MockBackend` on `server.bus`) dial the same address
 * as TCP clients.
 *
 * @example
 * ```ts
 * import { startMockServer } from "@smartbus/netclient/mock";
 * const server = await startMockServer({
 *   nodes: [{ unitId: 0, port: 0 }],
 *   users: { alice: "s3cret" },
 *   flows: "./answers.json",
 *   log: (line) => console.error(line),
 * });
 * await server.close();
 * ```
 */
export async function startMockServer(
  options: MockServerOptions = {},
): Promise<MockServer> {
  let logged: MockBus | undefined;
  const log = serverLog(options, () => logged);
  const setup = await resolveFlows(options);
  const bus = logged = newBus(options, log);
  const asked = askedNodes(options);
  // Listen before the nodes exist: only then are picked ports known. The
  // front attaches at login time; a login in the moment before the nodes are
  // added is refused and retried, as with a node not up yet.
  if (options.control) checkControlOptions(options.control);
  const watch = options.control ? watchOf(bus) : undefined;
  const front = await serveTcp(watch ? tapAttach(bus, watch) : bus, asked, {
    heartbeatMs: options.heartbeatMs,
    loginTimeoutMs: options.loginTimeoutMs,
    logger: { warn: log, info: () => {} },
  });
  let ipsc: MockIpsc | null;
  let control: ControlServer | null = null;
  try {
    const real = asked.map((n, i) => ({ ...n, port: front.addresses[i].port }));
    ipsc = await populate(bus, real, options, setup, log);
    if (options.control) {
      control = await startControlServer(bus, options.control, watch);
    }
  } catch (e) {
    await front.close();
    throw e;
  }
  const close = async (): Promise<void> => {
    await control?.close();
    await front.close();
  };
  return {
    addresses: front.addresses,
    bus,
    ipsc,
    control,
    close,
    [Symbol.asyncDispose]: close,
  };
}
