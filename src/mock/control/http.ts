/**
 * The HTTP plumbing of the control API on `node:http` (Deno, Bun and
 * Node): JSON errors, a body-size limit on every request, JSON bodies, and
 * a small router (who may call it: `control_access.ts`).
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TokenPlace } from "./control_access.ts";

/**
 * A request the control API refuses, with its HTTP status and a stable
 * code; the body is `{ "error": { "code", "message" } }`.
 *
 * @example
 * ```ts
 * import { ControlHttpError } from "./http.ts";
 * const e = new ControlHttpError(404, "not_found", "no stub nope");
 * console.log(e.status, e.code); // 404 not_found: the body is {"error":{"code":"not_found",…}}
 * ```
 */
export class ControlHttpError extends Error {
  /** `"ControlHttpError"`. */
  override name = "ControlHttpError";
  /** HTTP status. */
  readonly status: number;
  /** Stable error code, e.g. `not_found`, `invalid_stub`, `wait_timeout`. */
  readonly code: string;
  /** Extra fields of the error body. */
  readonly extra: Record<string, unknown>;
  /** An error answered with `status`, `code` and `message`. */
  constructor(
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.extra = extra;
  }
}

/**
 * Whether `host` is a loopback address (or `localhost`).
 *
 * @example
 * ```ts
 * import { isLoopbackHost } from "./http.ts";
 * console.log(isLoopbackHost("[::1]"), isLoopbackHost("0.0.0.0")); // true false
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Write `value` as JSON with `status`. */
export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
): void {
  const body = status === 204 ? "" : JSON.stringify(value);
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(body),
  });
  res.end(body);
}

/** Answer `e` as a JSON error (500 for anything not a {@link ControlHttpError}). */
export function sendError(res: ServerResponse, e: unknown): void {
  const err = e instanceof ControlHttpError
    ? e
    : new ControlHttpError(500, "internal", String((e as Error)?.message ?? e));
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, err.status, {
    error: { code: err.code, message: err.message, ...err.extra },
  });
}

/**
 * The request body as parsed JSON (`undefined` when empty); 413 past
 * `limit` bytes. When `changes` (a state-changing method), 415 for a
 * `Content-Type` other than `application/json` (even without a body: an
 * empty form) or for a body without one, and 400 when not JSON; otherwise
 * the body is read within the limit and ignored.
 *
 * @example
 * ```ts
 * import { createServer } from "node:http";
 * import { readJson } from "./http.ts";
 * createServer(async (req, res) => {
 *   const body = await readJson(req, 64 * 1024, req.method !== "GET");
 *   res.end(JSON.stringify(body ?? null));
 * });
 * ```
 */
export async function readJson(
  req: IncomingMessage,
  limit: number,
  changes = true,
): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  const type = req.headers["content-type"];
  // Forms and no-cors fetches can only send text/plain, form or multipart
  // types: refusing those before reading keeps other web pages out.
  if (changes && type !== undefined && !JSON_TYPE.test(type)) throw notJson();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk as Buffer);
  }
  if (size === 0 || !changes) return undefined;
  if (type === undefined) throw notJson();
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8"));
  } catch (e) {
    throw new ControlHttpError(
      400,
      "invalid_json",
      `the body is not JSON: ${(e as Error).message}`,
    );
  }
}

const JSON_TYPE = /^application\/json[ \t]*(;|$)/i;

const notJson = (): ControlHttpError =>
  new ControlHttpError(
    415,
    "unsupported_media_type",
    "send the body as Content-Type: application/json",
  );

const tooLarge = (limit: number): ControlHttpError =>
  new ControlHttpError(
    413,
    "body_too_large",
    `request bodies are limited to ${limit} bytes`,
  );

/** One request as a route handler sees it. */
export interface RouteContext {
  /** The request. */
  req: IncomingMessage;
  /** The response (for streaming routes). */
  res: ServerResponse;
  /** The parsed URL. */
  url: URL;
  /** Path parameters by name. */
  params: Record<string, string>;
  /** The JSON body (read on demand, limited). */
  body(): Promise<unknown>;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
}

/** What a handler returns: a status and a JSON value, or nothing when it answered itself. */
export type RouteResult = { status: number; body?: unknown } | void;

/** A route: method, path pattern (`/stubs/:id`) and handler. */
export interface Route {
  /** HTTP method. */
  method: string;
  /** Path pattern; `:name` segments are parameters. */
  path: string;
  /** Where the token may come from (default `"header"`). */
  token?: TokenPlace;
  /** The handler. */
  run(ctx: RouteContext): RouteResult | Promise<RouteResult>;
}

/**
 * Find the route for `method` and `path`: 404 for no path, 405 for no
 * method, 400 for a parameter that is not valid percent-encoding.
 *
 * @example
 * ```ts
 * import { matchRoute } from "./http.ts";
 * const routes = [{ method: "GET", path: "/stubs/:id", run: () => {} }];
 * console.log(matchRoute(routes, "GET", "/stubs/a%20b").params.id); // "a b"
 * ```
 */
export function matchRoute(
  routes: readonly Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } {
  const parts = path.split("/");
  let found: Route | undefined;
  let pathFound = false;
  for (const route of routes) {
    const want = route.path.split("/");
    const ok = want.length === parts.length &&
      want.every((w, i) =>
        w.startsWith(":") ? parts[i] !== "" : w === parts[i]
      );
    if (!ok) continue;
    pathFound = true;
    if (route.method === method) {
      found = route;
      break;
    }
  }
  if (!found) {
    throw pathFound
      ? new ControlHttpError(405, "method_not_allowed", `${method} ${path}`)
      : new ControlHttpError(404, "not_found", `no route ${path}`);
  }
  const params: Record<string, string> = {};
  found.path.split("/").forEach((w, i) => {
    if (w.startsWith(":")) params[w.slice(1)] = decodeSegment(parts[i]);
  });
  return { route: found, params };
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new ControlHttpError(
      400,
      "invalid_path",
      `the path segment ${JSON.stringify(raw)} is not valid percent-encoding`,
    );
  }
}
