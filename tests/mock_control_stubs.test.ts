/**
 * Flow stubs and journal queries in memory (on virtual time), and the
 * proof that the served bus uses the same table: a stub added in process
 * is listed over HTTP and the other way round.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  Client,
  type FlowError,
  FlowNotStartedError,
  silentLogger,
  SmartBus,
} from "../mod.ts";
import {
  FlowStubs,
  InvalidStubError,
  Journal,
  MockBackend,
  MockBus,
  StubLimitError,
  VirtualClock,
  WaitTimeoutError,
} from "../src/mock/mod.ts";
import { FrameKind } from "../src/mock/internal.ts";
import { MAX_WAIT_MS, waitBudget } from "../src/mock/control/journal.ts";
import {
  MAX_STUB_BYTES,
  MAX_STUB_REGEX_STATES,
  MAX_STUBS,
} from "../src/mock/control/stub_limits.ts";
import {
  call,
  connectedClient,
  controlEnv,
  invoke,
} from "./shared/control_env.ts";
import { bounded, RawClient } from "./shared/raw_client.ts";

async function world(): Promise<{
  clock: VirtualClock;
  bus: MockBus;
  stubs: FlowStubs;
  journal: Journal;
  client: Client;
  call(flow: string, params?: unknown[], timeout?: number): Promise<unknown>;
  [Symbol.dispose](): void;
}> {
  const clock = new VirtualClock();
  const bus = new MockBus({ clock, strict: true, logger: () => {} });
  bus.addNode({ unitId: 0, port: 8000 });
  bus.addIpsc({ unitId: 0, processIndex: 0 })
    .flow("ivr", "real", (params) => ["real", ...params]);
  const sb = new SmartBus({
    unitId: 30,
    backend: new MockBackend(bus),
    logger: silentLogger,
  });
  const client = new Client({
    bus: sb,
    localClientId: 1,
    masterHost: "127.0.0.1",
    masterPort: 8000,
  });
  await client.connect();
  /** Settle a call on virtual time: its outcome, or the error's name and code. */
  const call = async (flow: string, params: unknown[] = [], timeout = 1000) => {
    const p = client.invoke(
      { server: 0, process: 0, project: "ivr", flow, params },
      { timeout },
    ).then((v) => v, (e: FlowError) => `${e.name} ${e.code}`);
    await clock.advance(timeout + 10);
    return await p;
  };
  return {
    clock,
    bus,
    stubs: new FlowStubs(bus),
    journal: new Journal(bus),
    client,
    call,
    [Symbol.dispose]: () => {
      client.close();
      sb.close();
    },
  };
}

