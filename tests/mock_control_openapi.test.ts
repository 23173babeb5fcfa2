/**
 * The OpenAPI document against real answers: every route gets at least
 * one request that succeeds and one that fails, and every status received
 * must be listed for that route and method in
 * `docs/control-api.openapi.json`.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { connectedClient, controlEnv, invoke } from "./shared/control_env.ts";
import { raw, type RawRequest } from "./shared/raw_http.ts";

const A = "/api/v1";
const LIMIT = 4096;

interface Doc {
  paths: Record<
    string,
    Record<string, { responses?: Record<string, unknown> }>
  >;
  components: { responses: Record<string, unknown> };
}

const doc: Doc = JSON.parse(
  readFileSync(
    new URL("../docs/control-api.openapi.json", import.meta.url),
    "utf8",
  ),
);

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options"];

/** "METHOD /template" → the statuses the document lists for it. */
const documented = new Map<string, Set<number>>(
  Object.entries(doc.paths).flatMap(([path, item]) =>
    Object.entries(item).filter(([m]) => METHODS.includes(m)).map((
      [m, op],
    ) => [
      `${m.toUpperCase()} ${path}`,
      new Set(Object.keys(op.responses ?? {}).map(Number)),
    ])
  ),
);

/** The documented path template `path` (without its query) falls under. */
function templateOf(path: string): string | undefined {
  const bare = path.split("?")[0];
  const matches = Object.keys(doc.paths).filter((t) =>
    new RegExp(`^${t.replace(/\{\w+\}/g, "[^/]+")}$`).test(bare)
  );
  // A literal path wins over a template (none overlap today).
  return matches.find((t) => !t.includes("{")) ?? matches[0];
}

/** A concrete path for a template (parameters need not exist). */
const concrete = (template: string): string =>
  template.replace("{id}", "nope").replace("{unit}", "0").replace(
    "{kind}",
    "messages",
  );

