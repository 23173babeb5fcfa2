/**
 * The running runtime's native backend (Deno: Deno.dlopen; Bun: bun:ffi + the
 * TinyCC trampoline) against the cbprobe fixture, a library that raises every
 * callback from its own thread and poisons and frees each buffer the moment
 * the callback returns: a backend that reads late sees garbage here.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  cbprobeCall,
  cbprobeLive,
  cbprobeOrSkip,
  cstr,
  nativeFactory,
  Recorder,
  removeBuild,
  runtime,
  text,
  trampolineLive,
} from "./fixtures/ffi_harness.ts";
import type { NativeBackend } from "../src/ffi/native_backend.ts";
import { SmartBusError } from "../src/abi/errors.ts";

const { lib: LIB, skip } = cbprobeOrSkip();

/** Open, install callbacks, init 17; the caller releases through `done`. */
function open(): {
  b: NativeBackend;
  rec: Recorder;
  done: () => Promise<void>;
} {
  if (typeof nativeFactory === "string") throw new Error(nativeFactory);
  const b = nativeFactory(LIB);
  const rec = new Recorder();
  b.setCallbacks(rec.callbacks);
  assert.equal(b.init(17), 0);
  return {
    b,
    rec,
    done: async () => {
      b.release();
      b.close();
      await b.settled();
    },
  };
}

/** Decode a packet head with the backend's `long` size. */
function head(h: Uint8Array, longSize: 4 | 8) {
  const v = new DataView(h.buffer, h.byteOffset, h.byteLength);
  const long = (at: number): number =>
    longSize === 8 ? Number(v.getBigInt64(at, true)) : v.getInt32(at, true);
  return {
    flag: v.getUint16(0, true),
    cmd: h[2],
    cmdType: h[3],
    src: [v.getInt8(4), v.getInt8(5), v.getInt8(6)],
    dst: [v.getInt8(7), v.getInt8(8), v.getInt8(9)],
    reserved: [h[10], h[11]],
    packetSize: long(12),
    dataLen: long(12 + longSize),
  };
}

/** Deterministic bytes for message `i`: its size varies 0..700, content from i. */
function payload(i: number): Uint8Array {
  const size = (i * 7919) % 701;
  const out = new Uint8Array(size);
  let x = i + 1;
  for (let k = 0; k < size; k++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[k] = x >>> 24;
  }
  return out;
}