describe("mock control - stubs in memory", () => {
  test("mock control - a call no stub takes is refused with why each stub of its flow missed", async () => {
    using w = await world();
    // The doc's old example: a stub for the text "10086", a caller that
    // sends the number 10086 (as `smartbus invoke ivr callout 10086` does).
    w.stubs.add({
      id: "as-text",
      project: "ivr",
      flow: "callout",
      match: { paramsAt: { 0: "10086" } },
      reply: { result: ["text"] },
    });
    w.stubs.add({
      id: "by-regex",
      project: "ivr",
      flow: "callout",
      match: { paramsAt: { 0: { $regex: "^100" } } },
      reply: { result: ["regex"] },
    });
    const missed = await w.client.invoke({
      server: 0,
      process: 0,
      project: "ivr",
      flow: "callout",
      params: [10086],
    }, { timeout: 1000 }).catch((e: FlowNotStartedError) => e);
    assert.ok(missed instanceof FlowNotStartedError);
    assert.equal(missed.ack, -1);
    assert.equal(
      missed.reason,
      'no stub of ivr/callout matches [10086]; as-text: paramsAt.0 wants "10086", got 10086 (a string against a number: { "$text": "10086" } takes either); by-regex: paramsAt.0 10086 does not match $regex "^100" (a $regex tests strings only)',
    );
    // The journal keeps the same reason with the call.
    const [rec] = await w.journal.find("flowCalls", { flow: "callout" });
    assert.equal(rec.ackMessage, missed.reason);
    // $text takes the number and its text alike.
    w.stubs.add({
      id: "either",
      project: "ivr",
      flow: "callout",
      priority: 1,
      match: { paramsAt: { 0: { $text: "10086" } } },
      reply: { result: ["either"] },
    });
    assert.deepEqual(await w.call("callout", [10086]), ["either"]);
    assert.deepEqual(await w.call("callout", ["10086"]), ["either"]);
    assert.throws(
      () =>
        w.stubs.add({
          project: "ivr",
          flow: "callout",
          match: { paramsAt: { 0: { $text: 10086 } } },
          reply: { result: [] },
        }),
      /paramsAt\.0\.\$text must be a string/,
    );
  });

  test("mock control - each kind of reply reaches the caller", async () => {
    using w = await world();
    w.stubs.add({ project: "ivr", flow: "ok", reply: { result: ["hi", 1] } });
    w.stubs.add({ project: "ivr", flow: "err", reply: { error: -3 } });
    w.stubs.add({
      project: "ivr",
      flow: "busy",
      reply: { notStarted: -5, message: "busy" },
    });
    w.stubs.add({ project: "ivr", flow: "silent", reply: { noAnswer: true } });
    w.stubs.add({ project: "ivr", flow: "mute", reply: { noAck: true } });
    assert.deepEqual(await w.call("ok"), ["hi", 1]);
    // A failure goes in the acknowledge: no result frame carries a code.
    assert.equal(await w.call("err"), "FlowNotStartedError -3");
    const busy = w.client.invoke({
      server: 0,
      process: 0,
      project: "ivr",
      flow: "busy",
    }).catch((e: FlowNotStartedError) => [e.name, e.ack]);
    assert.deepEqual(await busy, ["FlowNotStartedError", -5]);
    assert.match(String(await w.call("silent")), /^FlowTimeoutError/);
    assert.match(String(await w.call("mute")), /^FlowTimeoutError/);
    const states = w.journal.find("flowCalls").map((c) => [c.flow, c.state]);
    assert.deepEqual(states, [
      ["ok", "responded"],
      ["err", "errored"],
      ["busy", "errored"],
      ["silent", "unanswered"],
      ["mute", "unanswered"],
    ]);
    assert.equal(w.journal.find("flowCalls", { flow: "silent" })[0].ack, 1);
    assert.equal(
      w.journal.find("flowCalls", { flow: "mute" })[0].ack,
      undefined,
    );
  });

  test("mock control - a delayed reply comes after its delay in bus time", async () => {
    using w = await world();
    w.stubs.add({
      project: "ivr",
      flow: "slow",
      reply: { result: ["late"], delayMs: 400 },
    });
    const p = w.client.invoke({
      server: 0,
      process: 0,
      project: "ivr",
      flow: "slow",
    }, { timeout: 1000 });
    await w.clock.advance(399);
    assert.equal(w.journal.find("flowCalls")[0].state, "acknowledged");
    await w.clock.advance(1);
    assert.deepEqual(await p, ["late"]);
    assert.equal(w.journal.find("flowCalls")[0].answeredAt, 400);
  });

  test("mock control - sequences, cycles, parameter matching, priority and the flow underneath", async () => {
    using w = await world();
    const seq = w.stubs.add({
      project: "ivr",
      flow: "real",
      match: { params: ["seq"] },
      replies: [{ error: -2 }, { result: ["second"] }],
    });
    w.stubs.add({
      project: "ivr",
      flow: "real",
      match: { paramsAt: { 0: { $regex: "^100" } } },
      replies: [{ result: ["a"] }, { result: ["b"] }],
      cycle: true,
    });
    w.stubs.add({
      project: "ivr",
      flow: "real",
      match: { paramsAt: { 0: "vip" }, from: { unitId: 30 } },
      reply: { result: ["vip, low priority"] },
      priority: 9,
    });
    w.stubs.add({
      project: "ivr",
      flow: "real",
      match: { paramsAt: { 0: "vip" } },
      reply: { result: ["vip"] },
      priority: 1,
    });
    assert.equal(await w.call("real", ["seq"]), "FlowNotStartedError -2");
    assert.deepEqual(await w.call("real", ["seq"]), ["second"]);
    assert.deepEqual(await w.call("real", ["seq"]), ["second"]);
    assert.deepEqual(await w.call("real", ["10086"]), ["a"]);
    assert.deepEqual(await w.call("real", ["10010"]), ["b"]);
    assert.deepEqual(await w.call("real", ["100"]), ["a"]);
    assert.deepEqual(await w.call("real", ["vip"]), ["vip"]);
    // No stub takes it: the flow registered on the IPSC answers.
    assert.deepEqual(await w.call("real", ["other"]), ["real", "other"]);
    assert.equal(w.stubs.get(seq.id)!.calls, 3);
    assert.equal(w.journal.count("flowCalls", { params: ["seq"] }), 3);
    assert.equal(
      w.journal.count("flowCalls", { params: ["seq"], state: "errored" }),
      1,
    );
    w.stubs.clear();
    assert.deepEqual(await w.call("real", ["seq"]), ["real", "seq"]);
  });

  test("mock control - a flow with stubs only: unmatched calls are not started; removing the last stub unregisters it", async () => {
    using w = await world();
    const s = w.stubs.add({
      project: "ivr",
      flow: "new",
      match: { params: [1] },
      reply: { result: ["one"] },
    });
    assert.deepEqual(await w.call("new", [1]), ["one"]);
    assert.equal(await w.call("new", [2]), "FlowNotStartedError -1");
    assert.match(
      w.journal.find("flowCalls", { params: [2] })[0].ackMessage!,
      /no stub of ivr\/new matches \[2\]/,
    );
    assert.ok(w.stubs.remove(s.id));
    assert.equal(w.stubs.remove(s.id), false);
    assert.equal(w.bus.ipscs()[0].handler("ivr", "new"), undefined);
    const replaced = w.stubs.replace("x", {
      project: "ivr",
      flow: "real",
      reply: { result: [] },
    });
    assert.equal(replaced.calls, 0);
    assert.throws(
      () =>
        w.stubs.add({
          project: "ivr",
          flow: "f",
          reply: { bogus: 1 } as never,
        }),
      InvalidStubError,
    );
    assert.throws(
      () =>
        w.stubs.add({
          project: "ivr",
          flow: "f",
          priority: 1.5,
          reply: { result: [] },
        }),
      {
        name: "InvalidStubError",
        message: "stub: priority must be an integer 0–1000, got 1.5",
      },
    );
  });

  test("mock control - journal in memory: waitFor resolves when the record comes, times out otherwise, capped", async () => {
    using w = await world();
    w.stubs.add({ project: "ivr", flow: "ok", reply: { result: [] } });
    const waited = w.journal.waitFor("flowCalls", { flow: "ok" }, {
      count: 2,
      timeoutMs: 2000,
    });
    await w.call("ok");
    await w.call("ok");
    assert.equal((await waited).length, 2);
    await assert.rejects(
      w.journal.waitFor("flowCalls", { flow: "nope" }, { timeoutMs: 20 }),
      (e: WaitTimeoutError) => e instanceof WaitTimeoutError && e.matched === 0,
    );
    assert.equal(waitBudget(10 ** 9), MAX_WAIT_MS);
    w.journal.clear();
    assert.equal(w.journal.count("flowCalls"), 0);
    await w.call("ok");
    assert.equal(w.journal.count("flowCalls"), 1);
  });
});