describe("mock control - OpenAPI document against real answers", () => {
  test("mock control - each route answers a good and a bad request, only with statuses the document lists for it", async () => {
    await using env = await controlEnv({
      control: { port: 0, maxBodyBytes: LIMIT },
    });
    await using tok = await controlEnv({
      control: { port: 0, token: "t0k3n" },
    });
    const seen = new Map<string, number[]>();
    const check = async (
      base: string,
      r: RawRequest,
      expect: number,
      // deno-lint-ignore no-explicit-any
    ): Promise<any> => {
      const method = r.method ?? "GET";
      const template = templateOf(r.path);
      const op = `${method} ${template}`;
      const listed = documented.get(op);
      assert.ok(listed, `${op} (${r.path}) is not in the document`);
      const answer = await raw(base, r);
      assert.ok(
        listed.has(answer.status),
        `${op} answered ${answer.status}, which the document does not list (${
          [...listed].join(", ")
        }): ${answer.text}`,
      );
      assert.equal(
        answer.status,
        expect,
        `${method} ${r.path}: ${answer.text}`,
      );
      seen.set(op, [...seen.get(op) ?? [], answer.status]);
      return answer.body;
    };
    const json = (method: string, path: string, body: unknown): RawRequest => ({
      method,
      path,
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const post = (path: string, body?: unknown): RawRequest =>
      body === undefined ? { method: "POST", path } : json("POST", path, body);
    const u = env.url;

    // Good requests, in an order that gives each the state it needs.
    await check(u, { path: "/" }, 200);
    await check(u, { path: "/inspector" }, 200);
    await check(u, { path: "/favicon.ico" }, 204);
    await check(u, { path: A }, 200);
    await check(u, { path: `${A}/state` }, 200);
    await check(u, { path: `${A}/clients/stats?unit=20` }, 200);
    await check(u, { path: `${A}/events` }, 200);
    const stub = { project: "ivr", flow: "x", reply: { result: [1] } };
    await check(u, post(`${A}/stubs`, { ...stub, id: "s1" }), 201);
    await check(u, { path: `${A}/stubs` }, 200);
    await check(u, { path: `${A}/stubs/s1` }, 200);
    await check(u, json("PUT", `${A}/stubs/s1`, stub), 200);
    await check(u, { method: "DELETE", path: `${A}/stubs/s1` }, 204);
    await check(u, { method: "DELETE", path: `${A}/stubs` }, 200);
    await check(u, { path: `${A}/faults` }, 200);
    await check(u, post(`${A}/nodes/1/stop`), 200);
    await check(u, post(`${A}/nodes/1/start`), 200);
    await check(u, post(`${A}/faults/links/cut`, { a: 0, b: 1 }), 200);
    await check(u, post(`${A}/faults/links/heal`, { a: 0, b: 1 }), 200);
    const who = { unitId: 30, clientId: 1 };
    await check(u, post(`${A}/faults/clients/cut`, { ...who, node: 1 }), 200);
    await check(u, post(`${A}/faults/clients/heal`, who), 200);
    const { id } = await check(
      u,
      post(`${A}/faults/latency`, { baseMs: 1 }),
      201,
    );
    await check(u, post(`${A}/faults/drops`, { share: 0 }), 201);
    await check(u, { method: "DELETE", path: `${A}/faults/rules/${id}` }, 204);
    await check(u, post(`${A}/faults/ipsc`, { mode: "normal" }), 200);
    await check(u, post(`${A}/faults/heal-all`), 200);
    {
      using c = await connectedClient(env.server, 30);
      await invoke(c.client, "base", ["openapi"]);
      await check(u, post(`${A}/clients/kick`, who), 200);
    }
    await check(u, { path: `${A}/journal/flow-calls?flow=base` }, 200);
    await check(u, { path: `${A}/journal/flow-calls/count` }, 200);
    await check(
      u,
      { path: `${A}/journal/flow-calls/wait?timeoutMs=1000` },
      200,
    );
    await check(u, { method: "DELETE", path: `${A}/journal` }, 200);
    await check(u, post(`${A}/reset`), 200);

    // Bad requests, route by route.
    await check(u, { path: `${A}/clients/stats?unit=x` }, 400);
    await check(u, post(`${A}/stubs`, {}), 400);
    await check(u, { path: `${A}/stubs/nope` }, 404);
    await check(u, { path: `${A}/stubs/%E0%A4%A` }, 400);
    await check(u, json("PUT", `${A}/stubs/s1`, { project: "ivr" }), 400);
    await check(u, { method: "DELETE", path: `${A}/stubs/nope` }, 404);
    await check(u, post(`${A}/nodes/1e0/stop`), 400);
    await check(u, post(`${A}/nodes/5/start`), 404);
    await check(u, post(`${A}/faults/links/cut`, { a: 0 }), 400);
    await check(u, post(`${A}/faults/links/heal`, [0, 1]), 400);
    await check(
      u,
      post(`${A}/faults/clients/cut`, { unitId: "x", clientId: 1 }),
      400,
    );
    await check(u, post(`${A}/faults/clients/heal`, { unitId: 30 }), 400);
    await check(u, post(`${A}/clients/kick`, { unitId: 40, clientId: 1 }), 404);
    await check(u, post(`${A}/faults/latency`, { baseMs: -1 }), 400);
    await check(u, post(`${A}/faults/drops`, { share: 2 }), 400);
    await check(u, { method: "DELETE", path: `${A}/faults/rules/nope` }, 404);
    await check(u, post(`${A}/faults/ipsc`, { mode: "sleepy" }), 400);
    await check(u, post(`${A}/faults/heal-all`, "{nope"), 400);
    await check(u, { path: `${A}/journal/constructor` }, 404);
    await check(u, { path: `${A}/journal/messages?limit=x` }, 400);
    await check(u, { path: `${A}/journal/toString/count` }, 404);
    await check(u, { path: `${A}/journal/messages/count?flow=x` }, 400);
    await check(u, { path: `${A}/journal/presence/wait?timeoutMs=1` }, 408);
    await check(u, { path: `${A}/journal/messages/wait?count=0` }, 400);
    await check(u, {
      method: "DELETE",
      path: `${A}/journal`,
      headers: { "content-type": "text/plain" },
      body: "x",
    }, 415);
    await check(u, {
      method: "POST",
      path: `${A}/reset`,
      headers: { origin: "http://evil.example" },
    }, 403);

    // Bad requests every route can get.
    for (const op of documented.keys()) {
      const [method, template] = op.split(" ");
      const path = concrete(template);
      const api = template.startsWith(A);
      await check(u, { method, path, headers: { host: "evil.example" } }, 403);
      const open = template === "/favicon.ico" ? 204 : 200;
      await check(tok.url, { method, path }, api ? 401 : open);
      await check(u, json(method, path, { x: "x".repeat(LIMIT) }), 413);
      if (method === "GET") continue;
      await check(u, {
        method,
        path,
        headers: { "content-type": "text/plain" },
        body: "{}",
      }, 415);
      await check(u, {
        method,
        path,
        headers: { origin: "http://evil.example" },
      }, 403);
    }

    for (const op of documented.keys()) {
      const statuses = seen.get(op) ?? [];
      assert.ok(statuses.some((s) => s < 300), `${op}: no request succeeded`);
      assert.ok(statuses.some((s) => s >= 400), `${op}: no request failed`);
    }
  });

  test("mock control - a method a path does not list answers 405, as the document says", async () => {
    await using env = await controlEnv();
    assert.ok(doc.components.responses.MethodNotAllowed);
    for (const [path, item] of Object.entries(doc.paths)) {
      const other = METHODS.find((m) => m !== "head" && !(m in item))!;
      const r = await raw(env.url, {
        method: other.toUpperCase(),
        path: concrete(path),
      });
      assert.equal(r.status, 405, `${other} ${path}`);
      assert.equal(r.body.error.code, "method_not_allowed");
    }
  });
});
