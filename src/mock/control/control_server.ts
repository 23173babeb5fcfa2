/**
 * The control server of a served mock bus: the API under `/api/v1`, the
 * live event stream and the inspector page, on `node:http`. Safe by
 * default: it listens on loopback; any other address needs a token, and
 * with a token every request must carry it; every body is limited; every
 * wait is capped (see `journal.ts`).
 *
 * @module
 */
import {
  createServer,
  type IncomingMessage,
  type ServerResponse,
} from "node:http";
import type { AddressInfo } from "node:net";
import type { MockBus } from "../mock_bus.ts";
import { EventHub } from "./events.ts";
import { FaultBook } from "./fault_book.ts";
import { changesState, checkAccess, checkOrigin } from "./control_access.ts";
import {
  isLoopbackHost,
  matchRoute,
  readJson,
  type Route,
  sendError,
  sendJson,
} from "./http.ts";
import { INSPECTOR_HTML } from "./inspector_page.ts";
import { Journal } from "./journal.ts";
import { masker } from "./masking.ts";
import { type BusWatch, watchOf } from "./presence.ts";
import {
  API_PREFIX,
  apiRoutes,
  type ControlParts,
  httpErrors,
  stateOf,
} from "./routes.ts";
import { FlowStubs } from "./stubs.ts";

/**
 * Where and how to serve the control API.
 *
 * @example
 * ```ts
 * import { type ControlOptions, startMockServer } from "@smartbus/netclient/mock";
 * const control: ControlOptions = { host: "127.0.0.1", port: 0 };
 * const server = await startMockServer({ control });
 * await server.close();
 * ```
 */
export interface ControlOptions {
  /** Address to listen on (default `"127.0.0.1"`); a non-loopback one needs `token`. */
  host?: string;
  /** Port (default 0: a free one). */
  port?: number;
  /**
   * Bearer token every API request must carry in `Authorization` (the
   * event stream also takes `?access_token=`); not empty, blank or padded.
   */
  token?: string;
  /** Largest request body, bytes (default 64 KiB). */
  maxBodyBytes?: number;
  /** Interval of the event stream's ticks, ms (default 250). */
  tickMs?: number;
}

/**
 * A running control server, with the parts it drives.
 *
 * @example
 * ```ts
 * import { type ControlServer, startMockServer } from "@smartbus/netclient/mock";
 * const server = await startMockServer({ control: {} });
 * const control: ControlServer | null = server.control;
 * console.log(control?.url.startsWith("http://127.0.0.1:")); // true
 * await server.close();
 * ```
 */
export interface ControlServer {
  /** Base URL, e.g. `http://127.0.0.1:9000` (the page; the API is under `/api/v1`). */
  readonly url: string;
  /** The stubs of the bus. */
  readonly stubs: FlowStubs;
  /** The journal of the bus. */
  readonly journal: Journal;
  /** Back to the state the server started with. */
  reset(): void;
  /** Stop serving (open streams end). Idempotent. */
  close(): Promise<void>;
}

/** The default body limit. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * A control-server configuration error (e.g. a non-loopback address
 * without a token, or an empty token).
 *
 * @example
 * ```ts
 * import { ControlConfigError, startMockServer } from "@smartbus/netclient/mock";
 * await startMockServer({ nodes: [{ unitId: 0, port: 0 }], control: { host: "0.0.0.0" } })
 *   .catch((e: unknown) => console.log(e instanceof ControlConfigError)); // true: no token
 * ```
 */
export class ControlConfigError extends Error {
  /** `"ControlConfigError"`. */
  override name = "ControlConfigError";
}

/**
 * The address and token `options` ask for; throws
 * {@link ControlConfigError} for a non-loopback address without a token,
 * or for a token no client could send back intact: empty, blank, with
 * white space at either end (HTTP trims header values) or with control
 * characters.
 *
 * @example
 * ```ts
 * import { checkControlOptions } from "./control_server.ts";
 * console.log(checkControlOptions({ host: "0.0.0.0", token: "s3cret" })); // { host: "0.0.0.0", token: "s3cret" }
 * try {
 *   checkControlOptions({ host: "0.0.0.0" });
 * } catch (e) {
 *   console.log((e as Error).message); // the control API on 0.0.0.0 (not loopback) needs a token …
 * }
 * ```
 */
export function checkControlOptions(
  options: ControlOptions,
): { host: string; token: string | undefined } {
  const host = options.host ?? "127.0.0.1";
  const token = options.token;
  if (token !== undefined) checkToken(token);
  if (!isLoopbackHost(host) && token === undefined) {
    throw new ControlConfigError(
      `the control API on ${host} (not loopback) needs a token (--control-token or SMARTBUS_CONTROL_TOKEN)`,
    );
  }
  return { host, token };
}

