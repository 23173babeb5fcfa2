/**
 * The native event queue (src/ffi/queue/) on its own, before it is wired
 * into the backends: the shipped build, loaded under the running runtime
 * with its own FFI, given to the real stand-in library as its callbacks,
 * drained in batches. The stand-in overwrites and frees every buffer as soon
 * as a callback returns, so any byte read late shows up as a wrong byte:
 * every message carries a distinct pattern and is checked in full.
 *
 * The stand-in, as the vendor's library, sends nothing to its own unit
 * (-11): client 1 sends to an echoing peer unit on the same bus, which sends
 * every message back to client 2.
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
import { openRawQueue, type RawQueue } from "./fixtures/queue_raw.ts";
import type { NativeBackend } from "../src/ffi/native_backend.ts";
import { eventQueueFile } from "../src/ffi/queue/load.ts";
import { createQueueDrain, QueueWake } from "../src/ffi/queue/drain.ts";
import { MockBus, serveTcp, type TcpFront } from "../src/mock/mod.ts";
import { type EchoPeer, echoPeer } from "./fixtures/echo_peer.ts";

const UNIT = 21;
/** The echoing peer: unit and client id. */
const PEER_UNIT = 22;
const PEER_CLIENT = 2;
const HEAD = 20; // the vendor binary's packet head (int sizes)
const DEFAULT_CAPACITY = 4 << 20;

function prepare(): string | false {
  if (typeof nativeFactory === "string") return nativeFactory;
  const q = eventQueueFile();
  if (!q.ok) return `the event queue cannot load here: ${q.reason}`;
  return buildStandin();
}

const skip = prepare();

/** Message i: `size` bytes of a pattern no other message has at that length. */
function payload(i: number, size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, k) => (i * 7 + k) & 0xff);
}

/** Why `(head, data)` is not message `i` from client 1 with cmd i % 256, or "". */
function wrong(
  i: number,
  size: number,
  h: Uint8Array,
  data: Uint8Array,
): string {
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const expected = payload(i, size);
  if (h.byteLength !== HEAD || h.buffer.byteLength !== HEAD) {
    return "head is not its own 20-byte array";
  }
  if (data.buffer.byteLength !== data.byteLength) {
    return "data is a view of a larger buffer";
  }
  if (v.getUint16(0, true) !== 0x5b15) {
    return `head flag ${v.getUint16(0, true)}`;
  }
  if (h[2] !== i % 256 || h[3] !== 3) return `cmd ${h[2]}/${h[3]}`;
  if (v.getInt32(16, true) !== size) {
    return `datalen ${v.getInt32(16, true)}`;
  }
  if (data.length !== size) return `length ${data.length} != ${size}`;
  const at = data.findIndex((x, k) => x !== expected[k]);
  return at < 0 ? "" : `byte ${at}: ${data[at]} != ${expected[at]}`;
}