describe("mock control - one table for both", () => {
  test("mock control - a stub added in process is listed over HTTP, and one added over HTTP answers in process", async () => {
    await using env = await controlEnv();
    const local = env.server.control!.stubs.add({
      project: "ivr",
      flow: "base",
      match: { params: ["local"] },
      reply: { result: ["local stub"] },
    });
    const remote = await env.control.stubs.add({
      project: "ivr",
      flow: "base",
      match: { params: ["remote"] },
      reply: { result: ["remote stub"] },
    });
    assert.deepEqual((await env.control.stubs.list()).map((s) => s.id), [
      local.id,
      remote.id,
    ]);
    using c = await connectedClient(env.server, 30);
    assert.deepEqual(await invoke(c.client, "base", ["local"]), [
      "local stub",
    ]);
    assert.deepEqual(await invoke(c.client, "base", ["remote"]), [
      "remote stub",
    ]);
    assert.deepEqual(await invoke(c.client, "base", ["else"]), [
      "from the flow file",
    ]);
    assert.equal(env.server.control!.stubs.get(remote.id)!.calls, 1);
    assert.equal(
      env.server.control!.journal.count("flowCalls", { flow: "base" }),
      await env.control.journal.count("flowCalls", { flow: "base" }),
    );
  });
});

/** A table over a bus with one IPSC, for the caps. */
function bareStubs(): FlowStubs {
  const bus = new MockBus();
  bus.addNode({ unitId: 0, port: 8000 });
  bus.addIpsc({ unitId: 0, processIndex: 0 });
  return new FlowStubs(bus);
}

