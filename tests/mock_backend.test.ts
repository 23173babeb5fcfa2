/**
 * The mock backend at the backend interface (the calls and callbacks the
 * API sees from `libbusnetcli`), on a mock bus with a virtual clock.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ErrorCode } from "../src/abi/constants.ts";
import type { PackInfo } from "../src/abi/packinfo.ts";
import {
  MockBackend,
  MockBus,
  RealClock,
  VirtualClock,
} from "../src/mock/mod.ts";
import {
  addr,
  cs,
  recordingCallbacks,
  RecordingSink,
  req,
  te,
} from "./shared/mock_recorders.ts";

const RECONNECT = 3000;

function setup() {
  const clock = new VirtualClock();
  const bus = new MockBus({ clock });
  bus.addNode({ unitId: 0, port: 8000 });
  bus.addNode({ unitId: 1, port: 8001 });
  bus.addNode({ unitId: 2, port: 8002, users: { alice: "s3cret" } });
  const backend = new MockBackend(bus, { reconnectIntervalMs: RECONNECT });
  const rec = recordingCallbacks();
  backend.setCallbacks(rec.callbacks);
  assert.equal(backend.init(17), 0);
  const connect = (
    id: number,
    port = 8000,
    slavePort = 0xffff,
    user: string | null = null,
    pwd: string | null = null,
  ) =>
    backend.createConnect(
      id,
      4,
      cs("127.0.0.1"),
      port,
      slavePort === 0xffff ? null : cs("127.0.0.1"),
      slavePort,
      user === null ? null : cs(user),
      pwd === null ? null : cs(pwd),
      cs("info"),
    );
  return { clock, bus, backend, rec, connect };
}

describe("mock backend", () => {
  test("init - validates the unit id and refuses a second init", () => {
    const clock = new VirtualClock();
    const b = new MockBackend(new MockBus({ clock }));
    assert.equal(
      b.createConnect(
        0,
        4,
        cs("127.0.0.1"),
        8000,
        null,
        0xffff,
        null,
        null,
        null,
      ),
      ErrorCode.NON_INIT,
    );
    assert.equal(
      b.sendData(0, 1, 3, 18, 0, 4, te.encode("x")),
      ErrorCode.NON_INIT,
    );
    assert.equal(b.init(15), ErrorCode.UNITID_INVALID);
    assert.equal(b.init(48), ErrorCode.UNITID_INVALID);
    assert.equal(b.init(47), 0);
    assert.equal(b.init(20), ErrorCode.REGISTERED_REPEAT);
    b.release();
    assert.equal(b.init(16), 0, "init works again after release");
    assert.equal(b.kind, "mock");
    assert.equal(b.longSize, 4);
  });

  test("createConnect - validates its arguments", () => {
    const { backend: b, connect } = setup();
    assert.equal(
      b.createConnect(
        0,
        9,
        cs("127.0.0.1"),
        8000,
        null,
        0xffff,
        null,
        null,
        null,
      ),
      ErrorCode.CLIENTTYPE_INVALID,
    );
    assert.equal(
      b.createConnect(0, 4, cs(""), 8000, null, 0xffff, null, null, null),
      ErrorCode.ARGUMENT,
    );
    assert.equal(
      b.createConnect(0, 4, cs("127.0.0.1"), 0, null, 0xffff, null, null, null),
      ErrorCode.ARGUMENT,
    );
    assert.equal(
      b.createConnect(
        0,
        4,
        cs("x".repeat(65)),
        8000,
        null,
        0xffff,
        null,
        null,
        null,
      ),
      ErrorCode.ARGUMENT,
    );
    assert.equal(
      b.createConnect(
        256,
        4,
        cs("127.0.0.1"),
        8000,
        null,
        0xffff,
        null,
        null,
        null,
      ),
      ErrorCode.CLIENTID_INVALID,
    );
    assert.equal(connect(0), 0);
    assert.equal(connect(0), ErrorCode.CLI_EXIST);
  });

  test("connect - asynchronous, reports the node's unit id, then global events", async () => {
    const { clock, rec, connect, bus } = setup();
    assert.equal(connect(3, 8001), 0);
    assert.deepEqual(rec.named("connection"), [], "never inside createConnect");
    await clock.flush();
    assert.deepEqual(rec.named("connection"), [[3, 1, 0]]);
    assert.deepEqual(rec.named("globalConnect").map((g) => g.slice(0, 5)), [
      [0, -1, 1, 0, 2],
      [1, -1, 1, 1, 2],
      [2, -1, 1, 2, 2],
    ]);
    const names = rec.calls.map((c) => c[0]);
    assert.ok(names.indexOf("connection") < names.indexOf("globalConnect"));
    assert.deepEqual(bus.clients().map((c) => [c.address, c.addInfo]), [[
      addr(17, 3),
      "info",
    ]]);
  });

  test("connect - an authentication failure is reported once and ends that link's tries", async () => {
    const { clock, rec, connect } = setup();
    connect(0, 8002, 0xffff, "alice", "wrong");
    connect(1, 8002, 0xffff, "bob", "s3cret");
    connect(2, 8002);
    connect(3, 8002, 0xffff, "alice", "s3cret");
    await clock.flush();
    assert.deepEqual(rec.named("connection"), [
      [0, -1, ErrorCode.PWD],
      [1, -1, ErrorCode.USER],
      [2, -1, ErrorCode.AUTHOR],
      [3, 2, 0],
    ]);
    // As the vendor's library: any refusal but -10 is final for the link.
    await clock.advance(RECONNECT * 3);
    assert.equal(rec.named("connection").length, 4);
    assert.ok(rec.traces().some((t) => t.includes("wrong password")));
  });

  test("connect - an unreachable node is reported once, then tried every interval", async () => {
    const { clock, bus, rec, connect } = setup();
    bus.stopNode(0);
    connect(0, 8000);
    await clock.flush();
    assert.deepEqual(rec.named("connection"), [
      [0, -1, ErrorCode.ESTABLI_CONNECT],
    ]);
    await clock.advance(RECONNECT * 3);
    assert.equal(rec.named("connection").length, 1, "once until a login");
    bus.startNode(0);
    await clock.advance(RECONNECT - 1);
    assert.equal(rec.named("connection").length, 1);
    await clock.advance(1);
    assert.deepEqual(rec.named("connection").at(-1), [0, 0, 0]);
  });

  test("failover - both links log in; a stopped master is silent, the slave carries on", async () => {
    const { clock, bus, rec, connect, backend } = setup();
    const peer = new RecordingSink();
    assert.ok(bus.attach("127.0.0.1", 8001, req(addr(18, 0)), peer).ok);
    connect(0, 8000, 8001);
    await clock.flush();
    assert.deepEqual(
      rec.named("connection"),
      [[0, 0, 0]],
      "the first login only",
    );
    assert.deepEqual(
      bus.clients().filter((c) => c.address.unitId === 17).map((c) => [
        c.nodeUnitId,
        c.standbyNodeUnitId,
      ]),
      [[0, 1]],
    );
    bus.stopNode(0);
    await clock.flush();
    assert.deepEqual(rec.named("disconnect"), []);
    assert.equal(backend.sendData(0, 1, 3, 18, 0, 4, te.encode("x")), 0);
    await clock.flush();
    assert.equal(peer.events.filter((e) => e.kind === "data").length, 1);
    // The master link dials again at once, then every interval, silently.
    bus.startNode(0);
    await clock.advance(RECONNECT);
    assert.deepEqual(rec.named("connection"), [[0, 0, 0]]);
    assert.deepEqual(
      bus.clients().filter((c) => c.address.unitId === 17).map((c) => [
        c.nodeUnitId,
        c.standbyNodeUnitId,
      ]),
      [[1, 0]],
    );
  });

  test("failover - with no other link registered, a break is one disconnect, then the slave", async () => {
    const { clock, bus, rec, connect, backend } = setup();
    bus.stopNode(1);
    connect(0, 8000, 8001);
    await clock.flush();
    assert.deepEqual(rec.named("connection"), [[0, 0, 0]]);
    bus.stopNode(0);
    assert.equal(
      backend.sendData(0, 1, 3, 18, 0, 4, te.encode("x")),
      ErrorCode.CONN_NOT_ESTAB,
    );
    await clock.advance(0); // the broken link dials again at once
    assert.deepEqual(rec.named("disconnect"), [[0]]);
    assert.deepEqual(rec.named("connection").slice(1), [
      [0, 0, ErrorCode.ESTABLI_CONNECT],
    ]);
    bus.startNode(1);
    await clock.advance(RECONNECT);
    assert.deepEqual(rec.named("connection").at(-1), [0, 1, 0]);
    // A kick closes both of its links: one disconnect, then both back.
    bus.startNode(0);
    await clock.advance(RECONNECT);
    bus.kick({ unitId: 17, clientId: 0 });
    await clock.advance(0);
    assert.deepEqual(rec.named("disconnect"), [[0], [0]]);
    assert.equal(rec.named("connection").at(-1)?.[2], 0);
  });

  test("data - sendData and sendPing reach the bus; heads are the vendor binary's 20-byte heads", async () => {
    const { clock, bus, backend, rec, connect } = setup();
    const peer = new RecordingSink();
    assert.ok(bus.attach("127.0.0.1", 8001, req(addr(30, 1)), peer).ok);
    connect(0);
    await clock.flush();
    assert.equal(backend.sendData(0, 5, 3, 30, 1, 4, te.encode("hi\0")), 0);
    assert.equal(backend.sendPing(0, 30, 1, 4, te.encode("p")), 0);
    assert.equal(
      backend.sendData(9, 5, 3, 30, 1, 4, te.encode("x")),
      ErrorCode.CLIENTID_INVALID,
    );
    assert.equal(
      backend.sendData(0, 5, 3, 30, 1, 4, new Uint8Array(65537)),
      ErrorCode.MAX_DATASIZE,
    );
    await clock.flush();
    assert.deepEqual(peer.of("data").map((d) => d.text), ["hi\0"]);
    const [[id, head, data]] = rec.named("recvData") as [
      number,
      PackInfo,
      string,
    ][];
    assert.equal(id, 0);
    assert.equal(data, "p");
    assert.equal(head.headFlag, 0x5b15);
    assert.equal(head.cmd, 8);
    assert.equal(head.cmdType, 1);
    assert.deepEqual([
      head.srcUnitId,
      head.srcUnitClientId,
      head.srcUnitClientType,
    ], [30, 1, 4]);
    assert.deepEqual([head.dstUnitId, head.dstUnitClientId], [17, 0]);
    assert.deepEqual([head.packetSize, head.dataLen], [21, 1]);
  });

  test("flows - invoke ids are positive and increase; bad mode and size are refused", async () => {
    const { clock, backend, connect } = setup();
    connect(0);
    assert.equal(
      backend.remoteInvokeFlow(0, 0, 0, cs("p"), cs("f"), 0, 1000, cs("[]")),
      ErrorCode.CONN_NOT_ESTAB,
    );
    await clock.flush();
    const a = backend.remoteInvokeFlow(
      0,
      0,
      0,
      cs("p"),
      cs("f"),
      1,
      1000,
      cs("[]"),
    );
    const b = backend.sendNotify(0, 0, 0, cs("p"), cs("t"), 1, 1000, cs(""));
    assert.ok(a > 0 && b > a);
    assert.equal(
      backend.remoteInvokeFlow(0, 0, 0, cs("p"), cs("f"), 2, 1000, cs("[]")),
      ErrorCode.ARGUMENT,
    );
    const big = cs("[" + "1,".repeat(16_384) + "1]");
    assert.equal(
      backend.remoteInvokeFlow(0, 0, 0, cs("p"), cs("f"), 0, 1000, big),
      ErrorCode.MAX_DATASIZE,
    );
  });

  test("release - leaves the bus, stops every timer, raises nothing more", async () => {
    const { clock, bus, backend, rec, connect } = setup();
    connect(0);
    connect(1, 8002);
    await clock.flush();
    backend.remoteInvokeFlow(0, 0, 0, cs("p"), cs("f"), 0, 1000, cs("[]"));
    assert.ok(clock.pendingTimers >= 2);
    const before = rec.calls.length;
    backend.release();
    assert.equal(clock.pendingTimers, 0);
    assert.deepEqual(bus.clients(), []);
    await clock.advance(10_000);
    assert.equal(rec.calls.length, before);
    assert.equal(
      backend.sendData(0, 1, 3, 18, 0, 4, te.encode("x")),
      ErrorCode.NON_INIT,
    );
  });

  test("close - drops the callbacks; idempotent", async () => {
    const { clock, backend, rec, connect } = setup();
    connect(0);
    backend.close();
    backend.close();
    await clock.flush();
    assert.deepEqual(rec.calls.filter((c) => c[0] !== "traceInfo"), []);
    backend.setCallbacks(rec.callbacks);
    await clock.advance(RECONNECT);
    assert.deepEqual(rec.named("connection"), []);
    backend.release();
  });

  test("real clock - failover works on real timers too", async () => {
    const bus = new MockBus({ clock: new RealClock() });
    bus.addNode({ unitId: 0, port: 8000 });
    bus.addNode({ unitId: 1, port: 8001 });
    const backend = new MockBackend(bus, { reconnectIntervalMs: 20 });
    const rec = recordingCallbacks();
    let wake = () => {};
    const seen = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error("no connect in 5 s")),
          5000,
        );
        wake = () => {
          if (
            rec.named("connection").filter((c) => c[2] === 0).length < n
          ) return;
          clearTimeout(timer);
          resolve();
        };
        wake();
      });
    rec.callbacks.connection = (...a) => {
      rec.calls.push(["connection", ...a]);
      wake();
    };
    backend.setCallbacks(rec.callbacks);
    backend.init(17);
    backend.createConnect(
      0,
      4,
      cs("127.0.0.1"),
      8000,
      cs("127.0.0.1"),
      8001,
      null,
      null,
      null,
    );
    await seen(1);
    // Both nodes stopped, then the slave started: one outage, then the
    // slave link logs in again on the real interval timer.
    bus.stopNode(0);
    bus.stopNode(1);
    bus.startNode(1);
    await seen(2);
    assert.deepEqual(rec.named("connection").at(-1), [0, 1, 0]);
    assert.deepEqual(rec.named("disconnect"), [[0]]);
    backend.release();
    backend.close();
  });
});
