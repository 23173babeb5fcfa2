/**
 * The in-memory mock bus at port level: nodes, logins and their codes,
 * routing of data, pings and flow calls, records; virtual clock, no
 * backend.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCode } from "../src/abi/constants.ts";
import { type BusPort, MockBus, VirtualClock } from "../src/mock/internal.ts";
import { addr, RecordingSink, req, te, text } from "./shared/mock_recorders.ts";

function setup(strict = false) {
  const clock = new VirtualClock();
  const lines: string[] = [];
  const bus = new MockBus({ clock, strict, logger: (l) => lines.push(l) });
  bus.addNode({ unitId: 0, port: 8000 });
  bus.addNode({ unitId: 1, port: 8001 });
  bus.addNode({ unitId: 2, port: 8002, users: { alice: "s3cret" } });
  const join = (unitId: number, clientId: number, port = 8000) => {
    const sink = new RecordingSink();
    const r = bus.attach(
      "127.0.0.1",
      port,
      req(addr(unitId, clientId), null, null, `u${unitId}`),
      sink,
    );
    assert.ok(r.ok, `login of ${unitId}/${clientId}`);
    return { sink, port: (r as { port: BusPort }).port };
  };
  return { clock, bus, lines, join };
}

describe("mock bus", () => {
  test("login - succeeds on a known node and reports its unit id", () => {
    const { bus } = setup();
    const r = bus.attach(
      "localhost",
      8001,
      req(addr(17, 0)),
      new RecordingSink(),
    );
    assert.ok(r.ok);
    assert.equal(r.port.accessUnitId, 1);
    assert.deepEqual(
      bus.clients().map((c) => [c.address.unitId, c.nodeUnitId]),
      [[17, 1]],
    );
  });

  test("login - refusals carry the library's codes", () => {
    const { bus } = setup();
    const code = (
      port: number,
      user: string | null,
      pwd: string | null,
      unit = 17,
    ) => {
      const r = bus.attach(
        "127.0.0.1",
        port,
        req(addr(unit, 0), user, pwd),
        new RecordingSink(),
      );
      return r.ok ? 0 : r.code;
    };
    assert.equal(code(8002, null, null), ErrorCode.AUTHOR);
    assert.equal(code(8002, "bob", "s3cret"), ErrorCode.USER);
    assert.equal(code(8002, "alice", "nope"), ErrorCode.PWD);
    assert.equal(code(9999, null, null), ErrorCode.ESTABLI_CONNECT);
    assert.equal(code(8002, "alice", "s3cret"), 0);
    // Its second link, at another node, is its standby (see below); a
    // third link, or a second one at the same node, is refused -10.
    assert.equal(code(8000, null, null), 0);
    assert.equal(code(8001, null, null), ErrorCode.CONNECTED);
    assert.equal(code(8002, "alice", "s3cret"), ErrorCode.CONNECTED);
    bus.stopNode(1);
    assert.equal(code(8001, null, null, 18), ErrorCode.ESTABLI_CONNECT);
  });

  test("login - a second link at another node is a silent standby that takes over", async () => {
    const { bus, clock, join } = setup();
    const other = join(18, 0, 8001);
    const active = join(17, 0, 8000);
    const standby = join(17, 0, 8001);
    await clock.flush();
    other.sink.events.length = 0;
    assert.deepEqual(
      bus.clients().map((
        c,
      ) => [c.address.unitId, c.nodeUnitId, c.standbyNodeUnitId]),
      [[18, 1, undefined], [17, 0, 1]],
    );
    // The standby hears nothing and nobody hears of it.
    assert.equal(standby.sink.events.length, 0);
    // Data goes to the active link only.
    other.port.send(1, 3, addr(17, 0), new TextEncoder().encode("one"));
    await clock.flush();
    assert.deepEqual(
      active.sink.events.filter((e) => e.kind === "data").length,
      1,
    );
    assert.equal(standby.sink.events.length, 0);
    // Node 0 stops: the active link is closed, the standby goes on, and
    // nobody hears that 17/0 left.
    bus.stopNode(0);
    await clock.flush();
    assert.ok(active.sink.events.some((e) => e.kind === "closed"));
    assert.deepEqual(
      bus.clients().map((
        c,
      ) => [c.address.unitId, c.nodeUnitId, c.standbyNodeUnitId]),
      [[18, 1, undefined], [17, 1, undefined]],
    );
    assert.ok(
      !other.sink.events.some((e) =>
        e.kind === "global" && e.event.unitId === 17
      ),
      "no event about 17/0",
    );
    other.port.send(1, 3, addr(17, 0), new TextEncoder().encode("two"));
    await clock.flush();
    assert.deepEqual(
      standby.sink.events.filter((e) => e.kind === "data").map((e) =>
        e.kind === "data" && e.text
      ),
      ["two"],
    );
    // A kick closes every link of the address: everyone hears it left once.
    bus.startNode(0);
    join(17, 0, 8000);
    other.sink.events.length = 0;
    assert.equal(bus.kick({ unitId: 17, clientId: 0 }), true);
    await clock.flush();
    assert.deepEqual(bus.clients().map((c) => c.address.unitId), [18]);
    assert.deepEqual(
      other.sink.events.flatMap((e) =>
        e.kind === "global" && e.event.unitId === 17 ? [e.event.status] : []
      ),
      [0],
    );
  });

  test("login - a node takes at most 16 clients", () => {
    const { bus } = setup();
    for (let i = 0; i < 16; i++) {
      assert.ok(
        bus.attach("127.0.0.1", 8000, req(addr(17, i)), new RecordingSink()).ok,
      );
    }
    const r = bus.attach(
      "127.0.0.1",
      8000,
      req(addr(17, 16)),
      new RecordingSink(),
    );
    assert.equal(r.ok ? 0 : r.code, ErrorCode.CLI_TOOMANY);
    assert.ok(
      bus.attach("127.0.0.1", 8001, req(addr(17, 16)), new RecordingSink()).ok,
    );
  });

  test("events - a newcomer hears 2 for nodes and clients, others hear 1, then 0", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0);
    await clock.flush();
    assert.deepEqual(a.sink.globals(), [[0, -1, 1, 0, 2], [1, -1, 1, 1, 2], [
      2,
      -1,
      1,
      2,
      2,
    ]]);
    a.sink.clear();
    const b = join(18, 3, 8001);
    assert.deepEqual(b.sink.events, [], "nothing is delivered inside attach");
    await clock.flush();
    assert.deepEqual(b.sink.globals().slice(3), [[17, 0, 4, 0, 2]]);
    assert.deepEqual(a.sink.globals(), [[18, 3, 4, 1, 1]]);
    const joined = a.sink.of("global")[0].event;
    assert.equal(text(joined.addInfo), "u18");
    b.port.detach();
    b.port.detach();
    await clock.flush();
    assert.deepEqual(a.sink.globals(), [[18, 3, 4, 1, 1], [18, 3, 4, 1, 0]]);
    assert.deepEqual(b.sink.of("closed"), [], "detach is not a close");
    assert.equal(
      b.port.send(1, 3, addr(17, 0), te.encode("x")),
      ErrorCode.CONN_NOT_ESTAB,
    );
    assert.equal(bus.clients().length, 1);
  });

  test("routing - data crosses nodes with the right head, asynchronously and in order", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0, 8000);
    const b = join(18, 5, 8001);
    await clock.flush();
    b.sink.clear();
    for (let i = 0; i < 50; i++) {
      assert.equal(a.port.send(7, 3, addr(18, 5), te.encode(`m${i}`)), 0);
    }
    assert.deepEqual(b.sink.events, []);
    await clock.flush();
    const got = b.sink.of("data");
    assert.deepEqual(
      got.map((e) => e.text),
      Array.from({ length: 50 }, (_, i) => `m${i}`),
    );
    assert.deepEqual(got[0].head, {
      cmd: 7,
      cmdType: 3,
      src: addr(17, 0),
      dst: addr(18, 5),
      packetSize: 20 + 2,
      dataLen: 2,
    });
    assert.equal(bus.sent(addr(17, 0)).length, 50);
    assert.equal(bus.received({ unitId: 18 }).length, 50);
    assert.equal(bus.received({ unitId: 17 }).length, 0);
  });

  test("routing - unknown destinations are dropped and recorded, sending to oneself is refused", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0);
    join(18, 0);
    assert.equal(a.port.send(1, 3, addr(19, 0), te.encode("x")), 0);
    assert.equal(
      a.port.send(1, 3, addr(18, 0, 2), te.encode("x")),
      0,
      "type must match",
    );
    assert.equal(
      a.port.send(1, 3, addr(17, 0), te.encode("x")),
      ErrorCode.SEND_OWN,
    );
    await clock.flush();
    assert.deepEqual(bus.sent().map((m) => [m.status, m.reason]), [
      ["dropped", "no such destination"],
      ["dropped", "no such destination"],
    ]);
  });

  test("ping - answered by the bus as cmd 8, cmdtype 1 with the same data; the target sees nothing", async () => {
    const { clock, join } = setup();
    const a = join(17, 0);
    const b = join(18, 2, 8001);
    await clock.flush();
    a.sink.clear();
    b.sink.clear();
    assert.equal(a.port.ping(addr(18, 2), te.encode("hello")), 0);
    await clock.flush();
    assert.deepEqual(b.sink.events, []);
    const [answer] = a.sink.of("data");
    assert.equal(answer.text, "hello");
    assert.equal(answer.head.cmd, 8);
    assert.equal(answer.head.cmdType, 1);
    assert.deepEqual(answer.head.src, addr(18, 2));
    assert.deepEqual(answer.head.dst, addr(17, 0));
  });

  test("faults - stopping a node closes its connections and tells the others", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0, 8000);
    const b = join(18, 0, 8001);
    await clock.flush();
    a.sink.clear();
    bus.stopNode(1);
    assert.equal(bus.node(1).running, false);
    await clock.flush();
    assert.deepEqual(b.sink.of("closed").map((e) => e.reason), [
      "node 1 stopped",
    ]);
    assert.deepEqual(a.sink.globals(), [[18, 0, 4, 1, 0], [1, -1, 1, 1, 0]]);
    assert.equal(
      b.port.send(1, 3, addr(17, 0), te.encode("x")),
      ErrorCode.CONN_NOT_ESTAB,
    );
    a.sink.clear();
    bus.startNode(1);
    await clock.flush();
    assert.deepEqual(a.sink.globals(), [[1, -1, 1, 1, 1]]);
    join(18, 0, 8001);
  });

  test("faults - kick cuts one client", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0);
    const b = join(18, 0);
    await clock.flush();
    a.sink.clear();
    assert.equal(bus.kick({ unitId: 18, clientId: 0 }), true);
    assert.equal(bus.kick({ unitId: 18, clientId: 0 }), false);
    await clock.flush();
    assert.deepEqual(b.sink.of("closed").map((e) => e.reason), ["kicked"]);
    assert.deepEqual(a.sink.globals(), [[18, 0, 4, 0, 0]]);
  });

  test("faults - a link delay holds deliveries on the bus clock and keeps their order", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0);
    const b = join(18, 0);
    await clock.flush();
    b.sink.clear();
    bus.setLinkDelay((src) => (src.unitId === 17 ? 100 : 0));
    a.port.send(1, 3, addr(18, 0), te.encode("slow"));
    bus.setLinkDelay(undefined);
    a.port.send(1, 3, addr(18, 0), te.encode("after"));
    await clock.advance(99);
    assert.deepEqual(b.sink.of("data"), []);
    await clock.advance(1);
    assert.deepEqual(b.sink.of("data").map((e) => e.text), ["slow", "after"]);
  });

  test("robustness - a sink that throws does not break the bus", async () => {
    const { bus, clock, lines, join } = setup();
    const a = join(17, 0);
    const bad = new RecordingSink();
    bad.data = () => {
      throw new Error("boom");
    };
    assert.ok(bus.attach("127.0.0.1", 8000, req(addr(18, 0)), bad).ok);
    const c = join(19, 0);
    a.port.send(1, 3, addr(18, 0), te.encode("x"));
    a.port.send(1, 3, addr(19, 0), te.encode("y"));
    await clock.flush();
    assert.deepEqual(c.sink.of("data").map((e) => e.text), ["y"]);
    assert.ok(lines.some((l) => l.includes("boom")));
  });

  test("reset - closes everything, clears records, restarts nodes, keeps nodes", async () => {
    const { bus, clock, join } = setup();
    const a = join(17, 0);
    join(18, 0);
    a.port.send(1, 3, addr(18, 0), te.encode("x"));
    bus.stopNode(1);
    bus.reset();
    await clock.flush();
    assert.deepEqual(a.sink.of("closed").map((e) => e.reason), ["bus reset"]);
    assert.deepEqual(bus.clients(), []);
    assert.deepEqual(bus.sent(), []);
    assert.deepEqual(bus.flowCalls(), []);
    assert.deepEqual(bus.nodes().map((n) => [n.unitId, n.running]), [
      [0, true],
      [1, true],
      [2, true],
    ]);
    const again = join(17, 0, 8001);
    await clock.flush();
    assert.equal(again.sink.globals().length, 3);
  });

  test("nodes - bad or clashing nodes are refused", () => {
    const { bus } = setup();
    assert.throws(() => bus.addNode({ unitId: 16, port: 9000 }), RangeError);
    assert.throws(() => bus.addNode({ unitId: 0, port: 9000 }), /exists/);
    assert.throws(
      () => bus.addNode({ unitId: 5, host: "localhost", port: 8000 }),
      /taken/,
    );
    assert.throws(() => bus.node(9), /no node 9/);
  });

  test("ordering - per link FIFO holds under any mix of senders and link delays", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            from: fc.integer({ min: 0, max: 2 }),
            to: fc.integer({ min: 0, max: 2 }),
            delay: fc.constantFrom(0, 0, 1, 5, 50),
            wait: fc.constantFrom(0, 0, 3),
          }),
          { maxLength: 40 },
        ),
        async (plan) => {
          const { bus, clock, join } = setup();
          const peers = [join(20, 0), join(21, 0, 8001), join(22, 0)];
          await clock.flush();
          for (const p of peers) p.sink.clear();
          const sent: string[][] = peers.map(() => []);
          let n = 0;
          for (const step of plan) {
            if (step.from === step.to) continue;
            bus.setLinkDelay(() => step.delay);
            const body = `${step.from}:${n++}`;
            peers[step.from].port.send(
              1,
              3,
              addr(20 + step.to, 0),
              te.encode(body),
            );
            sent[step.to].push(body);
            if (step.wait) await clock.advance(step.wait);
          }
          await clock.advance(1000);
          peers.forEach((p, i) => {
            const got = p.sink.of("data").map((e) => e.text);
            assert.deepEqual(
              [...got].sort(),
              [...sent[i]].sort(),
              "nothing lost",
            );
            for (const from of [0, 1, 2]) {
              const mine = (xs: string[]) =>
                xs.filter((x) => x.startsWith(`${from}:`));
              assert.deepEqual(
                mine(got),
                mine(sent[i]),
                `link ${from} -> ${i} kept its order`,
              );
            }
          });
        },
      ),
      { numRuns: 60 },
    );
  });
});
