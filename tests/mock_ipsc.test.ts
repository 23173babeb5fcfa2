/**
 * Mock IPSC flow servers: flows as async functions, acknowledges, results,
 * refusals, crashes and the library's timers, seen at the backend
 * interface of the mock backend; virtual clock.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../src/abi/constants.ts";
import { encodeText } from "../src/api/text.ts";
import { FlowFailure, MockBus, VirtualClock } from "../src/mock/mod.ts";
import { connectedBackend, cs } from "./shared/mock_recorders.ts";

const gbkC = (s: string): Uint8Array => {
  const b = encodeText(s, "gbk");
  const out = new Uint8Array(b.length + 1);
  out.set(b);
  return out;
};

async function setup(strict = false) {
  const clock = new VirtualClock();
  const lines: string[] = [];
  const bus = new MockBus({ clock, strict, logger: (l) => lines.push(l) });
  bus.addNode({ unitId: 0, port: 8000 });
  const ipsc = bus.addIpsc({ unitId: 0, processIndex: 0 });
  const { backend, rec } = await connectedBackend(bus, clock);
  const invoke = (
    flow: string,
    params = "[]",
    mode = 0,
    timeoutMs = 30_000,
    project = "p",
  ) =>
    backend.remoteInvokeFlow(
      0,
      0,
      0,
      cs(project),
      cs(flow),
      mode,
      timeoutMs,
      gbkC(params),
    );
  const acks = () =>
    rec.named("invokeFlowAck").map((
      [, , p, id, ack, msg],
    ) => [p, id, ack, msg]);
  const rets = () =>
    rec.named("invokeFlowRet").map((
      [, h, p, id, ret, param],
    ) => [h === null, p, id, ret, param]);
  return { clock, bus, ipsc, backend, rec, invoke, acks, rets, lines };
}

describe("mock ipsc", () => {
  test("flows - a result is acknowledged then returned as a JSON array", async () => {
    const s = await setup();
    s.ipsc.flow("p", "add", ([a, b], ctx) => {
      assert.equal(ctx.project, "p");
      assert.deepEqual(ctx.from, { unitId: 17, clientId: 0, clientType: 4 });
      return [(a as number) + (b as number)];
    });
    const id = s.invoke("add", "[2,3]");
    assert.ok(id > 0);
    await s.clock.flush();
    assert.deepEqual(s.acks(), [["p", id, 1, ""]]);
    assert.deepEqual(s.rets(), [[false, "p", id, 1, "[5]"]]);
    const [ret] = s.rec.named("invokeFlowRet");
    const head = ret[1] as { srcUnitClientType: number; dstUnitId: number };
    assert.equal(head.srcUnitClientType, 2);
    assert.equal(head.dstUnitId, 17);
    const [call] = s.bus.flowCalls();
    assert.equal(call.state, "responded");
    assert.equal(call.result, "[5]");
    assert.equal(s.clock.pendingTimers, 0, "the flow timer is gone");
  });

  test("flows - scalar and empty returns become arrays; GBK text round-trips", async () => {
    const s = await setup();
    s.ipsc.flow("p", "one", () => "单");
    s.ipsc.flow("p", "none", () => undefined);
    s.ipsc.flow("p", "echo", (params) => params);
    s.invoke("one");
    s.invoke("none");
    s.invoke("echo", '["你好",{"k":1}]');
    await s.clock.flush();
    const rets = s.rec.named("invokeFlowRet").map((r) => r[4]);
    assert.deepEqual(rets, [1, 1, 1]);
    const raw = s.bus.flowCalls().map((c) => c.result);
    assert.deepEqual(raw, ['["单"]', "[]", '["你好",{"k":1}]']);
  });

  test("flows - refuse acknowledges with the given code and message, no result", async () => {
    const s = await setup();
    s.ipsc.flow("p", "busy", (_p, ctx) => ctx.refuse(-3, "too busy"));
    const id = s.invoke("busy", "[]", 0, 1000);
    await s.clock.flush();
    assert.deepEqual(s.acks(), [["p", id, -3, "too busy"]]);
    assert.deepEqual(s.rets(), []);
    assert.equal(s.bus.flowCalls()[0].state, "errored");
    // The library does not read acks: its timer still ends the call.
    await s.clock.advance(1000);
    assert.deepEqual(s.rets(), [[true, "p", id, ErrorCode.TIMEOUT, ""]]);
  });

  test("flows - a failure before the first await refuses with its code; later ones never answer", async () => {
    // The vendor's result frame has no code: a failure reaches the caller
    // in the acknowledge or not at all (its library times the call out).
    const s = await setup();
    s.ipsc.flow("p", "f1", () => {
      throw new FlowFailure(-3);
    });
    s.ipsc.flow("p", "f2", async (_p, ctx) => {
      await ctx.sleep(10);
      ctx.fail(-7);
    });
    s.ipsc.flow("p", "f3", () => {
      throw new Error("bug in flow");
    });
    s.ipsc.flow("p", "f4", (_p, ctx) => ctx.fail(-5));
    const ids = [
      s.invoke("f1"),
      s.invoke("f2"),
      s.invoke("f3"),
      s.invoke("f4"),
    ];
    await s.clock.advance(10);
    assert.deepEqual(
      s.acks().map((a) => [a[1], a[2]]),
      [[ids[0], -3], [ids[1], 1], [ids[2], ErrorCode.OTHER], [ids[3], -5]],
    );
    assert.deepEqual(s.rets(), [], "no result frame carries a failure");
    assert.ok(s.lines.some((l) => l.includes("bug in flow")));
    assert.ok(s.lines.some((l) => l.includes("failed with ret -7")));
    assert.throws(() => new FlowFailure(1), RangeError);
  });

  test("flows - a flow that never answers times out exactly at the virtual timeout", async () => {
    const s = await setup();
    s.ipsc.flow("p", "hang", () => new Promise(() => {}));
    const id = s.invoke("hang");
    await s.clock.advance(29_999);
    assert.deepEqual(s.acks().map((a) => a[2]), [1]);
    assert.deepEqual(s.rets(), []);
    await s.clock.advance(1);
    assert.deepEqual(s.rets(), [[true, "p", id, -25, ""]]);
    assert.equal(s.bus.flowCalls()[0].state, "unanswered");
    await s.clock.advance(60_000);
    assert.equal(s.rets().length, 1, "exactly one end per invoke id");
  });

  test("flows - noAnswer before the first await sends not even an acknowledge", async () => {
    const s = await setup();
    s.ipsc.flow("p", "mute", (_p, ctx) => ctx.noAnswer());
    s.invoke("mute", "[]", 0, 100);
    await s.clock.advance(100);
    assert.deepEqual(s.acks(), []);
    assert.deepEqual(s.rets().map((r) => r[3]), [-25]);
  });

  test("flows - a late answer is dropped by the caller's library", async () => {
    const s = await setup();
    s.ipsc.flow("p", "slow", async (_p, ctx) => {
      await ctx.sleep(ctx.timeoutMs + 500);
      return ["late"];
    });
    const id = s.invoke("slow", "[]", 0, 1000);
    await s.clock.advance(1000);
    assert.deepEqual(s.rets(), [[true, "p", id, -25, ""]]);
    await s.clock.advance(500);
    assert.equal(s.rets().length, 1);
    assert.ok(
      s.rec.traces().some((t) =>
        t.includes("dropped a late or unknown flow result")
      ),
    );
    const [call] = s.bus.flowCalls();
    assert.equal(call.state, "responded");
    assert.equal(call.late, true);
  });

  test("flows - fire and forget gets the acknowledge only", async () => {
    const s = await setup();
    let ran = false;
    s.ipsc.flow("p", "bg", () => {
      ran = true;
      return [1];
    });
    const id = s.invoke("bg", "[]", 1);
    await s.clock.advance(120_000);
    assert.equal(ran, true);
    assert.deepEqual(s.acks(), [["p", id, 1, ""]]);
    assert.deepEqual(s.rets(), []);
    assert.equal(s.bus.flowCalls()[0].state, "acknowledged");
  });

  test("flows - an unknown flow is refused with ack -1 and recorded as unhandled", async () => {
    const s = await setup();
    const id = s.invoke("nope", "[]", 0, 500);
    await s.clock.flush();
    const [[, , ack, msg]] = s.acks();
    assert.equal(ack, -1);
    assert.match(msg as string, /no such flow p\/nope/);
    assert.equal(s.bus.unhandled().length, 1);
    assert.throws(
      () => s.bus.assertNoUnhandled(),
      /1 unhandled flow call.*p\/nope/s,
    );
    assert.equal(s.rets().length, 0);
    await s.clock.advance(500);
    assert.deepEqual(s.rets(), [[true, "p", id, -25, ""]]);
  });

  test("strict - a call to a missing IPSC is answered with ack -1 and reported", async () => {
    const s = await setup(true);
    const id = s.backend.remoteInvokeFlow(
      0,
      5,
      3,
      cs("p"),
      cs("f"),
      0,
      1000,
      cs("[]"),
    );
    await s.clock.flush();
    assert.deepEqual(s.acks().map((a) => [a[1], a[2]]), [[id, -1]]);
    assert.match(String(s.acks()[0][3]), /no such flow p\/f: no IPSC at 5\/3/);
    assert.ok(s.lines.some((l) => l.includes("unhandled flow call")));
    assert.throws(() => s.bus.assertNoUnhandled(), /no IPSC at 5\/3/);
  });

  test("non-strict - a call to a missing IPSC is refused at once in its ack with DEST_NONEXIST", async () => {
    const s = await setup(false);
    const id = s.backend.remoteInvokeFlow(
      0,
      5,
      3,
      cs("p"),
      cs("f"),
      0,
      1000,
      cs("[]"),
    );
    await s.clock.flush();
    assert.equal(s.clock.now(), 0, "no bus time passed");
    // In the acknowledge: the result frame carries no code.
    assert.deepEqual(s.acks(), [[
      "p",
      id,
      ErrorCode.DEST_NONEXIST,
      "no IPSC at 5/3",
    ]]);
    assert.deepEqual(s.rets(), []);
    assert.equal(s.bus.unhandled().length, 1);
    assert.equal(s.bus.flowCalls()[0].state, "errored");
    assert.ok(s.lines.some((l) => l.includes("no IPSC at 5/3")));
    s.backend.remoteInvokeFlow(0, 5, 3, cs("p"), cs("f"), 1, 1000, cs("[]"));
    await s.clock.flush();
    assert.equal(s.acks().length, 1, "fire and forget: nothing answered");
  });

  test("flows - a call refused for its parameter list gets its log line", async () => {
    const s = await setup();
    s.ipsc.flow("p", "f", (x) => x);
    const id = s.invoke("f", "{not json");
    await s.clock.flush();
    assert.deepEqual(s.acks().map((a) => [a[1], a[2]]), [[id, -1]]);
    const line = s.lines.find((l) => l.includes("invalid parameter list"));
    assert.ok(line, s.lines.join("\n"));
    assert.match(line, /flow p\/f from 17 0 4 \(invoke id \d+\) refused/);
    assert.match(
      line,
      /invalid parameter list: the flow parameters are not valid JSON: "\{not json"/,
    );
  });

  test("flows - blank parameter text is an empty list, a scalar a list of one", async () => {
    const s = await setup();
    const got: unknown[] = [];
    s.ipsc.flow("p", "f", (params) => void got.push(params));
    s.invoke("f", " ");
    s.invoke("f", "5");
    await s.clock.flush();
    assert.deepEqual(got, [[], [5]]);
  });

  test("notify - recorded by the IPSC and the bus, observed through onNotify", async () => {
    const s = await setup();
    const seen: string[] = [];
    const off = s.ipsc.onNotify((n) =>
      seen.push(`${n.project}:${n.title}:${n.param}`)
    );
    const id = s.backend.sendNotify(
      0,
      0,
      0,
      cs("p"),
      gbkC("标题"),
      1,
      5000,
      cs("x"),
    );
    assert.ok(id > 0);
    await s.clock.flush();
    assert.deepEqual(seen, ["p:标题:x"]);
    assert.equal(s.ipsc.notifications[0].expiresMs, 5000);
    assert.deepEqual(s.bus.notifications().map((n) => [n.title, n.delivered]), [
      ["标题", true],
    ]);
    off();
    s.backend.sendNotify(0, 0, 0, cs("p"), cs("t2"), 1, 5000, cs(""));
    await s.clock.flush();
    assert.equal(seen.length, 1);
    assert.equal(s.ipsc.notifications.length, 2);
  });

  test("crash - a crashed IPSC leaves the bus and its answers are lost until restart", async () => {
    const s = await setup();
    s.ipsc.flow("p", "slow", async (_p, ctx) => {
      await ctx.sleep(100);
      return [1];
    });
    s.invoke("slow", "[]", 0, 1000);
    await s.clock.flush();
    s.ipsc.crash();
    assert.equal(s.ipsc.connected, false);
    await s.clock.advance(1000);
    assert.deepEqual(s.rets().map((r) => r[3]), [-25]);
    const gone = s.rec.named("globalConnect").filter((g) => g[4] === 0);
    assert.deepEqual(gone.map((g) => g.slice(0, 5)), [[0, 0, 2, 0, 0]]);
    s.ipsc.restart();
    assert.equal(s.ipsc.connected, true);
    s.invoke("slow");
    await s.clock.advance(100);
    assert.deepEqual(s.rets().map((r) => r[3]), [-25, 1]);
  });

  test("strict - a crashed IPSC is a fault, not an unhandled call: the caller times out", async () => {
    const s = await setup(true);
    s.ipsc.flow("p", "ok", () => [1]);
    s.ipsc.crash();
    s.invoke("ok", "[]", 0, 1000);
    await s.clock.advance(1000);
    // No acknowledge came: the library's own two timers, -25 each, no head.
    assert.deepEqual(s.acks(), [["p", 1, -25, ""]]);
    assert.equal(s.rec.named("invokeFlowAck")[0][1], null);
    assert.deepEqual(s.rets().map((r) => r[3]), [-25]);
    assert.deepEqual(s.bus.unhandled(), []);
    assert.equal(s.bus.flowCalls()[0].state, "unanswered");
  });

  test("reset - IPSCs come back with their flows after a bus reset", async () => {
    const s = await setup();
    s.ipsc.flow("p", "ok", () => [true]);
    s.ipsc.crash();
    s.bus.reset();
    assert.equal(s.ipsc.connected, true);
    assert.equal(s.bus.clients().length, 1);
    await s.clock.flush();
    assert.deepEqual(s.rec.named("disconnect"), [[0]]);
    await s.clock.advance(3000);
    assert.deepEqual(s.rec.named("connection").at(-1), [0, 0, 0]);
    s.invoke("ok");
    await s.clock.flush();
    assert.deepEqual(s.rets().map((r) => [r[3], r[4]]), [[1, "[true]"]]);
  });
});
