/**
 * One raw HTTP request to a control server, with exactly the headers a
 * browser or an attacker would send (`Host`, `Origin`, `Sec-Fetch-*`, any
 * `Content-Type`), which `fetch` may not set.
 */
import { type IncomingHttpHeaders, request } from "node:http";
import { bounded } from "./raw_client.ts";

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  // deno-lint-ignore no-explicit-any
  body: any;
}

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

/**
 * Send `r` to the server at `base`; an event stream answers with its
 * status and headers only (the stream is closed at once).
 */
export function raw(base: string, r: RawRequest): Promise<RawAnswer> {
  const u = new URL(base);
  return bounded(
    new Promise<RawAnswer>((resolve, reject) => {
      const req = request({
        host: u.hostname,
        port: u.port,
        method: r.method ?? "GET",
        path: r.path,
        agent: false,
        headers: {
          ...(r.body === undefined
            ? {}
            : { "content-length": String(Buffer.byteLength(r.body)) }),
          ...r.headers,
        },
      }, (res) => {
        const answer = { status: res.statusCode ?? 0, headers: res.headers };
        if (/event-stream/.test(String(res.headers["content-type"]))) {
          res.destroy();
          resolve({ ...answer, text: "", body: undefined });
          return;
        }
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = text ? JSON.parse(text) : undefined;
          } catch {
            body = undefined;
          }
          resolve({ ...answer, text, body });
        });
        res.on("error", reject);
      });
      req.on("error", reject);
      req.end(r.body);
    }),
    5000,
    `${r.method ?? "GET"} ${r.path}`,
  );
}