function checkToken(token: string): void {
  const why = token.trim() === ""
    ? "is empty or blank"
    : token.trim() !== token
    ? "starts or ends with white space"
    // deno-lint-ignore no-control-regex
    : /[\x00-\x1f\x7f]/.test(token)
    ? "holds a control character"
    : undefined;
  if (why !== undefined) {
    throw new ControlConfigError(
      `the control token ${why}; give one of visible characters (--control-token or SMARTBUS_CONTROL_TOKEN)`,
    );
  }
}

/**
 * Serve the control API, the event stream and the inspector for `bus`
 * (see {@link ControlOptions}). `watch` is the {@link BusWatch} its TCP
 * front was tapped with (presence and traffic counts); without one the
 * journal has no presence and the page no message rates.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * import { startControlServer } from "./control_server.ts";
 * const control = await startControlServer(new MockBus(), { port: 0 });
 * console.log(control.url); // http://127.0.0.1:PORT
 * await control.close();
 * ```
 */
export async function startControlServer(
  bus: MockBus,
  options: ControlOptions = {},
  watch: BusWatch = watchOf(bus),
): Promise<ControlServer> {
  const { host, token } = checkControlOptions(options);
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const stubs = new FlowStubs({
    ipscs: () => bus.ipscs(),
    log: (l) => bus.log(l),
  });
  const journal = new Journal(bus, watch.presence);
  const faults = new FaultBook(bus);
  const mask = masker(bus);
  const hub: { current?: EventHub } = {};
  const parts: ControlParts = {
    bus,
    stubs,
    journal,
    watch,
    faults,
    reset: () => {
      stubs.clear();
      bus.reset();
      faults.forget();
      watch.presence.clear();
      watch.clients.reset();
      journal.clear();
      hub.current?.reset();
    },
    changed: () => hub.current?.changed(),
  };
  const events = hub.current = new EventHub(
    // The page's stream: stubs as summaries (the replies can be 8 MiB).
    { bus, watch, state: () => stateOf(parts, true), mask },
    options.tickMs,
  );
  parts.streams = () => events.stats();
  const routes: Route[] = [
    ...apiRoutes(parts),
    {
      method: "GET",
      path: `${API_PREFIX}/events`,
      token: "header-or-query",
      run: (c) => events.add(c.res),
    },
    { method: "GET", path: "/", token: "none", run: (c) => page(c.res) },
    {
      method: "GET",
      path: "/inspector",
      token: "none",
      run: (c) => page(c.res),
    },
    // Every browser asks; no icon, and no 404 in the page's console.
    {
      method: "GET",
      path: "/favicon.ico",
      token: "none",
      run: () => ({ status: 204 }),
    },
  ];
  const server = createServer((req, res) => {
    handle(req, res, routes, token, limit).catch((e) => sendError(res, e));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const shownHost = addr.family === "IPv6" || addr.address.includes(":")
    ? `[${addr.address}]`
    : addr.address;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${shownHost}:${addr.port}`,
    stubs,
    journal,
    reset: parts.reset,
    close: () =>
      closing ??= new Promise<void>((resolve) => {
        events.close();
        server.close(() => resolve());
        (server as { closeAllConnections?: () => void })
          .closeAllConnections?.();
      }),
  };
}

function page(res: ServerResponse): void {
  res.writeHead(200, {
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-security-policy":
      "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    // The page's own requests never name the token in a URL it shows or
    // sends on; this keeps even the stream's URL out of any Referer.
    "referrer-policy": "no-referrer",
  });
  res.end(INSPECTOR_HTML);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  routes: readonly Route[],
  token: string | undefined,
  limit: number,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://control.invalid");
  const ac = new AbortController();
  res.on("close", () => ac.abort());
  const method = req.method ?? "GET";
  const result = await httpErrors(async () => {
    const path = url.pathname.length > 1
      ? url.pathname.replace(/\/$/, "")
      : "/";
    const { route, params } = matchRoute(routes, method, path);
    checkOrigin(req, checkAccess(req, url, token, route.token));
    // Every body is read and limited before anything runs.
    const body = await readJson(req, limit, changesState(method));
    return route.run({
      req,
      res,
      url,
      params,
      body: () => Promise.resolve(body),
      signal: ac.signal,
    });
  });
  if (result) sendJson(res, result.status, result.body);
}