const isLimit =
  (code: string, limit: number, message: RegExp) => (e: unknown): boolean =>
    e instanceof StubLimitError && e.code === code && e.limit === limit &&
    message.test(e.message);

describe("mock control - caps on stubs", () => {
  test("mock control - past MAX_STUBS a stub is refused and the table stays at the cap; replacing needs no room", () => {
    const stubs = bareStubs();
    for (let i = 0; i < MAX_STUBS; i++) {
      stubs.add({ project: "p", flow: `f${i % 7}`, reply: { result: [i] } });
    }
    for (let i = 0; i < 100; i++) {
      assert.throws(
        () => stubs.add({ project: "p", flow: "g", reply: { result: [] } }),
        isLimit("too_many_stubs", 1000, /holds at most 1000 stubs/),
      );
    }
    assert.equal(stubs.list().length, MAX_STUBS);
    assert.equal(stubs.list().some((s) => s.flow === "g"), false);
    const again = stubs.replace("stub-1", {
      project: "p",
      flow: "g",
      reply: { result: ["replaced"] },
    });
    assert.equal(again.flow, "g");
    assert.ok(stubs.remove("stub-2"));
    stubs.add({ project: "p", flow: "g", reply: { result: [] } });
    assert.equal(stubs.list().length, MAX_STUBS);
  });

  test("mock control - a flood of large stubs stops at MAX_STUB_BYTES; a refused replacement leaves the stub it would replace", () => {
    const stubs = bareStubs();
    const big = "x".repeat(60 * 1024);
    let added = 0;
    for (; added < 1000; added++) {
      try {
        stubs.add({
          id: `big-${added}`,
          project: "p",
          flow: "f",
          reply: { result: [big] },
        });
      } catch (e) {
        assert.ok(
          isLimit("stubs_too_large", MAX_STUB_BYTES, /at most 8388608 bytes/)(
            e,
          ),
          String(e),
        );
        break;
      }
    }
    // Filled to within one stub of the cap, never past it.
    const held = JSON.stringify(stubs.list()).length;
    assert.ok(held <= MAX_STUB_BYTES, `${held} bytes held`);
    assert.ok(held > MAX_STUB_BYTES - 2 * big.length, `${held} bytes held`);
    const before = stubs.get("big-0");
    assert.throws(
      () =>
        stubs.replace("big-0", {
          project: "p",
          flow: "other",
          reply: { result: [big, big] },
        }),
      StubLimitError,
    );
    assert.deepEqual(stubs.get("big-0"), before);
    assert.throws(
      () =>
        stubs.replace("big-0", {
          project: "p",
          flow: "f",
          ipsc: { unitId: 9, processIndex: 0 },
          reply: { result: [] },
        }),
      /no mock IPSC 9:0/,
    );
    assert.deepEqual(stubs.get("big-0"), before);
    assert.equal(stubs.list().length, added);
    stubs.clear();
    stubs.add({ project: "p", flow: "f", reply: { result: [big] } });
  });

  test("mock control - the patterns of all stubs compile to at most MAX_STUB_REGEX_STATES states", () => {
    const stubs = bareStubs();
    const add = () =>
      stubs.add({
        project: "p",
        flow: "f",
        match: { paramsAt: { 0: { $regex: "\\d{1000}" } } }, // 1,000 states
        reply: { result: [] },
      });
    for (let i = 0; i < MAX_STUB_REGEX_STATES / 1000; i++) add();
    assert.throws(
      add,
      isLimit("stubs_too_large", MAX_STUB_REGEX_STATES, /20000 states/),
    );
    assert.equal(stubs.list().length, MAX_STUB_REGEX_STATES / 1000);
  });
});