describe(`ffi backend (${runtime})`, { skip }, () => {
  let baseline = 0;
  before(() => {
    baseline = cbprobeLive(LIB);
    assert.equal(baseline, 0);
  });
  after(() => {
    assert.equal(
      cbprobeLive(LIB),
      0,
      "the fixture freed everything it handed out",
    );
    assert.equal(trampolineLive(), 0, "every trampoline block was freed");
    removeBuild(LIB);
  });

  test("ffi backend - init raises the library's trace line from its thread", async () => {
    const { b, rec, done } = open();
    assert.equal(b.kind, runtime);
    assert.equal(b.longSize, 4, "the binary's int sizes: a 20-byte head");
    await rec.until(
      () => rec.of("traceInfo").length > 0,
      "the init trace line",
    );
    assert.equal(text(rec.of("traceInfo")[0][0]), "init 17");
    await done();
  });

  test("ffi backend - createConnect passes every argument; connection and global connect arrive", async () => {
    const { b, rec, done } = open();
    assert.equal(
      b.createConnect(
        255,
        4,
        cstr("127.0.0.1"),
        8000,
        null,
        0xffff,
        cstr("alice"),
        null,
        cstr("hello"),
      ),
      0,
    );
    await rec.until(
      () => rec.of("traceInfo").length >= 2,
      "the connect trace line",
    );
    assert.deepEqual(rec.of("connection"), [[255, 5, 0]]);
    const [g] = rec.of("globalConnect");
    // 255 as a C char is -1: the six chars arrive signed.
    assert.deepEqual(g.slice(0, 5), [17, -1, 4, 5, 1]);
    assert.equal(text(g[5]), "hello");
    assert.equal(
      text(rec.of("traceInfo")[1][0]),
      "connect 127.0.0.1:8000 (null):65535 alice (null)",
    );
    await done();
  });

  test("ffi backend - 10,000 messages arrive intact, in order, with every head field", async () => {
    const { b, rec, done } = open();
    const N = 10_000;
    let got = 0;
    const problems: string[] = [];
    rec.onRecv = (id, h, data) => {
      const i = got++;
      const want = payload(i);
      const f = head(h, b.longSize);
      const ok = id === 9 && h.length === 12 + 2 * b.longSize &&
        f.flag === 0x5b15 &&
        f.cmd === i % 200 && f.cmdType === 3 &&
        f.src.join() === [2, i % 48, i % 100].join() &&
        f.dst.join() === [0, 17, 9].join() && f.reserved.join() === "17,34" &&
        f.packetSize === 20 + want.length && f.dataLen === want.length &&
        data.length === want.length && data.every((x, k) => x === want[k]) &&
        // each array owns exactly its bytes: a copy, never a view
        data.byteOffset === 0 && data.buffer.byteLength === data.length &&
        h.byteOffset === 0 && h.buffer.byteLength === h.length;
      if (!ok && problems.length < 5) {
        problems.push(`message ${i}: ${JSON.stringify(f)} ${data.length}`);
      }
    };
    for (let i = 0; i < N; i++) {
      assert.equal(
        b.sendData(9, i % 200, 3, i % 48, i % 100, 2, payload(i)),
        0,
      );
    }
    await rec.until(() => got === N, `${N} messages`, 30_000);
    assert.deepEqual(problems, []);
    await done();
  });

  test("ffi backend - 8 library threads calling back at once: every message intact, in order per thread", async () => {
    const { b, rec, done } = open();
    const THREADS = 8, EACH = 1500;
    const next = new Array<number>(THREADS).fill(0);
    const problems: string[] = [];
    let got = 0;
    rec.onRecv = (id, h, data) => {
      got++;
      const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const seq = data.length >= 5 ? v.getInt32(1, true) : -1;
      const ok = id === data[0] && id < THREADS && seq === next[id] &&
        data.length === 5 + seq % 300 &&
        head(h, b.longSize).dataLen === data.length &&
        data.subarray(5).every((x, k) => x === ((seq + k + 5) & 0xff));
      if (ok) next[id]++;
      else if (problems.length < 5) {
        problems.push(`thread ${id} seq ${seq} (want ${next[id]})`);
      }
    };
    assert.equal(cbprobeCall(LIB, "CbProbe_Storm", [THREADS, EACH]), 0);
    await rec.until(
      () => got === THREADS * EACH,
      `${THREADS * EACH} messages`,
      30_000,
    );
    assert.deepEqual(problems, []);
    assert.deepEqual(next, new Array(THREADS).fill(EACH));
    await done();
  });

  test("ffi backend - random payloads and head fields round-trip (property)", async () => {
    const { b, rec, done } = open();
    const got: { id: number; head: Uint8Array; data: Uint8Array }[] = [];
    rec.onRecv = (id, head, data) => got.push({ id, head, data });
    const message = fc.record({
      id: fc.integer({ min: 0, max: 255 }),
      cmd: fc.integer({ min: 0, max: 254 }),
      cmdType: fc.integer({ min: 0, max: 255 }),
      unit: fc.integer({ min: -128, max: 127 }),
      client: fc.integer({ min: -128, max: 127 }),
      type: fc.integer({ min: -128, max: 127 }),
      data: fc.uint8Array({ maxLength: 3000 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(message, { minLength: 1, maxLength: 20 }),
        async (batch) => {
          got.length = 0;
          for (const m of batch) {
            assert.equal(
              b.sendData(
                m.id,
                m.cmd,
                m.cmdType,
                m.unit,
                m.client,
                m.type,
                m.data,
              ),
              0,
            );
          }
          await rec.until(
            () => got.length === batch.length,
            `${batch.length} messages`,
          );
          batch.forEach((m, k) => {
            const r = got[k];
            const f = head(r.head, b.longSize);
            assert.equal(r.id, m.id);
            assert.deepEqual([f.cmd, f.cmdType, f.src, f.dataLen], [
              m.cmd,
              m.cmdType,
              [m.type, m.unit, m.client],
              m.data.length,
            ]);
            assert.deepEqual(r.data, m.data);
          });
        },
      ),
      { numRuns: 60 },
    );
    await done();
  });

  test("ffi backend - a ping's answer arrives as cmdtype 8", async () => {
    const { b, rec, done } = open();
    const seen: number[] = [];
    rec.onRecv = (_id, h, data) => {
      seen.push(head(h, b.longSize).cmdType, ...data);
    };
    assert.equal(b.sendPing(1, 20, 2, 4, new Uint8Array([0x70, 0])), 0);
    await rec.until(() => seen.length > 0, "the ping answer");
    assert.deepEqual(seen, [8, 0x70, 0]);
    await done();
  });

  test("ffi backend - flow acks and results carry raw bytes; a timeout has no head; fire and forget has no result", async () => {
    const { b, rec, done } = open();
    // GBK "你好" (not UTF-8): the bytes must pass untouched.
    const project = new Uint8Array([0xc4, 0xe3, 0xba, 0xc3, 0]);
    const big = `[${'"x",'.repeat(8000)}"end"]`; // > 32 KiB: spans pages
    const id1 = b.remoteInvokeFlow(
      2,
      0,
      1,
      project,
      cstr("f"),
      0,
      1000,
      cstr(big),
    );
    const id2 = b.remoteInvokeFlow(
      2,
      0,
      1,
      cstr("p"),
      cstr("nostart"),
      0,
      1000,
      cstr("[]"),
    );
    const id3 = b.remoteInvokeFlow(
      2,
      0,
      1,
      cstr("p"),
      cstr("timeout"),
      0,
      1000,
      cstr("[]"),
    );
    const id4 = b.remoteInvokeFlow(
      2,
      0,
      1,
      cstr("p"),
      cstr("quiet"),
      1,
      1000,
      cstr("[]"),
    );
    assert.deepEqual([id1, id2, id3, id4], [1, 2, 3, 4]);
    await rec.until(
      () =>
        rec.of("invokeFlowAck").length === 4 &&
        rec.of("invokeFlowRet").length === 2,
      "4 acks and 2 results",
    );
    const acks = rec.of("invokeFlowAck");
    assert.deepEqual(acks.map((a) => [a[0], a[3], a[4], text(a[5])]), [
      [2, 1, 1, "started f"],
      [2, 2, 0, "no such flow"],
      [2, 3, 1, "started timeout"],
      [2, 4, 1, "started quiet"],
    ]);
    assert.deepEqual([...(acks[0][2] as Uint8Array)], [0xc4, 0xe3, 0xba, 0xc3]);
    const ack0Head = head(acks[0][1] as Uint8Array, b.longSize);
    assert.deepEqual([ack0Head.flag, ack0Head.src], [0x5b15, [2, 0, 1]]);
    const [r1, r3] = rec.of("invokeFlowRet");
    assert.equal(r1[3], 1);
    assert.equal(r1[4], 1);
    assert.equal(text(r1[5]), big);
    assert.ok(r1[1] instanceof Uint8Array);
    assert.deepEqual([
      r3[1],
      text(r3[2]),
      r3[3],
      r3[4],
      (r3[5] as Uint8Array).length,
    ], [null, "p", 3, -25, 0]);
    await done();
  });

  test("ffi backend - error trace lines, disconnects and notify ids arrive", async () => {
    const { b, rec, done } = open();
    assert.equal(b.sendData(4, 255, 3, 0, 0, 0, new Uint8Array(3)), 0);
    assert.equal(
      b.sendNotify(4, 0, 1, cstr("p"), cstr("hi"), 0, 5000, cstr("{}")),
      1,
    );
    await rec.until(
      () =>
        rec.of("disconnect").length === 1 && rec.of("traceInfo").length === 2,
      "the disconnect and the notify trace",
    );
    assert.deepEqual(rec.of("traceError").map((a) => text(a[0])), ["err 3"]);
    assert.deepEqual(rec.of("disconnect"), [[4]]);
    assert.equal(text(rec.of("traceInfo")[1][0]), "notify hi");
    await done();
  });

  test("ffi backend - return codes pass through untouched", async () => {
    const { b, done } = open();
    assert.equal(b.init(18), -10, "a second Init");
    assert.equal(
      b.createConnect(
        1,
        3,
        null as unknown as Uint8Array,
        1,
        null,
        0xffff,
        null,
        null,
        null,
      ),
      -1,
    );
    await done();
  });

  test("ffi backend - close releases first, is idempotent, and later calls throw", async () => {
    const { b } = open();
    b.close();
    b.close();
    await b.settled();
    assert.throws(() => b.init(17), SmartBusError);
    assert.throws(
      () => b.sendData(1, 1, 3, 0, 0, 0, new Uint8Array(1)),
      /closed/,
    );
    // close() called Release: a new backend can initialize again.
    const again = open();
    await again.done();
  });

  test("ffi backend - callbacks raised while releasing are delivered or dropped, never read late", async () => {
    const { b, rec } = open();
    let got = 0;
    rec.onRecv = () => got++;
    for (let i = 0; i < 2000; i++) b.sendData(1, 1, 3, 0, 0, 0, payload(i));
    await rec.until(() => got > 0, "the first message");
    b.release(); // the worker may be inside a callback right now
    b.close();
    await b.settled();
    assert.ok(got <= 2000);
  });
});
