/**
 * The mock bus's record budget (bytes over all kinds of records): the
 * oldest go first, reset gives it back; port level, virtual clock.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  type BusPort,
  DEFAULT_RECORDS_BUDGET,
  MockBus,
  type PortSink,
  RecordBudget,
  RecordLog,
  VirtualClock,
} from "../src/mock/internal.ts";
import { mockOptions } from "../src/cli/cmd_mock.ts";
import { addr, req, te, text } from "./shared/mock_recorders.ts";

const KIB = 1024;
const MIB = 1024 * KIB;

/** A sink that lets every delivery go (a peer reading as fast as it can). */
const dropSink: PortSink = {
  data() {},
  flowAck() {},
  flowResult() {},
  globalConnect() {},
  closed() {},
};

function setup(
  options: { records?: boolean | number; recordsBudget?: boolean | number },
) {
  const clock = new VirtualClock();
  const bus = new MockBus({ clock, logger: () => {}, ...options });
  bus.addNode({ unitId: 0, port: 8000 });
  const join = (unitId: number): BusPort => {
    const r = bus.attach("127.0.0.1", 8000, req(addr(unitId, 0)), dropSink);
    assert.ok(r.ok);
    return (r as { port: BusPort }).port;
  };
  return { clock, bus, a: join(17) };
}

/** `n` messages of `size` bytes from `port` to 18/0, each tagged with its index. */
async function flood(
  clock: VirtualClock,
  port: BusPort,
  n: number,
  size: number,
): Promise<void> {
  const data = new Uint8Array(size);
  for (let i = 0; i < n; i++) {
    data.set(te.encode(`m${i}:`));
    assert.equal(port.send(1, 3, addr(18, 0), data), 0);
    if (i % 256 === 255) await clock.flush();
  }
  await clock.flush();
}

const keptBytes = (bus: MockBus): number =>
  bus.sent().reduce((n, m) => n + m.bytes.byteLength, 0);

describe("mock records budget", () => {
  test("records budget - a flood of 64 KiB messages keeps at most the budget, the newest", async () => {
    const budget = 8 * MIB;
    const { clock, bus, a } = setup({ recordsBudget: budget });
    await flood(clock, a, 2_000, 64 * KIB);
    assert.ok(keptBytes(bus) <= budget, `${keptBytes(bus)} bytes kept`);
    assert.ok(bus.recordBytes <= budget, `${bus.recordBytes} counted`);
    assert.ok(bus.recordBytes >= keptBytes(bus));
    const sent = bus.sent();
    assert.ok(sent.length >= 100, `${sent.length} kept`);
    assert.match(text(sent.at(-1)!.bytes.subarray(0, 8)), /^m1999:/);
  });

  test("records budget - the default bounds a served bus at 64 MiB", async () => {
    const { clock, bus, a } = setup({});
    await flood(clock, a, 1_200, 64 * KIB);
    assert.equal(DEFAULT_RECORDS_BUDGET, 64 * MIB);
    assert.ok(keptBytes(bus) <= DEFAULT_RECORDS_BUDGET);
    assert.ok(bus.sent().length < 1_200, "some were let go");
  });

  test("records budget - the oldest record of any kind goes first", async () => {
    const { clock, bus, a } = setup({ recordsBudget: 4_000 });
    bus.addIpsc({ unitId: 0, processIndex: 0 }).flow("p", "f", (x) => x);
    const call = (id: number) =>
      a.invokeFlow(0, 0, {
        invokeId: id,
        projectId: te.encode("p"),
        flowId: te.encode("f"),
        mode: 0,
        timeoutMs: 1000,
        params: te.encode(`[${id}]`),
      });
    call(1);
    await clock.flush();
    assert.equal(bus.flowCalls()[0].state, "responded");
    // 900 bytes each (+ 256 per record): the older flow call goes first.
    for (let i = 0; i < 3; i++) {
      a.send(1, 3, addr(18, 0), new Uint8Array(900));
    }
    await clock.flush();
    assert.equal(bus.flowCalls().length, 1);
    a.send(1, 3, addr(18, 0), new Uint8Array(900));
    await clock.flush();
    assert.deepEqual(bus.flowCalls(), [], "the flow call was the oldest");
    assert.equal(bus.sent().length, 3);
    assert.ok(bus.recordBytes <= 4_000);
  });

  test("records budget - 0 or false keeps nothing, true keeps everything", async () => {
    for (const off of [0, false]) {
      const { clock, bus, a } = setup({ recordsBudget: off });
      await flood(clock, a, 10, 100);
      assert.deepEqual(bus.sent(), []);
      assert.equal(bus.recordBytes, 0);
    }
    const { clock, bus, a } = setup({ recordsBudget: true });
    await flood(clock, a, 300, 64 * KIB);
    assert.equal(bus.sent().length, 300);
    const all = setup({ records: true });
    await flood(all.clock, all.a, 300, 64 * KIB);
    assert.equal(all.bus.sent().length, 300, "records: true lifts the budget");
  });

  test("records budget - reset gives the budget back; a bad budget is refused", async () => {
    const { clock, bus, a } = setup({ recordsBudget: MIB });
    await flood(clock, a, 10, 1_000);
    assert.ok(bus.recordBytes > 0);
    bus.reset();
    assert.equal(bus.recordBytes, 0);
    for (const bad of [-1, 1.5, NaN, "1"]) {
      assert.throws(
        () => new MockBus({ recordsBudget: bad as number }),
        RangeError,
      );
    }
  });

  test("records budget - logs evict by order across kinds, and a cap still holds", () => {
    const budget = new RecordBudget(10);
    const gone: string[] = [];
    const size = () => 3;
    const x = new RecordLog<string>(2, {
      budget,
      size,
      onEvict: (s) => gone.push(s),
    });
    const y = new RecordLog<string>(100, {
      budget,
      size,
      onEvict: (s) => gone.push(s),
    });
    x.push("x1");
    y.push("y1");
    x.push("x2");
    x.push("x3"); // the cap lets x1 go
    assert.deepEqual(gone, ["x1"]);
    y.push("y2"); // 4 × 3 > 10: the oldest of both, y1, goes
    assert.deepEqual(gone, ["x1", "y1"]);
    assert.deepEqual(x.toArray(), ["x2", "x3"]);
    assert.deepEqual(y.toArray(), ["y2"]);
    assert.equal(budget.used, 9);
  });

  test("records budget - smartbus mock --records and --records-budget reach the server options", () => {
    const o = mockOptions(["--records", "50", "--records-budget", "16"]);
    assert.equal(o.records, 50);
    assert.equal(o.recordsBudget, 16 * MIB);
    assert.equal(mockOptions(["--records-budget", "0"]).recordsBudget, 0);
    assert.equal(mockOptions([]).recordsBudget, undefined);
    assert.throws(() => mockOptions(["--records-budget", "-1"]));
  });
});