describe(`ffi event queue on the stand-in (${runtime})`, { skip }, () => {
  let front: TcpFront;
  let master: { host: string; port: number };
  let b: NativeBackend;
  let q: RawQueue;
  let peer: EchoPeer;
  const rec = new Recorder();
  const drain = (): void => drainAll();
  let drainAll: () => void = () => {};
  const mode = runtime === "bun" ? QueueWake.direct : QueueWake.thread;

  before(async () => {
    process.env.SMARTBUS_STANDIN_RECONNECT_MS = "100";
    const bus = new MockBus({ logger: () => {} });
    bus.addNode({ unitId: 0, port: 8100 });
    const ipsc = bus.addIpsc({ unitId: 0, processIndex: 0, node: 0 });
    ipsc.flow("proj", "echo", (params) => params);
    peer = echoPeer(bus, {
      unitId: PEER_UNIT,
      clientId: PEER_CLIENT,
      node: { host: "127.0.0.1", port: 8100 },
      replyToClient: 2,
    });
    await peer.ready();
    front = await serveTcp(
      bus,
      [{ unitId: 0, host: "127.0.0.1", port: 8100, listenPort: 0 }],
      { logger: { warn() {}, info() {} } },
    );
    master = { host: front.addresses[0].host, port: front.addresses[0].port };
    const file = eventQueueFile();
    if (!file.ok || typeof nativeFactory === "string") throw new Error("skip");
    b = nativeFactory(STANDIN);
    q = openRawQueue(STANDIN, file.path);
    assert.equal(q.configure(DEFAULT_CAPACITY, HEAD, 1000), 0);
    drainAll = createQueueDrain(q.drain, HEAD, () => rec.callbacks);
    q.setWake(drain, mode);
    q.install(); // instead of b.setCallbacks: the queue gets every callback
    assert.equal(b.init(UNIT), 0);
  });

  after(async () => {
    peer?.close();
    b?.release();
    q?.setWake(null, mode);
    b?.close();
    await b?.settled();
    await front?.close();
  });

  test("ffi queue - connection, global connect and trace events arrive through the queue", async () => {
    createClients(b, master, [1, 2], "q");
    await rec.until(
      () => rec.of("connection").filter((c) => c[2] === 0).length === 2,
      "two connections",
    );
    await rec.until(
      () =>
        rec.of("globalConnect").some((g) =>
          g[0] === UNIT && g[1] === 2 && text(g[5]) === "q2"
        ),
      "client 2's global connect event",
    );
    assert.ok(
      rec.of("traceInfo").length > 0,
      "trace lines came through the queue",
    );
  });

  test("ffi queue - 5,000 messages arrive intact, in order, each in its own arrays", async () => {
    const N = 5000;
    let got = 0;
    const problems: string[] = [];
    rec.onRecv = (id, h, data) => {
      const i = got++;
      const why = id === 2
        ? wrong(i, (i * 131) % 1500, h, data)
        : `local id ${id}`;
      if (why && problems.length < 5) problems.push(`message ${i}: ${why}`);
    };
    const before = q.stats();
    for (let i = 0; i < N; i++) {
      assert.equal(
        b.sendData(
          1,
          i % 256,
          3,
          PEER_UNIT,
          PEER_CLIENT,
          3,
          payload(i, (i * 131) % 1500),
        ),
        0,
      );
    }
    await rec.until(() => got === N, `${N} messages`, 30_000);
    rec.onRecv = undefined;
    assert.deepEqual(problems, []);
    const s = q.stats();
    assert.equal(s.dropped - before.dropped, 0);
    assert.ok(
      s.wakes - before.wakes < N,
      `batched: ${s.wakes - before.wakes} wakes for ${N} messages`,
    );
  });

  test("ffi queue - a flow's acknowledge and result carry their project, id and text", async () => {
    const id = b.remoteInvokeFlow(
      1,
      0,
      0,
      cstr("proj"),
      cstr("echo"),
      0,
      5000,
      cstr('[1,"zwölf"]'),
    );
    assert.ok(id > 0);
    const ret = await rec.flowResult(id, "the flow's result");
    assert.equal(ret[0], 1);
    assert.equal((ret[1] as Uint8Array).length, HEAD);
    assert.equal(text(ret[2]), "proj");
    assert.equal(ret[4], 1);
    assert.deepEqual(JSON.parse(text(ret[5])), [1, "zwölf"]);
    const ack = rec.of("invokeFlowAck").find((a) => a[3] === id);
    assert.ok(ack && ack[4] === 1 && text(ack[2]) === "proj", "acknowledged");
  });

  test("ffi queue - the library's timeout arrives with a NULL head", async () => {
    const id = b.remoteInvokeFlow(
      1,
      0,
      0,
      cstr("proj"),
      cstr("nosuchflow"),
      0,
      200,
      cstr("[]"),
    );
    assert.ok(id > 0);
    const ret = await rec.flowResult(id, "the flow's failure");
    assert.notEqual(ret[4], 1, "a failure, not a result");
    assert.equal(ret[1], null);
  });

  test("ffi queue - a full ring that may not block drops and counts, and keeps the rest intact", async () => {
    q.setWake(null, mode); // nobody drains: the ring fills
    drainAll();
    assert.equal(q.configure(64 << 10, HEAD, 0), 0);
    const N = 400;
    const before = q.stats();
    for (let i = 0; i < N; i++) {
      assert.equal(
        b.sendData(1, i % 256, 3, PEER_UNIT, PEER_CLIENT, 3, payload(i, 1000)),
        0,
      );
    }
    await waitFor(() => {
      const s = q.stats();
      return s.pushed + s.dropped - before.pushed - before.dropped === N;
    }, "every message pushed or dropped");
    const s = q.stats();
    assert.ok(s.dropped - before.dropped > 0, "some were dropped");
    assert.ok(s.used <= 64 << 10);
    const seen: number[] = [];
    const problems: string[] = [];
    rec.onRecv = (_id, h, data) => {
      // The next message not dropped: the first after the last with this cmd.
      let k = (seen.at(-1) ?? -1) + 1;
      while (k % 256 !== h[2]) k++;
      seen.push(k);
      const why = wrong(k, 1000, h, data);
      if (why && problems.length < 5) problems.push(`message ${k}: ${why}`);
    };
    drainAll();
    rec.onRecv = undefined;
    assert.deepEqual(problems, []);
    assert.equal(seen.length, s.pushed - before.pushed);
    assert.ok(seen.at(-1)! < N, "in order, none invented");
    assert.equal(q.configure(DEFAULT_CAPACITY, HEAD, 1000), 0);
    q.setWake(drain, mode);
  });

  test("ffi queue - a full ring that may block loses nothing", async () => {
    drainAll();
    assert.equal(q.configure(64 << 10, HEAD, -1), 0);
    const N = 3000;
    let got = 0;
    const problems: string[] = [];
    rec.onRecv = (_id, h, data) => {
      const i = got++;
      const why = wrong(i, 1000, h, data);
      if (why && problems.length < 5) problems.push(`message ${i}: ${why}`);
    };
    const before = q.stats();
    for (let i = 0; i < N; i++) {
      assert.equal(
        b.sendData(1, i % 256, 3, PEER_UNIT, PEER_CLIENT, 3, payload(i, 1000)),
        0,
      );
    }
    await rec.until(() => got === N, `${N} messages`, 30_000);
    rec.onRecv = undefined;
    assert.deepEqual(problems, []);
    const s = q.stats();
    assert.equal(s.dropped, before.dropped);
    assert.ok(s.highWater <= 64 << 10 || before.highWater > 64 << 10);
    drainAll();
    assert.equal(q.configure(DEFAULT_CAPACITY, HEAD, 1000), 0);
  });
});

/** Polls `check` every 5 ms, for at most 10 s. */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  for (let t = 0; t < 2000; t++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}
