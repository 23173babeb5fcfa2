/**
 * The control API over HTTP: info and state, stubs CRUD, faults, the
 * journal (filters, counts, bounded long-poll), reset, errors, limits and
 * the token rule.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { get, type IncomingMessage, request } from "node:http";
import type { FlowNotStartedError } from "../mod.ts";
import { ControlConfigError, type MockControlError } from "../src/mock/mod.ts";
import { startControlServer } from "../src/mock/control/control_server.ts";
import { MAX_WAIT_MS } from "../src/mock/control/journal.ts";
import { MockBus } from "../src/mock/mod.ts";
import { apiRoutes, type ControlParts } from "../src/mock/control/routes.ts";
import { mockOptions } from "../src/cli/cmd_mock.ts";
import { readFileSync } from "node:fs";
import { bounded, RawClient } from "./shared/raw_client.ts";
import {
  call,
  connectedClient,
  controlEnv,
  invoke,
  rawPresenceSession,
} from "./shared/control_env.ts";

const A = "/api/v1";

describe("mock control - API", () => {
  test("mock control - info, state without passwords, 404 and 405 as JSON errors", async () => {
    await using env = await controlEnv({ users: { alice: "s3cret-pw" } });
    const info = await call(env.url, "GET", A);
    assert.equal(info.status, 200);
    assert.equal(info.body.maxWaitMs, MAX_WAIT_MS);
    const state = await env.control.state();
    assert.deepEqual(state.nodes.map((n) => [n.unitId, n.running, n.users]), [
      [0, true, ["alice"]],
      [1, true, ["alice"]],
    ]);
    assert.deepEqual(
      state.ipscs.map((i) => [i.unitId, i.processIndex, i.connected]),
      [[0, 0, true]],
    );
    assert.ok(!JSON.stringify(state).includes("s3cret-pw"));
    const missing = await call(env.url, "GET", `${A}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, "not_found");
    const wrong = await call(env.url, "PATCH", `${A}/stubs`);
    assert.equal(wrong.status, 405);
    assert.equal(wrong.body.error.code, "method_not_allowed");
    const page = await fetch(env.url + "/");
    assert.match(await page.text(), /SmartBus mock inspector/);
  });

  test("mock control - stubs: add, get, list, replace, remove, clear; bad ones are 400, unknown 404", async () => {
    await using env = await controlEnv();
    const { control } = env;
    const a = await control.stubs.add({
      project: "ivr",
      flow: "x",
      reply: { result: [1] },
    });
    assert.equal(a.id, "stub-1");
    assert.deepEqual(a.ipsc, { unitId: 0, processIndex: 0 });
    const b = await control.stubs.add({
      id: "mine",
      project: "ivr",
      flow: "y",
      replies: [{ error: -3 }, { result: [] }],
    });
    assert.equal(b.id, "mine");
    assert.deepEqual((await control.stubs.list()).map((s) => s.id), [
      "stub-1",
      "mine",
    ]);
    const replaced = await control.stubs.replace("mine", {
      project: "ivr",
      flow: "z",
      reply: { noAnswer: true },
    });
    assert.equal(replaced.flow, "z");
    assert.equal((await control.stubs.get("mine")).flow, "z");
    await control.stubs.remove("stub-1");
    await assert.rejects(
      control.stubs.get("stub-1"),
      (e: MockControlError) => e.status === 404 && e.code === "not_found",
    );
    await assert.rejects(
      control.stubs.remove("stub-1"),
      (e: MockControlError) => e.status === 404,
    );
    for (
      const spec of [
        { project: "ivr", flow: "f" },
        { project: "ivr", flow: "f", reply: { result: 1 } },
        { project: "ivr", flow: "f", reply: { notStarted: 1 } },
        { project: "ivr", flow: "f", reply: { notStarted: -1, delayMs: 5 } },
        { project: "", flow: "f", reply: { result: [] } },
        { project: "p", flow: "f", reply: { result: [] }, extra: 1 },
        {
          project: "p",
          flow: "f",
          reply: { result: [] },
          ipsc: { unitId: 9, processIndex: 9 },
        },
        {
          project: "p",
          flow: "f",
          reply: { result: [] },
          match: { paramsAt: { 0: { $regex: "(" } } },
        },
      ]
    ) {
      const r = await call(env.url, "POST", `${A}/stubs`, spec);
      assert.equal(r.status, 400, JSON.stringify(spec));
      assert.equal(r.body.error.code, "invalid_stub");
    }
    await control.stubs.clear();
    assert.deepEqual(await control.stubs.list(), []);
  });

  test("mock control - journal: filters, counts, a wait that sees a later call, a wait that times out", async () => {
    await using env = await controlEnv();
    using c30 = await connectedClient(env.server, 30);
    using c31 = await connectedClient(env.server, 31);
    const waiting = env.control.journal.waitFor("flowCalls", {
      flow: "base",
      unit: 31,
      state: "responded",
    }, { timeoutMs: 3000 });
    assert.deepEqual(await invoke(c30.client, "base", ["a"]), [
      "from the flow file",
    ]);
    await invoke(c30.client, "base", ["a"]);
    await invoke(c31.client, "base", ["b", 2]);
    const [seen] = await waiting;
    assert.deepEqual(seen.paramList, ["b", 2]);
    assert.deepEqual(seen.resultList, ["from the flow file"]);
    const j = env.control.journal;
    assert.equal(await j.count("flowCalls", { unit: 30 }), 2);
    assert.equal(
      await j.count("flowCalls", { flow: "base", params: ["a"] }),
      2,
    );
    assert.equal(await j.count("flowCalls", { params: ["b", 2] }), 1);
    assert.equal((await j.find("flowCalls", { limit: 1 }))[0].from.unitId, 31);
    c30.client.send(1, 3, 31, 1, 4, "hello 31");
    const [msg] = await j.waitFor("messages", { fromUnit: 30, toUnit: 31 });
    assert.equal(msg.text, "hello 31");
    assert.equal(atob(msg.base64), "hello 31\0"); // as sent: a C string
    assert.equal(await j.count("messages", { unit: 31, text: "hello" }), 1);
    const t0 = Date.now();
    const late = await call(
      env.url,
      "GET",
      `${A}/journal/flow-calls/wait?flow=never&timeoutMs=150`,
    );
    assert.equal(late.status, 408);
    assert.equal(late.body.error.code, "wait_timeout");
    assert.equal(late.body.error.matched, 0);
    assert.ok(Date.now() - t0 >= 140);
    for (
      const q of [
        "flow-calls?text=x",
        "messages?flow=x",
        "flow-calls?unit=abc",
        "flow-calls?params=nojson",
        "flow-calls/wait?count=0",
        "flow-calls/wait?timeoutMs=-1",
      ]
    ) {
      const r = await call(env.url, "GET", `${A}/journal/${q}`);
      assert.equal(r.status, 400, q);
      assert.equal(r.body.error.code, "invalid_query", q);
    }
    assert.equal(
      (await call(env.url, "GET", `${A}/journal/bogus`)).status,
      404,
    );
    await j.clear();
    assert.equal(await j.count("flowCalls"), 0);
    assert.equal(await j.count("messages"), 0);
  });

  test("mock control - a journal kind is named as its URL names it: in GET /api/v1, a 408, a 404", async () => {
    await using env = await controlEnv();
    const info = await call(env.url, "GET", A);
    assert.deepEqual(info.body.journal, [
      "messages",
      "flow-calls",
      "notifications",
      "presence",
    ]);
    for (const kind of info.body.journal) {
      const r = await call(env.url, "GET", `${A}/journal/${kind}/count`);
      assert.equal(r.status, 200, kind);
    }
    const late = await call(
      env.url,
      "GET",
      `${A}/journal/flow-calls/wait?flow=never&timeoutMs=50`,
    );
    assert.equal(late.status, 408);
    assert.equal(
      late.body.error.message,
      "waited 50 ms for 1 matching flow-calls record(s), 0 came",
    );
    const none = await call(env.url, "GET", `${A}/journal/bogus`);
    assert.equal(none.status, 404);
    assert.equal(
      none.body.error.message,
      "no journal bogus; one of messages, flow-calls, notifications, presence",
    );
    // The spelling of old still answers, and is not shown.
    const old = await call(env.url, "GET", `${A}/journal/flowCalls/count`);
    assert.equal(old.status, 200);
  });

  test("mock control - a wait's timeout is capped", async () => {
    await using env = await controlEnv();
    const ac = new AbortController();
    // Asked for an hour: the server holds it at most MAX_WAIT_MS; here the
    // client gives up first, and the server ends the poll with the socket.
    const poll = env.control.journal.waitFor("presence", { unit: 47 }, {
      timeoutMs: 3_600_000,
      signal: ac.signal,
    }).catch((e) => (e as Error).name);
    setTimeout(() => ac.abort(), 50);
    assert.equal(await bounded(poll, 2000, "aborted poll"), "AbortError");
  });

  test("mock control - faults: nodes, links, clients, rules, IPSC modes, heal all; bad arguments are 400", async () => {
    await using env = await controlEnv();
    const f = env.control.faults;
    using c = await connectedClient(env.server, 30);
    const lost = new Promise<void>((resolve) =>
      c.client.on("disconnect", () => resolve())
    );
    await f.stopNode(0);
    await bounded(lost, 2000, "client hears its node stop");
    assert.deepEqual((await f.state()).stoppedNodes, [0]);
    await f.startNode(0);
    await f.cutLink(0, 1);
    assert.deepEqual((await f.state()).cutLinks, [[0, 1]]);
    await f.healLink(0, 1);
    await f.cutClient({ unitId: 30, clientId: 1 }, { node: 1 });
    assert.deepEqual((await f.state()).cutClients, [
      { unitId: 30, clientId: 1, node: 1 },
    ]);
    await f.healClient({ unitId: 30, clientId: 1 });
    const lat = await f.latency({ baseMs: 5, jitterMs: 1 });
    const drop = await f.dropShare(0.5, { kinds: ["data"] });
    assert.deepEqual((await f.state()).rules.map((r) => [r.id, r.type]), [
      [lat, "latency"],
      [drop, "drops"],
    ]);
    await f.removeRule(lat);
    await assert.rejects(
      f.removeRule(lat),
      (e: MockControlError) => e.status === 404,
    );
    await f.ipsc("crashed");
    assert.equal((await env.control.state()).ipscs[0].connected, false);
    await f.ipsc("normal");
    assert.equal((await env.control.state()).ipscs[0].connected, true);
    await f.ipsc("silent");
    await f.stopNode(1);
    await f.cutLink(0, 1);
    assert.equal((await f.state()).active, true);
    await f.healAll();
    const healed = await f.state();
    assert.equal(healed.active, false);
    assert.deepEqual(healed.rules, []);
    for (
      const [path, body] of [
        ["/nodes/99/stop", undefined],
        ["/faults/links/cut", { a: 0, b: 0 }],
        ["/faults/links/cut", { a: 0 }],
        ["/faults/clients/cut", { unitId: "x", clientId: 1 }],
        ["/faults/latency", { baseMs: -1 }],
        ["/faults/drops", { share: 2 }],
        ["/faults/drops", { share: 0.1, kinds: ["bogus"] }],
        ["/faults/ipsc", { mode: "sleepy" }],
        ["/faults/ipsc", { mode: "late", unitId: 5, processIndex: 5 }],
        ["/faults/links/cut", [1, 2]],
      ] as const
    ) {
      const r = await call(env.url, "POST", A + path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(r.body.error.code, "invalid_argument");
    }
    const word = await call(env.url, "POST", `${A}/faults/clients/cut`, {
      unitId: "x",
      clientId: 1,
    });
    assert.equal(
      word.body.error.message,
      'unitId must be an integer 0–255, got "x"',
    );
    const kick = await call(env.url, "POST", `${A}/clients/kick`, {
      unitId: 40,
      clientId: 1,
    });
    assert.equal(kick.status, 404);
  });

  test("mock control - presence over TCP: connect, refused, disconnect; no password anywhere", async () => {
    await using env = await controlEnv({ users: { alice: "pa55word" } });
    const port = env.server.addresses[0].port;
    assert.equal(
      await rawPresenceSession(port, "pa55word", "my password is pa55word"),
      0,
      "registered at node 0",
    );
    const j = env.control.journal;
    const [gone] = await j.waitFor("presence", { event: "disconnect" });
    assert.deepEqual(gone.address, { unitId: 20, clientId: 2, clientType: 4 });
    const events = await j.find("presence", { unit: 20 });
    assert.deepEqual(events.map((e) => [e.event, e.address.clientId]), [
      ["refused", 1],
      ["connect", 2],
      ["disconnect", 2],
    ]);
    assert.equal(events[0].code, -6);
    assert.equal(events[1].user, "alice");
    const all = JSON.stringify([
      events,
      await j.find("messages"),
      await env.control.state(),
    ]);
    assert.ok(!all.includes("pa55word"), all);
  });

  test("mock control - reset: the flows it started with, no stubs, empty journal, faults healed", async () => {
    await using env = await controlEnv();
    const { control } = env;
    await control.stubs.add({
      project: "ivr",
      flow: "base",
      reply: { notStarted: -7 },
    });
    {
      using c = await connectedClient(env.server, 30);
      await assert.rejects(
        invoke(c.client, "base"),
        (e: FlowNotStartedError) => e.ack === -7,
      );
    }
    await control.faults.stopNode(1);
    await control.faults.latency({ baseMs: 10 });
    await control.reset();
    const state = await control.state();
    assert.deepEqual(state.stubs, []);
    assert.equal(state.faults.active, false);
    assert.equal(await control.journal.count("flowCalls"), 0);
    using c = await connectedClient(env.server, 30);
    assert.deepEqual(await invoke(c.client, "base"), ["from the flow file"]);
  });

  test("mock control - limits: 413 past the body limit, 415 without JSON, 400 on bad JSON", async () => {
    await using env = await controlEnv({
      control: { port: 0, maxBodyBytes: 1024 },
    });
    const big = await call(env.url, "POST", `${A}/stubs`, {
      project: "p",
      flow: "f",
      reply: { result: ["x".repeat(2000)] },
    });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, "body_too_large");
    assert.equal((await env.control.stubs.list()).length, 0);
    const text = await fetch(`${env.url}${A}/stubs`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    assert.equal(text.status, 415);
    await text.body?.cancel();
    const broken = await call(env.url, "POST", `${A}/stubs`, "{nope");
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, "invalid_json");
    // fetch cannot set Host: a DNS-rebound page would send its own name.
    const rebinding = await new Promise<number>((resolve, reject) => {
      const u = new URL(env.url);
      request({
        host: u.hostname,
        port: u.port,
        path: A,
        headers: { host: "evil.example" },
      }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }).on("error", reject).end();
    });
    assert.equal(rebinding, 403);
  });

  test("mock control - token: 401 without it, fine with it; a non-loopback address without one is refused", async () => {
    await using env = await controlEnv({
      control: { port: 0, token: "t0k3n" },
    });
    const none = await call(env.url, "GET", `${A}/state`);
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, "unauthorized");
    const wrong = await call(env.url, "GET", `${A}/state`, undefined, {
      authorization: "Bearer nope",
    });
    assert.equal(wrong.status, 401);
    assert.equal((await env.control.state()).nodes.length, 2);
    // Only the event stream takes it in the URL (mock_control_http.test.ts).
    const viaQuery = await call(env.url, "GET", `${A}?access_token=t0k3n`);
    assert.equal(viaQuery.status, 401);
    const bus = new MockBus();
    await assert.rejects(
      startControlServer(bus, { host: "0.0.0.0", port: 0 }),
      ControlConfigError,
    );
    const open = await startControlServer(bus, {
      host: "0.0.0.0",
      port: 0,
      token: "x",
    });
    await open.close();
  });

  test("mock control - every route is in the OpenAPI document, and the document names no route that is not", () => {
    const doc = JSON.parse(
      readFileSync(
        new URL("../docs/control-api.openapi.json", import.meta.url),
        "utf8",
      ),
    );
    const served = apiRoutes({} as ControlParts).map((r) =>
      `${r.method} ${r.path.replace(/:(\w+)/g, "{$1}")}`
    ).concat(
      "GET /api/v1/events",
      "GET /",
      "GET /inspector",
      "GET /favicon.ico",
    ).sort();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops as object).filter((k) => k !== "parameters").map((m) =>
        `${m.toUpperCase()} ${path}`
      )
    ).sort();
    assert.deepEqual(documented, served);
  });

  test("mock control - smartbus mock --control and --control-token (or SMARTBUS_CONTROL_TOKEN)", () => {
    assert.equal(mockOptions([]).control, undefined);
    assert.deepEqual(mockOptions(["--control", "127.0.0.1:0"]).control, {
      host: "127.0.0.1",
      port: 0,
      token: undefined,
    });
    assert.equal(
      mockOptions(["--control", "0.0.0.0:9000"], {
        SMARTBUS_CONTROL_TOKEN: "env",
      }).control?.token,
      "env",
    );
    assert.equal(
      mockOptions(["--control", "9000", "--control-token", "flag"], {
        SMARTBUS_CONTROL_TOKEN: "env",
      }).control?.token,
      "flag",
    );
  });

  test("mock control - a reset tells the event stream at once, and no later tick shows what came before", async () => {
    await using env = await controlEnv({ control: { port: 0, tickMs: 200 } });
    const ac = new AbortController();
    const res = await fetch(`${env.url}${A}/events`, { signal: ac.signal });
    const reader = res.body!.getReader();
    let text = "";
    const until = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        text += new TextDecoder().decode(value);
      }
    };
    try {
      await bounded(until(/event: state\n/), 2000, "state");
      using c = await connectedClient(env.server, 30);
      // A flow call, a sampled message and a login: all before the reset.
      await invoke(c.client, "base", ["before-reset"]);
      c.client.send(1, 3, 40, 1, 4, "before-reset");
      const raw = await RawClient.open(env.server.addresses[0].port);
      assert.equal(await raw.login(7, null, null), 0);
      await env.control.journal.waitFor("messages", { text: "before-reset" });
      await env.control.reset();
      raw.socket.destroy();
      const reset = /event: reset\ndata: \{\}\n\n/;
      await bounded(until(reset), 2000, "a reset event");
      await bounded(
        until(/event: reset[\s\S]*event: tick/),
        2000,
        "a tick after it",
      );
      const after = text.slice(text.search(reset));
      assert.ok(!after.includes("before-reset"), after);
      assert.ok(!/"event":"connect"/.test(after), after);
    } finally {
      ac.abort();
    }
  });

  test("mock control - event stream: state first, then ticks carrying flow calls; subscribers are capped", async () => {
    await using env = await controlEnv({ control: { port: 0, tickMs: 40 } });
    const ac = new AbortController();
    const res = await fetch(`${env.url}${A}/events`, { signal: ac.signal });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/event-stream/);
    const reader = res.body!.getReader();
    let text = "";
    const until = async (pattern: RegExp): Promise<void> => {
      while (!pattern.test(text)) {
        const { value, done } = await reader.read();
        if (done) throw new Error("stream ended");
        text += new TextDecoder().decode(value);
      }
    };
    await bounded(until(/^retry: 1000\nevent: state\ndata: \{/), 2000, "state");
    using c = await connectedClient(env.server, 30);
    await invoke(c.client, "base", ["sse"]);
    await bounded(
      until(/event: tick\ndata: .*"flow":"base".*"state":"responded"/),
      2000,
      "a tick with the flow call",
    );
    // Raw requests, kept referenced: a collected response would close its
    // stream and free its slot.
    const open: IncomingMessage[] = [];
    const subscribe = (): Promise<IncomingMessage> =>
      new Promise((resolve, reject) => {
        get(`${env.url}${A}/events`, (res) => {
          open.push(res);
          resolve(res);
        }).on("error", reject);
      });
    try {
      for (let i = 0; i < 15; i++) {
        assert.equal((await subscribe()).statusCode, 200);
      }
      const refused = await bounded(subscribe(), 2000, "the 17th subscriber");
      assert.equal(refused.statusCode, 503);
    } finally {
      for (const res of open) res.destroy();
      ac.abort();
    }
  });
});
