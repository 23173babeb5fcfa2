/**
 * The mock bus's bounded records (`records` per kind): what is kept,
 * evicted and updated; port level, virtual clock.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type BusPort,
  copyBytes,
  DEFAULT_RECORDS_CAP,
  MockBus,
  type PortSink,
  RecordLog,
  VirtualClock,
} from "../src/mock/internal.ts";
import {
  addr,
  connectedBackend,
  cs,
  req,
  te,
  text,
} from "./shared/mock_recorders.ts";

/** A sink keeping the bytes it was handed, as they were handed. */
class BytesSink implements PortSink {
  readonly got: Uint8Array[] = [];
  data(_head: unknown, data: Uint8Array): void {
    this.got.push(data);
  }
  flowAck(): void {}
  flowResult(): void {}
  globalConnect(): void {}
  closed(): void {}
}

function setup(records?: boolean | number) {
  const clock = new VirtualClock();
  const bus = new MockBus({ clock, records, logger: () => {} });
  bus.addNode({ unitId: 0, port: 8000 });
  const join = (unitId: number) => {
    const sink = new BytesSink();
    const r = bus.attach("127.0.0.1", 8000, req(addr(unitId, 0)), sink);
    assert.ok(r.ok);
    return { sink, port: (r as { port: BusPort }).port };
  };
  const a = join(17);
  const b = join(18);
  return { clock, bus, a, b };
}

const send = (port: BusPort, n: number, from = 0): void => {
  for (let i = from; i < from + n; i++) {
    assert.equal(port.send(1, 3, addr(18, 0), te.encode(`m${i}`)), 0);
  }
};

