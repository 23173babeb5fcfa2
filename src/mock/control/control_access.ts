/**
 * Who may use the control API: the token (in `Authorization`, or in the
 * query for the event stream only), the loopback `Host` rule without a
 * token, and the same-origin rule for requests that change state, which
 * keeps other web pages from driving the bus (CSRF).
 *
 * @example
 * ```ts
 * import { changesState } from "./control_access.ts";
 * console.log(changesState("DELETE")); // true: the same-origin rule applies
 * ```
 * @module
 */
import type { IncomingMessage } from "node:http";
import { timingSafeEqual } from "node:crypto";
import { ControlHttpError, isLoopbackHost } from "./http.ts";

/**
 * How a route takes the token: `"header"` (the default: `Authorization:
 * Bearer` only), `"header-or-query"` (also `?access_token=`, for the
 * page's `EventSource`, which cannot send a header) or `"none"` (the page
 * itself, which holds no data).
 *
 * @example
 * ```ts
 * import type { TokenPlace } from "./control_access.ts";
 * const stream: TokenPlace = "header-or-query";
 * ```
 */
export type TokenPlace = "header" | "header-or-query" | "none";

const BEARER = /^bearer[ \t]+(.*)$/i;

const sameToken = (given: string, token: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Check a request's credentials; true when `Authorization` carried the
 * token. With a token: `Authorization: Bearer TOKEN` (scheme in any case),
 * or `?access_token=TOKEN` where `place` allows it, else 401. Without
 * one: a Host header naming a loopback host (no DNS rebinding), else 403.
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from "node:http";
 * import { checkAccess } from "./control_access.ts";
 * const req = { headers: { authorization: "bearer t0k3n" } } as IncomingMessage;
 * console.log(checkAccess(req, new URL("http://x/api/v1"), "t0k3n")); // true
 * ```
 */
export function checkAccess(
  req: IncomingMessage,
  url: URL,
  token: string | undefined,
  place: TokenPlace = "header",
): boolean {
  if (token === undefined) {
    const host = String(req.headers.host ?? "").replace(/:\d+$/, "");
    if (host !== "" && !isLoopbackHost(host)) {
      throw new ControlHttpError(
        403,
        "forbidden_host",
        `Host ${JSON.stringify(host)} is not a loopback name`,
      );
    }
    return false;
  }
  const bearer = BEARER.exec(String(req.headers.authorization ?? ""));
  if (bearer && sameToken(bearer[1].trim(), token)) return true;
  if (place === "none") return false;
  const query = url.searchParams.get("access_token");
  if (
    place === "header-or-query" && !bearer && query !== null &&
    sameToken(query, token)
  ) return false;
  throw new ControlHttpError(
    401,
    "unauthorized",
    query !== null && place === "header"
      ? "send the token as Authorization: Bearer <token>; only the event stream takes ?access_token="
      : "this control API needs Authorization: Bearer <token> (the page: open /#token=<token>)",
  );
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Whether `method` may change state (anything but GET, HEAD, OPTIONS).
 *
 * @example
 * ```ts
 * import { changesState } from "./control_access.ts";
 * console.log(changesState("POST"), changesState("GET")); // true false
 * ```
 */
export function changesState(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/**
 * Refuse (403 `forbidden_origin`) a state-changing request that a web
 * page of another origin could have sent, unless `authorized` (it carried
 * the token in `Authorization`, which such a page cannot add without a
 * preflight this server never grants): an `Origin` other than the API's
 * own (`http://` + Host), a `Sec-Fetch-Site` other than `same-origin` or
 * `none` (another port of the same host is `same-site`), or a
 * `Sec-Fetch-Mode` of `navigate` or `no-cors` (a form, a no-cors fetch).
 *
 * @example
 * ```ts
 * import type { IncomingMessage } from "node:http";
 * import { checkOrigin } from "./control_access.ts";
 * const req = {
 *   method: "POST",
 *   headers: { host: "127.0.0.1:9000", origin: "http://127.0.0.1:9000" },
 * } as IncomingMessage;
 * checkOrigin(req, false); // the page itself: fine
 * ```
 */
export function checkOrigin(req: IncomingMessage, authorized: boolean): void {
  if (authorized || !changesState(req.method ?? "GET")) return;
  const h = req.headers;
  const own = `http://${String(h.host ?? "").toLowerCase()}`;
  const origin = h.origin;
  const site = h["sec-fetch-site"];
  const mode = h["sec-fetch-mode"];
  const why = origin !== undefined && origin.toLowerCase() !== own
    ? `Origin ${JSON.stringify(origin)} is not this API's origin ${own}`
    : site !== undefined && site !== "same-origin" && site !== "none"
    ? `Sec-Fetch-Site is ${JSON.stringify(site)}, not same-origin`
    : mode === "navigate" || mode === "no-cors"
    ? `Sec-Fetch-Mode ${mode}: a form or a no-cors request`
    : undefined;
  if (why !== undefined) {
    throw new ControlHttpError(
      403,
      "forbidden_origin",
      `${why}; a request that changes state must come from the API's own page or carry Authorization: Bearer <token>`,
    );
  }
}
