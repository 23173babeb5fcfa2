/**
 * The running runtime's native backend against the real stand-in library
 * (`build/libbusnetcli.so`, built by `scripts/build_native.sh`) talking over
 * TCP to a mock bus served in this process: connections, data to and from a
 * peer unit, pings, flows with results and the library's own timeout.
 *
 * As the vendor's library, the stand-in sends nothing to its own unit (-11),
 * not even to another local client: the data goes to a peer unit (a
 * `MockBackend` unit attached to the same bus, in this process) that sends
 * every message back.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  buildStandin,
  createClients,
  cstr,
  nativeFactory,
  Recorder,
  runtime,
  STANDIN,
  text,
} from "./fixtures/ffi_harness.ts";
import type { NativeBackend } from "../src/ffi/native_backend.ts";
import {
  MockBackend,
  MockBus,
  serveTcp,
  type TcpFront,
} from "../src/mock/mod.ts";

const skip = buildStandin();
const UNIT = 20;
/** The peer unit (a mock backend on the same bus) and its client id. */
const PEER_UNIT = 21;
const PEER_CLIENT = 2;

describe(`ffi backend on the stand-in (${runtime})`, { skip }, () => {
  let bus: MockBus;
  let front: TcpFront;
  let master: { host: string; port: number };
  let secured: { host: string; port: number };
  let b: NativeBackend;
  let peer: MockBackend;
  const rec = new Recorder();
  const peerRec = new Recorder();

  before(async () => {
    process.env.SMARTBUS_STANDIN_RECONNECT_MS = "100";
    bus = new MockBus({ logger: () => {} });
    bus.addNode({ unitId: 0, port: 8100 });
    bus.addNode({ unitId: 2, port: 8102, users: { alice: "s3cret" } });
    const ipsc = bus.addIpsc({ unitId: 0, processIndex: 0, node: 0 });
    ipsc.flow("proj", "echo", (params) => params);
    front = await serveTcp(
      bus,
      [
        { unitId: 0, host: "127.0.0.1", port: 8100, listenPort: 0 },
        { unitId: 2, host: "127.0.0.1", port: 8102, listenPort: 0 },
      ],
      { logger: { warn() {}, info() {} } },
    );
    [master, secured] = front.addresses.map((a) => ({
      host: a.host,
      port: a.port,
    }));
    if (typeof nativeFactory === "string") throw new Error(nativeFactory);
    b = nativeFactory(STANDIN);
    b.setCallbacks(rec.callbacks);
    assert.equal(b.init(UNIT), 0);
    peer = new MockBackend(bus, { reconnectIntervalMs: 100 });
    peer.setCallbacks(peerRec.callbacks);
    assert.equal(peer.init(PEER_UNIT), 0);
    assert.equal(
      peer.createConnect(
        PEER_CLIENT,
        3,
        cstr("127.0.0.1"),
        8100,
        null,
        0xffff,
        null,
        null,
        cstr("peer"),
      ),
      0,
    );
    await peerRec.until(
      () => peerRec.of("connection").some((c) => c[2] === 0),
      "the peer's connection",
    );
  });

  after(async () => {
    peer?.release();
    peer?.close();
    b?.release();
    b?.close();
    await b?.settled();
    await front?.close();
  });

  test("ffi standin - two local clients connect and see each other join", async () => {
    createClients(b, master, [1, 2], "c");
    await rec.until(
      () => rec.of("connection").filter((c) => c[2] === 0).length === 2,
      "two connections",
    );
    assert.deepEqual(rec.of("connection").map((c) => c.slice(1)), [[0, 0], [
      0,
      0,
    ]]);
    await rec.until(
      () =>
        rec.of("globalConnect").some((g) =>
          g[0] === UNIT && g[1] === 2 && text(g[5]) === "c2"
        ),
      "client 2's global connect event",
    );
    const ipsc = rec.of("globalConnect").find((g) => g[2] === 2);
    assert.ok(ipsc, "the IPSC was announced");
  });

  test("ffi standin - 3,000 messages from client 1 reach a peer unit, and its answers client 2, intact and in order", async () => {
    const N = 3000;
    const size = (i: number) => (i * 131) % 1500;
    const intact = (
      i: number,
      h: Uint8Array,
      data: Uint8Array,
      src: string,
    ): boolean => {
      const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
      return v.getUint16(0, true) === 0x5b15 && h[2] === i % 256 &&
        h[3] === 3 &&
        [v.getInt8(4), v.getInt8(5), v.getInt8(6)].join() === src &&
        v.getInt32(16, true) === size(i) && data.length === size(i) &&
        data.every((x, k) => x === ((i + k) & 0xff));
    };
    let sent = 0, got = 0;
    const problems: string[] = [];
    // The peer checks what the stand-in sent and sends it back to client 2.
    peerRec.onRecv = (id, h, data) => {
      const i = sent++;
      if (
        (id !== PEER_CLIENT || !intact(i, h, data, `3,${UNIT},1`)) &&
        problems.length < 5
      ) {
        problems.push(`to the peer ${i}: ${[...h].join(",")} ${data.length}`);
      }
      const rc = peer.sendData(PEER_CLIENT, h[2], 3, UNIT, 2, 3, data);
      if (rc !== 0 && problems.length < 5) {
        problems.push(`peer send ${i}: ${rc}`);
      }
    };
    rec.onRecv = (id, h, data) => {
      const i = got++;
      if (
        (id !== 2 || !intact(i, h, data, `3,${PEER_UNIT},${PEER_CLIENT}`)) &&
        problems.length < 5
      ) {
        problems.push(`to client 2 ${i}: ${[...h].join(",")} ${data.length}`);
      }
    };
    try {
      for (let i = 0; i < N; i++) {
        const data = Uint8Array.from(
          { length: size(i) },
          (_, k) => (i + k) & 0xff,
        );
        assert.equal(
          b.sendData(1, i % 256, 3, PEER_UNIT, PEER_CLIENT, 3, data),
          0,
        );
      }
      await rec.until(() => got === N, `${N} messages back`, 30_000);
    } finally {
      rec.onRecv = undefined;
      peerRec.onRecv = undefined;
    }
    assert.equal(sent, N);
    assert.deepEqual(problems, []);
  });

  test("ffi standin - data and pings to its own unit are refused with -11, as the vendor's", () => {
    const x = cstr("x");
    assert.equal(b.sendData(1, 1, 3, UNIT, 2, 3, x), -11);
    assert.equal(b.sendPing(1, UNIT, 2, 3, x), -11);
    // The vendor's order: cmdtype 0 (-16) and the dst unit (-12) come first,
    // an unknown local client (-9) after.
    assert.equal(b.sendData(1, 1, 0, UNIT, 2, 3, x), -16);
    assert.equal(b.sendData(9, 1, 3, UNIT, 2, 3, x), -11);
    assert.equal(b.sendData(9, 1, 3, PEER_UNIT, 2, 3, x), -9);
  });

  test("ffi standin - a ping to the IPSC is answered with cmd 8, cmdtype 1", async () => {
    const before = rec.of("recvData").length;
    assert.equal(b.sendPing(1, 0, 0, 2, cstr("ping")), 0);
    await rec.until(
      () => rec.of("recvData").length > before,
      "the ping answer",
    );
    const [id, h, data] = rec.of("recvData")[before] as [
      number,
      Uint8Array,
      Uint8Array,
    ];
    assert.equal(id, 1);
    // The vendor's PING_ANSWER: cmd 8, cmdtype 1 (SYSTEM).
    assert.deepEqual([h[2], h[3]], [8, 1]);
    assert.equal(text(data).replace(/\0+$/, ""), "ping");
  });

  test("ffi standin - a flow acknowledges and returns its result", async () => {
    const invokeId = b.remoteInvokeFlow(
      1,
      0,
      0,
      cstr("proj"),
      cstr("echo"),
      0,
      5000,
      cstr('[1,"two"]'),
    );
    assert.ok(invokeId > 0, String(invokeId));
    const ret = await rec.flowResult(invokeId, "the flow result");
    const ack = rec.of("invokeFlowAck").find((a) => a[3] === invokeId);
    assert.ok(ack);
    assert.equal(ack[4], 1);
    assert.equal(text(ack[2]), "proj");
    assert.equal(ret[4], 1);
    assert.ok(ret[1] instanceof Uint8Array);
    assert.deepEqual(JSON.parse(text(ret[5])), [1, "two"]);
  });

  test("ffi standin - the library's own timer ends a flow nobody answers", async () => {
    const invokeId = b.remoteInvokeFlow(
      1,
      0,
      0,
      cstr("proj"),
      cstr("missing"),
      0,
      200,
      cstr("[]"),
    );
    assert.ok(invokeId > 0);
    const ret = await rec.flowResult(invokeId, "the timeout");
    assert.deepEqual([ret[1], text(ret[2]), ret[4]], [null, "proj", -25]);
  });

  test("ffi standin - a wrong password is reported as a failed attempt with its code", async () => {
    const rc = b.createConnect(
      3,
      3,
      cstr(secured.host),
      secured.port,
      null,
      0xffff,
      cstr("alice"),
      cstr("wrong"),
      null,
    );
    assert.equal(rc, 0);
    await rec.until(
      () =>
        rec.of("connection").some((c) => c[0] === 3 && (c[2] as number) < 0),
      "a failed attempt",
    );
    const fail = rec.of("connection").find((c) => c[0] === 3)!;
    assert.equal(fail[2], -6);
  });
});