describe("mock perf", () => {
  test("records - a cap keeps the newest messages, oldest first", async () => {
    const { clock, bus, a, b } = setup(3);
    send(a.port, 5);
    await clock.flush();
    assert.equal(b.sink.got.length, 5, "every message is still delivered");
    assert.deepEqual(bus.sent().map((m) => text(m.bytes)), ["m2", "m3", "m4"]);
    assert.deepEqual(
      bus.received().map((m) => m.status),
      ["delivered", "delivered", "delivered"],
    );
  });

  test("records - the default keeps 10,000 per kind", async () => {
    const { clock, bus, a } = setup();
    send(a.port, DEFAULT_RECORDS_CAP + 5);
    await clock.flush();
    const sent = bus.sent();
    assert.equal(sent.length, DEFAULT_RECORDS_CAP);
    assert.equal(text(sent[0].bytes), "m5");
    assert.equal(text(sent.at(-1)!.bytes), `m${DEFAULT_RECORDS_CAP + 4}`);
  });

  test("records - false keeps none of any kind, traffic still flows", async () => {
    const { clock, bus, a, b } = setup(false);
    bus.addIpsc({ unitId: 0, processIndex: 0 }).flow("p", "f", () => [1]);
    send(a.port, 3);
    a.port.invokeFlow(0, 0, {
      invokeId: 1,
      projectId: te.encode("p"),
      flowId: te.encode("f"),
      mode: 0,
      timeoutMs: 1000,
      params: te.encode("[]"),
    });
    a.port.notify(0, 0, {
      invokeId: 2,
      projectId: te.encode("p"),
      title: te.encode("t"),
      mode: 0,
      expiresMs: 1000,
      param: te.encode("x"),
    });
    await clock.flush();
    assert.equal(b.sink.got.length, 3);
    assert.deepEqual(bus.sent(), []);
    assert.deepEqual(bus.flowCalls(), []);
    assert.deepEqual(bus.notifications(), []);
    assert.equal(bus.ipscs()[0].notifications.length, 1);
  });

  test("records - true keeps everything", async () => {
    const { clock, bus, a } = setup(true);
    send(a.port, DEFAULT_RECORDS_CAP + 1);
    await clock.flush();
    assert.equal(bus.sent().length, DEFAULT_RECORDS_CAP + 1);
  });

  test("records - a flow call pushed out of the ring is forgotten, newer ones still update", async () => {
    const { clock, bus, a } = setup(2);
    bus.addIpsc({ unitId: 0, processIndex: 0 }).flow("p", "f", (x) => x);
    for (let id = 1; id <= 3; id++) {
      a.port.invokeFlow(0, 0, {
        invokeId: id,
        projectId: te.encode("p"),
        flowId: te.encode("f"),
        mode: 0,
        timeoutMs: 1000,
        params: te.encode(`[${id}]`),
      });
    }
    await clock.flush();
    assert.deepEqual(
      bus.flowCalls().map((c) => [c.invokeId, c.state, c.result]),
      [[2, "responded", "[2]"], [3, "responded", "[3]"]],
    );
  });

  test("records - a bad cap is refused", () => {
    for (const bad of [-1, 1.5, NaN]) {
      assert.throws(() => new MockBus({ records: bad }), RangeError);
    }
  });

  test("copies - receiver and record share one copy, the sender's buffer stays its own", async () => {
    const { clock, bus, a, b } = setup();
    const buf = te.encode("hello");
    a.port.send(1, 3, addr(18, 0), buf);
    buf.fill(0);
    await clock.flush();
    assert.equal(text(b.sink.got[0]), "hello");
    const [record] = bus.sent();
    assert.equal(record.bytes, b.sink.got[0], "the same bytes, not a copy");
    assert.notEqual(
      bus.sent()[0],
      record,
      "records are handed out as snapshots",
    );
    assert.notEqual(bus.sent()[0].src, record.src);
  });

  test("copies - slab copies never overlap", () => {
    const copies = Array.from(
      { length: 20_000 },
      (_, i) => copyBytes(te.encode(`copy ${i} ${"x".repeat(i % 50)}`)),
    );
    copies.forEach((c, i) =>
      assert.equal(text(c), `copy ${i} ${"x".repeat(i % 50)}`)
    );
    const big = new Uint8Array(10_000).fill(7);
    const bigCopy = copyBytes(big);
    big.fill(0);
    assert.equal(bigCopy[9_999], 7);
  });

  test("ring - keeps the newest entries in order whatever the cap", () => {
    for (const cap of [0, 1, 2, 5]) {
      const log = new RecordLog<number>(cap);
      const out: number[] = [];
      for (let i = 0; i < 12; i++) {
        const old = log.push(i);
        if (old !== undefined) out.push(old);
      }
      const kept = Array.from(
        { length: Math.min(cap, 12) },
        (_, k) => 12 - Math.min(cap, 12) + k,
      );
      assert.deepEqual(log.toArray(), kept, `cap ${cap}`);
      assert.equal(out.length + kept.length, 12, `cap ${cap}: nothing lost`);
    }
  });

  test("backend - 1,000 pending flow calls share one timer and each times out on time", async () => {
    const clock = new VirtualClock();
    const bus = new MockBus({ clock, logger: () => {} });
    bus.addNode({ unitId: 0, port: 8000 });
    bus.addIpsc({ unitId: 0, processIndex: 0 }).flow(
      "p",
      "hold",
      () => new Promise(() => {}),
    );
    const { backend, rec } = await connectedBackend(bus, clock);
    const timersBefore = clock.pendingTimers;
    for (let i = 0; i < 1000; i++) {
      const id = backend.remoteInvokeFlow(
        0,
        0,
        0,
        cs("p"),
        cs("hold"),
        0,
        100 + (i % 2) * 50,
        cs(`[${i}]`),
      );
      assert.ok(id > 0);
    }
    await clock.flush();
    assert.equal(clock.pendingTimers - timersBefore, 1, "one deadline timer");
    await clock.advance(99);
    assert.equal(rec.named("invokeFlowRet").length, 0);
    await clock.advance(1);
    assert.equal(rec.named("invokeFlowRet").length, 500);
    await clock.advance(50);
    const rets = rec.named("invokeFlowRet");
    assert.equal(rets.length, 1000);
    assert.ok(rets.every((r) => r[4] === -25 && r[1] === null && r[2] === "p"));
    assert.equal(
      clock.pendingTimers,
      timersBefore,
      "the timer stops when idle",
    );
    backend.release();
  });
});