describe("mock control - stubs over HTTP: patterns and caps", () => {
  test("mock control - a $regex that is not a string, has other fields or cannot run in linear time: 400 invalid_stub", async () => {
    await using env = await controlEnv();
    const post = (want: unknown) =>
      call(env.url, "POST", "/api/v1/stubs", {
        project: "ivr",
        flow: "x",
        match: { paramsAt: { 0: want } },
        reply: { result: [] },
      });
    const cases: [unknown, RegExp][] = [
      [{ $regex: 5 }, /\$regex must be a string \(a pattern\), got 5/],
      [{ $regex: "^1", $options: "i" }, /"\$options" is not an operator/],
      [{ $regex: "^1", extra: true }, /"extra" next to \$regex/],
      [{ $regex: "(a)\\1" }, /backreference \\1 at 3 cannot be matched/],
      [{ $regex: "x(?=y)" }, /lookahead \(\?= at 1/],
      [{ $regex: "a{5000}" }, /compiles to more than 1000 states/],
    ];
    for (const [want, message] of cases) {
      const r = await post(want);
      assert.equal(r.status, 400, JSON.stringify(want));
      assert.equal(r.body.error.code, "invalid_stub");
      assert.match(r.body.error.message, message);
    }
    assert.deepEqual(await env.control.stubs.list(), []);
  });

  test("mock control - past a cap POST and PUT answer 413 with the cap's code and value; /state stays within the byte cap", async () => {
    await using env = await controlEnv();
    const big = "x".repeat(60 * 1024);
    let last: { status: number; body: { error: Record<string, unknown> } };
    let posted = 0;
    do {
      last = await call(env.url, "POST", "/api/v1/stubs", {
        project: "ivr",
        flow: "x",
        reply: { result: [big] },
      });
    } while (last.status === 201 && ++posted < 1000);
    assert.equal(last.status, 413);
    assert.equal(last.body.error.code, "stubs_too_large");
    assert.equal(last.body.error.limit, MAX_STUB_BYTES);
    assert.match(String(last.body.error.message), /MAX_STUB_BYTES, 8 MiB/);
    const state = await fetch(`${env.url}/api/v1/state`);
    assert.equal(state.status, 200);
    assert.ok((await state.text()).length < MAX_STUB_BYTES + 64 * 1024);
    await env.control.stubs.clear();
    for (let i = 0; i < MAX_STUBS; i++) {
      env.server.control!.stubs.add({
        project: "ivr",
        flow: "x",
        reply: { result: [] },
      });
    }
    for (const method of ["POST", "PUT"]) {
      const r = await call(
        env.url,
        method,
        `/api/v1/stubs${method === "PUT" ? "/new-one" : ""}`,
        { project: "ivr", flow: "x", reply: { result: [] } },
      );
      assert.equal(r.status, 413, method);
      assert.deepEqual(r.body.error, {
        code: "too_many_stubs",
        message:
          "stub: the table holds at most 1000 stubs (MAX_STUBS); remove some first",
        limit: 1000,
      });
    }
    assert.equal((await env.control.stubs.list()).length, MAX_STUBS);
  });

  test("mock control - a flow call against (a+)+$ over TCP is answered at once and the control API keeps answering", async () => {
    await using env = await controlEnv();
    await env.control.stubs.add({
      project: "ivr",
      flow: "base",
      match: { paramsAt: { 0: { $regex: "(a+)+$" } } },
      reply: { result: ["only a"] },
    });
    const c = await RawClient.open(env.server.addresses[0].port);
    try {
      assert.equal(await c.login(1), 0);
      const started = performance.now();
      c.invokeFlow({
        invokeId: 1,
        project: "ivr",
        flow: "base",
        params: JSON.stringify(["a".repeat(40_000) + "!"]),
      });
      const answer = await c.next((f) => f.kind === FrameKind.FLOW_RESULT);
      const state = await bounded(env.control.state(), 5000, "GET /state");
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `the call and /state took ${ms.toFixed(0)} ms`);
      assert.equal(state.stubs[0].calls, 0);
      // Not matched: the flow the server was started with answers.
      assert.ok(answer.kind === FrameKind.FLOW_RESULT);
      assert.match(
        new TextDecoder().decode(answer.param),
        /from the flow file/,
      );
      c.invokeFlow({
        invokeId: 2,
        project: "ivr",
        flow: "base",
        params: JSON.stringify(["a".repeat(40_000)]),
      });
      const matched = await c.next((f) => f.kind === FrameKind.FLOW_RESULT);
      assert.ok(matched.kind === FrameKind.FLOW_RESULT);
      assert.match(new TextDecoder().decode(matched.param), /only a/);
    } finally {
      c.socket.destroy();
    }
  });
});
