/**
 * Faults of the mock bus (node stops, cut links and clients, latency,
 * drops, IPSC faults) as clients on the mock backend see them; virtual
 * clock.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Client, FlowTimeoutError, silentLogger, SmartBus } from "../mod.ts";
import { ErrorCode } from "../src/abi/constants.ts";
import {
  type BusPort,
  DeliveryScheduler,
  FrameKind,
  MockBackend,
  MockBus,
  serveTcp,
  VirtualClock,
  zeroHead,
} from "../src/mock/internal.ts";
import { addr, RecordingSink, req, te } from "./shared/mock_recorders.ts";
import { bounded, RawClient } from "./shared/raw_client.ts";

function setup() {
  const clock = new VirtualClock();
  const bus = new MockBus({ clock, logger: () => {} });
  bus.addNode({ unitId: 0, port: 8000 });
  bus.addNode({ unitId: 1, port: 8001 });
  const join = (unitId: number, clientId: number, port = 8000) => {
    const sink = new RecordingSink();
    const r = bus.attach("127.0.0.1", port, req(addr(unitId, clientId)), sink);
    assert.ok(r.ok, `login of ${unitId}/${clientId}`);
    return { sink, port: (r as { port: BusPort }).port };
  };
  return { clock, bus, join };
}

/** Poll `cond` every 5 ms of real time, at most 3 s. */
async function waitFor(cond: () => boolean, what: string): Promise<void> {
  for (let t = 0; t < 3000; t += 5) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${what}: not within 3 s`);
}

const status = (globals: number[][]) =>
  globals.map(([u, c, , , s]) => `${u}/${c}:${s}`);

describe("mock faults", () => {
  test("delivery - a link stays FIFO when a real timer fires late", async () => {
    let now = 0;
    const timers: (() => void)[] = [];
    const clock = {
      now: () => now,
      setTimeout: (fn: () => void) => timers.push(fn),
      clearTimeout: () => {},
    };
    const q = new DeliveryScheduler(clock, (e) => {
      throw e;
    });
    const ran: string[] = [];
    q.post("a>b", 5, () => ran.push("delayed"));
    now = 10; // its timer is late: not fired yet
    q.post("a>b", 0, () => ran.push("after"));
    q.post("c>b", 0, () => ran.push("other link"));
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(ran, ["other link"]);
    timers[0]();
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(ran, ["other link", "delayed", "after"]);
  });

  test("cutLink - each side hears status 0 for the other, data across is dropped, heal announces again", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0, 8000);
    const b = join(18, 0, 8001);
    await clock.flush();
    a.sink.clear();
    b.sink.clear();
    bus.faults.cutLink(0, 1);
    assert.equal(bus.faults.linked(0, 1), false);
    await clock.flush();
    assert.deepEqual(status(a.sink.globals()), ["1/-1:0", "18/0:0"]);
    assert.deepEqual(status(b.sink.globals()), ["0/-1:0", "17/0:0"]);
    assert.equal(
      a.port.send(1, 3, addr(18, 0), te.encode("lost")),
      ErrorCode.OK,
    );
    const c = join(19, 0, 8001); // joins during the cut: node 0's side does not hear it
    await clock.flush();
    assert.deepEqual(b.sink.of("data"), []);
    assert.deepEqual(
      bus.sent({ unitId: 17 }).map((m) => [m.status, m.reason]),
      [["dropped", "link cut"]],
    );
    assert.deepEqual(status(a.sink.globals()), ["1/-1:0", "18/0:0"]);
    assert.deepEqual(status(c.sink.globals()).sort(), ["1/-1:2", "18/0:2"]);
    a.sink.clear();
    bus.faults.healLink(0, 1);
    await clock.flush();
    assert.deepEqual(status(a.sink.globals()).sort(), [
      "1/-1:1",
      "18/0:1",
      "19/0:1",
    ]);
    a.port.send(1, 3, addr(18, 0), te.encode("through"));
    await clock.flush();
    assert.deepEqual(b.sink.of("data").map((e) => e.text), ["through"]);
  });

  test("cutLink - a flow call across the cut is lost and times out; a leave in flight still arrives", async () => {
    const { bus, clock, join } = setup();
    bus.addIpsc({ unitId: 0, processIndex: 0, node: 1 }).flow(
      "p",
      "f",
      () => [1],
    );
    const unit = new SmartBus({
      unitId: 17,
      backend: new MockBackend(bus),
      logger: silentLogger,
    });
    const client = new Client({
      bus: unit,
      localClientId: 1,
      masterHost: "127.0.0.1",
      masterPort: 8000,
    });
    await client.connect();
    const b = join(18, 0, 8001);
    bus.faults.latency({ baseMs: 10, kinds: ["event"] });
    await clock.advance(10);
    bus.kick({ unitId: 18, clientId: 0 }); // its leave is on the way to node 0 (10 ms)
    bus.faults.cutLink(0, 1);
    const call = client.invoke({
      server: 0,
      process: 0,
      project: "p",
      flow: "f",
    }, { timeout: 500 });
    const outcome = call.then(() => "result", (e) => e);
    await clock.advance(500);
    assert.ok((await outcome) instanceof FlowTimeoutError);
    assert.ok(
      !unit.presence().some((p) => p.unitId === 18),
      "the leave arrived",
    );
    assert.equal(b.sink.of("closed").length, 1);
    unit.close();
  });

  test("cutClient - the connection breaks and logins fail with -20 until healed; a node-scoped cut allows failover", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0, 8000);
    bus.faults.cutClient({ unitId: 17, clientId: 0 }, { node: 0 });
    await clock.flush();
    assert.deepEqual(a.sink.of("closed").map((e) => e.reason), [
      "link to its node cut",
    ]);
    const again = bus.attach(
      "127.0.0.1",
      8000,
      req(addr(17, 0)),
      new RecordingSink(),
    );
    assert.equal(again.ok ? 0 : again.code, ErrorCode.ESTABLI_CONNECT);
    assert.ok(
      bus.attach("127.0.0.1", 8001, req(addr(17, 0)), new RecordingSink()).ok,
      "node 1 is fine",
    );
    bus.kick({ unitId: 17, clientId: 0 });
    bus.faults.healClient({ unitId: 17, clientId: 0 });
    assert.ok(
      bus.attach("127.0.0.1", 8000, req(addr(17, 0)), new RecordingSink()).ok,
    );
    bus.faults.cutClient({ unitId: 17, clientId: 0 });
    const both = bus.attach(
      "127.0.0.1",
      8001,
      req(addr(17, 0)),
      new RecordingSink(),
    );
    assert.equal(both.ok ? 0 : both.code, ErrorCode.ESTABLI_CONNECT);
  });

  test("latency - seeded jitter replays exactly and never reorders one sender's messages", async () => {
    const times = async (seed: number): Promise<number[]> => {
      const { bus, clock, join } = setup();
      const a = join(17, 0);
      const b = join(18, 0, 8001);
      await clock.flush();
      bus.faults.seed(seed);
      bus.faults.latency({ baseMs: 5, jitterMs: 100, kinds: ["data"] });
      for (let i = 0; i < 50; i++) {
        a.port.send(1, 3, addr(18, 0), te.encode(`m${i}`));
      }
      await clock.advance(1000);
      const got = b.sink.of("data");
      assert.deepEqual(
        got.map((e) => e.text),
        Array.from({ length: 50 }, (_, i) => `m${i}`),
      );
      return bus.received({ unitId: 18 }).map((m) => m.deliveredAt!);
    };
    const first = await times(7);
    assert.deepEqual(await times(7), first);
    assert.notDeepEqual(await times(8), first);
    assert.ok(first.every((t, i) => i === 0 || t >= first[i - 1]));
    assert.ok(first[0] >= 5 && first[49] <= 105);
  });

  test("dropShare and delayShare - hit about their share, recorded, and stop when removed", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0);
    const b = join(18, 0);
    await clock.flush();
    bus.faults.seed(3);
    const stop = bus.faults.dropShare(0.3);
    for (let i = 0; i < 1000; i++) {
      a.port.send(1, 3, addr(18, 0), te.encode(`m${i}`));
    }
    stop();
    a.port.send(1, 3, addr(18, 0), te.encode("last"));
    await clock.flush();
    const dropped =
      bus.sent().filter((m) => m.reason === "dropped by fault").length;
    assert.ok(dropped > 250 && dropped < 350, `dropped ${dropped} of 1000`);
    assert.equal(b.sink.of("data").length, 1001 - dropped);
    assert.equal(b.sink.of("data").at(-1)!.text, "last");
    b.sink.clear();
    bus.faults.delayShare(1, 40, { from: { unitId: 17 } });
    a.port.send(1, 3, addr(18, 0), te.encode("slow"));
    await clock.advance(39);
    assert.equal(b.sink.of("data").length, 0);
    await clock.advance(1);
    assert.equal(b.sink.of("data").length, 1);
    assert.equal(bus.faults.active, true);
    bus.faults.healAll();
    assert.equal(bus.faults.active, false);
  });

  test("flows - silent, late and mute IPSC faults; null restores", async () => {
    const clock = new VirtualClock();
    const bus = new MockBus({ clock, logger: () => {} });
    bus.addNode({ unitId: 0, port: 8000 });
    const ipsc = bus.addIpsc({ unitId: 0, processIndex: 0 }).flow(
      "p",
      "f",
      () => ["ok"],
    );
    const unit = new SmartBus({
      unitId: 17,
      backend: new MockBackend(bus),
      logger: silentLogger,
    });
    const client = new Client({
      bus: unit,
      localClientId: 1,
      masterHost: "127.0.0.1",
      masterPort: 8000,
    });
    await client.connect();
    const acks: number[] = [];
    client.on(
      "invokeFlowAcknowledge",
      (_i, _p, _id, ack) => void acks.push(ack),
    );
    const attempt = async (): Promise<string> => {
      const p = client.invoke({
        server: 0,
        process: 0,
        project: "p",
        flow: "f",
      }, { timeout: 100 });
      const r = p.then((v) => JSON.stringify(v), (e) => e.name);
      await clock.advance(200);
      return r;
    };
    for (const mode of ["silent", "late", "mute"] as const) {
      bus.faults.flows(ipsc, mode, 50);
      acks.length = 0;
      assert.equal(await attempt(), "FlowTimeoutError", mode);
      assert.deepEqual(acks, mode === "mute" ? [] : [1], `${mode}: acks`);
    }
    const late = bus.flowCalls().find((c) => c.late);
    assert.ok(
      late && late.answeredAt === late.startedAt + 150,
      "the late answer came 50 ms after the timeout",
    );
    bus.faults.flows(ipsc, null);
    assert.equal(await attempt(), '["ok"]');
    assert.throws(
      () => bus.faults.flows({ unitId: 9, processIndex: 9 }, "mute"),
      /no mock IPSC/,
    );
    unit.close();
  });

  test("login - the 16-client limit counts one unit per node, so 32 units × 16 clients fit", () => {
    const { bus } = setup();
    for (let unit = 16; unit < 48; unit++) {
      for (let id = 0; id < 16; id++) {
        const r = bus.attach(
          "127.0.0.1",
          8000,
          req(addr(unit, id)),
          new RecordingSink(),
        );
        assert.ok(r.ok, `${unit}/${id}`);
      }
    }
    const r = bus.attach(
      "127.0.0.1",
      8000,
      req(addr(17, 16)),
      new RecordingSink(),
    );
    assert.equal(r.ok ? 0 : r.code, ErrorCode.CLI_TOOMANY);
    assert.equal(bus.clients().length, 512);
  });

  test("tcp - faults apply to TCP clients: a cut link drops data, a cut client is closed and refused", async () => {
    const bus = new MockBus({ logger: () => {} });
    bus.addNode({ unitId: 0, port: 8000 });
    bus.addNode({ unitId: 1, port: 8001 });
    const infos: string[] = [];
    const front = await serveTcp(bus, [
      { unitId: 0, host: "127.0.0.1", port: 8000, listenPort: 0 },
      { unitId: 1, host: "127.0.0.1", port: 8001, listenPort: 0 },
    ], { logger: { warn() {}, info: (l) => void infos.push(l) } });
    try {
      const [p0, p1] = front.addresses.map((x) => x.port);
      const a = await RawClient.open(p0);
      const b = await RawClient.open(p1);
      assert.equal(await a.login(1), 0);
      assert.equal(a.accessUnitId, 0, "registered at node 0");
      assert.equal(await b.login(2), 0);
      assert.equal(b.accessUnitId, 1, "registered at node 1");
      const toB = {
        ...zeroHead(),
        cmd: 5,
        cmdType: 3,
        dst: { unitId: 20, clientId: 2, clientType: 4 },
      };
      bus.faults.cutLink(0, 1);
      const gone = await a.next((f) =>
        f.kind === FrameKind.GLOBAL_CONNECT && f.status === 0 &&
        f.clientId === 2
      );
      assert.ok(gone);
      a.send({ kind: FrameKind.DATA, head: toB, data: te.encode("lost") });
      await waitFor(
        () => bus.sent().length === 1,
        "the bus reads the first packet",
      );
      bus.faults.healLink(0, 1);
      await a.next((f) =>
        f.kind === FrameKind.GLOBAL_CONNECT && f.status === 1 &&
        f.clientId === 2
      );
      a.send({ kind: FrameKind.DATA, head: toB, data: te.encode("through") });
      const got = await b.next((f) => f.kind === FrameKind.DATA);
      assert.ok(
        got.kind === FrameKind.DATA &&
          new TextDecoder().decode(got.data) === "through",
      );
      assert.deepEqual(bus.sent().map((m) => m.reason ?? m.status), [
        "link cut",
        "delivered",
      ]);
      bus.faults.cutClient({ unitId: 20, clientId: 1 });
      await bounded(a.closed, 3000, "the cut client's socket closes");
      // A cut client is refused like a node that is down (-20): no
      // REGISTER_ACK, the front just closes, and the library dials again.
      const again = await RawClient.open(p0);
      again.register(1);
      await bounded(
        again.closed,
        3000,
        "the cut client's new connection closes",
      );
      assert.deepEqual(again.frames, [], "no REGISTER_ACK");
      assert.ok(
        infos.some((l) => /refused \(-20\)/.test(l)),
        infos.join("\n"),
      );
      bus.faults.healClient({ unitId: 20, clientId: 1 });
      const healed = await RawClient.open(p0);
      assert.equal(await healed.login(1), 0, "registered once healed");
      healed.socket.destroy();
      b.socket.destroy();
    } finally {
      await front.close();
    }
  });
});
