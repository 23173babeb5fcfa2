import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  DEFAULT_FRAME_LIMIT,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameKind,
  WIRE_HEAD_SIZE,
  WireError,
  zeroHead,
} from "../src/mock/internal.ts";

const i8 = fc.integer({ min: -128, max: 127 });
const u8 = fc.integer({ min: 0, max: 255 });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const bytes = (max = 200): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ maxLength: max });
const nullable = fc.option(bytes(), { nil: null });
const address = fc.record({ unitId: i8, clientId: i8, clientType: i8 });
const head = fc.record({ cmd: u8, cmdType: u8, src: address, dst: address });

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    kind: fc.constant(FrameKind.LOGIN),
    head,
    clientId: u8,
    clientType: i32,
    unitId: i32,
    user: nullable,
    password: nullable,
    addInfo: bytes(),
  }),
  fc.record({
    kind: fc.constant(FrameKind.LOGIN_ANSWER),
    head,
    result: i32,
    heartbeatMs: i32,
    reason: bytes(),
  }),
  fc.record({
    kind: fc.constantFrom(
      FrameKind.DATA,
      FrameKind.PING,
      FrameKind.PING_ANSWER,
    ),
    head,
    data: bytes(2000),
  }),
  fc.record({
    kind: fc.constant(FrameKind.FLOW_INVOKE),
    head,
    invokeId: i32,
    serverUnit: i32,
    ipscIndex: i32,
    mode: i32,
    timeoutMs: i32,
    project: bytes(),
    flow: bytes(),
    params: bytes(2000),
  }),
  fc.record({
    kind: fc.constant(FrameKind.FLOW_ACK),
    head,
    invokeId: i32,
    ack: i32,
    project: bytes(),
    msg: bytes(),
  }),
  fc.record({
    kind: fc.constant(FrameKind.FLOW_RESULT),
    head,
    invokeId: i32,
    ret: i32,
    project: bytes(),
    param: bytes(2000),
  }),
  fc.record({
    kind: fc.constant(FrameKind.NOTIFY),
    head,
    invokeId: i32,
    serverUnit: i32,
    processIndex: i32,
    mode: i32,
    expiresMs: i32,
    project: bytes(),
    title: bytes(),
    param: bytes(),
  }),
  fc.record({
    kind: fc.constant(FrameKind.GLOBAL_CONNECT),
    head,
    unitId: i8,
    clientId: i8,
    clientType: i8,
    accessUnitId: i8,
    status: u8,
    addInfo: bytes(),
  }),
  fc.record({ kind: fc.constant(FrameKind.HEARTBEAT), head }),
  fc.record({
    kind: fc.constant(FrameKind.CLOSE),
    head,
    code: i32,
    reason: bytes(),
  }),
) as fc.Arbitrary<Frame>;

/** Feeds `data` to `decoder` cut at `cuts` (positions, any order). */
function feed(
  decoder: FrameDecoder,
  data: Uint8Array,
  cuts: number[],
): Frame[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((
    a,
    b,
  ) => a - b);
  const out: Frame[] = [];
  let at = 0;
  for (const p of [...points, data.length]) {
    out.push(...decoder.push(data.subarray(at, p)));
    at = p;
  }
  return out;
}

/** A raw head with chosen fields. */
function rawHead(
  o: {
    flag?: number;
    kind?: number;
    version?: number;
    size?: number;
    len: number;
  },
): Uint8Array {
  const b = new Uint8Array(WIRE_HEAD_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, o.flag ?? 0x5b15, true);
  v.setUint8(10, o.kind ?? FrameKind.DATA);
  v.setUint8(11, o.version ?? 1);
  v.setInt32(12, o.size ?? WIRE_HEAD_SIZE + o.len, true);
  v.setInt32(16, o.len, true);
  return b;
}

function reasonOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof WireError, `not a WireError: ${e}`);
    return e.reason;
  }
  assert.fail("did not throw");
}

const empty = new Uint8Array();
const login = (): Uint8Array =>
  encodeFrame({
    kind: FrameKind.LOGIN,
    clientId: 1,
    clientType: 4,
    unitId: 20,
    user: null,
    password: empty,
    addInfo: empty,
  });

describe("mock wire", () => {
  test("mock wire - every kind round-trips through random chunk boundaries", () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (
          frames,
          cuts,
        ) => {
          const parts = frames.map((f) => encodeFrame(f));
          const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let at = 0;
          for (const p of parts) {
            all.set(p, at);
            at += p.length;
          }
          const decoded = feed(new FrameDecoder({ role: "any" }), all, cuts);
          assert.deepEqual(decoded, structuredClone(frames)); // plain prototypes
        },
      ),
      { numRuns: 300 },
    );
  });

  test("mock wire - the head has the SmartBus layout with 32-bit little-endian sizes", () => {
    const b = encodeFrame({
      kind: FrameKind.DATA,
      head: {
        cmd: 7,
        cmdType: 3,
        src: { unitId: 20, clientId: 1, clientType: 4 },
        dst: { unitId: 21, clientId: -1, clientType: 2 },
      },
      data: Uint8Array.of(9, 8, 7),
    });
    assert.deepEqual([...b.subarray(0, 20)], [
      0x15,
      0x5b,
      7,
      3,
      4,
      20,
      1,
      2,
      21,
      0xff,
      3,
      1,
      23,
      0,
      0,
      0,
      3,
      0,
      0,
      0,
    ]);
    assert.deepEqual([...b.subarray(20)], [9, 8, 7]);
  });

  test("mock wire - null and empty strings stay distinct", () => {
    const d = new FrameDecoder({ role: "bus" });
    const [f] = d.push(login());
    assert.ok(f.kind === FrameKind.LOGIN);
    assert.equal(f.user, null);
    assert.deepEqual(f.password, empty);
  });

  test("mock wire - random bytes only ever raise WireError and never grow the buffer past one frame", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.boolean(),
        (chunks, withFlag) => {
          const d = new FrameDecoder({ role: "bus", frameLimit: 1024 });
          try {
            for (const [i, c] of chunks.entries()) {
              // Valid flag and version now and then, to get past the first checks.
              if (withFlag && i === 0 && c.length >= 12) {
                c.set([0x15, 0x5b], 0);
                c[11] = 1;
              }
              d.push(c);
              assert.ok(d.buffered <= WIRE_HEAD_SIZE + 1024);
            }
          } catch (e) {
            if (!(e instanceof WireError)) throw e;
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("mock wire - a huge data_len is refused from the head alone", () => {
    const d = new FrameDecoder({ role: "any" });
    assert.equal(
      reasonOf(() => d.push(rawHead({ len: 0x7fffffff }))),
      "bad-length",
    );
    assert.equal(d.buffered, WIRE_HEAD_SIZE);
    const limit = new FrameDecoder({ role: "any" });
    assert.equal(
      reasonOf(() => limit.push(rawHead({ len: DEFAULT_FRAME_LIMIT + 1 }))),
      "bad-length",
    );
    assert.equal(
      reasonOf(() =>
        new FrameDecoder({ role: "any" }).push(rawHead({ len: -1 }))
      ),
      "bad-length",
    );
    assert.equal(
      reasonOf(() =>
        new FrameDecoder({ role: "any" }).push(rawHead({ len: 4, size: 4 }))
      ),
      "bad-length",
    );
  });

  test("mock wire - wrong flag, version and kind are refused", () => {
    const any = (): FrameDecoder => new FrameDecoder({ role: "any" });
    assert.equal(
      reasonOf(() => any().push(rawHead({ flag: 0x155b, len: 0 }))),
      "bad-flag",
    );
    assert.equal(
      reasonOf(() => any().push(rawHead({ version: 2, len: 0 }))),
      "bad-version",
    );
    for (const kind of [0, 13, 255]) {
      assert.equal(
        reasonOf(() => any().push(rawHead({ kind, len: 0 }))),
        "unknown-kind",
      );
    }
  });

  test("mock wire - truncated, trailing and null fields are refused", () => {
    const any = (): FrameDecoder => new FrameDecoder({ role: "any" });
    const truncated = new Uint8Array([
      ...rawHead({ kind: FrameKind.LOGIN, len: 3 }),
      1,
      2,
      3,
    ]);
    assert.equal(reasonOf(() => any().push(truncated)), "truncated");
    const trailing = new Uint8Array([
      ...rawHead({ kind: FrameKind.HEARTBEAT, len: 1 }),
      0,
    ]);
    assert.equal(reasonOf(() => any().push(trailing)), "trailing-bytes");
    const nullReason = new Uint8Array([
      ...rawHead({ kind: FrameKind.CLOSE, len: 6 }),
      0,
      0,
      0,
      0,
      0xff,
      0xff,
    ]);
    assert.equal(reasonOf(() => any().push(nullReason)), "null-field");
    const longStr = new Uint8Array([
      ...rawHead({ kind: FrameKind.CLOSE, len: 8 }),
      0,
      0,
      0,
      0,
      9,
      0,
      1,
      2,
    ]);
    assert.equal(reasonOf(() => any().push(longStr)), "truncated");
  });

  test("mock wire - frames out of order or in the wrong direction are refused", () => {
    const hb = encodeFrame({ kind: FrameKind.HEARTBEAT });
    assert.equal(
      reasonOf(() => new FrameDecoder({ role: "bus" }).push(hb)),
      "out-of-order",
    );
    const twice = new FrameDecoder({ role: "bus" });
    twice.push(login());
    assert.equal(reasonOf(() => twice.push(login())), "out-of-order");
    const answer = encodeFrame({
      kind: FrameKind.LOGIN_ANSWER,
      result: 0,
      heartbeatMs: 1,
      reason: empty,
    });
    assert.equal(
      reasonOf(() => new FrameDecoder({ role: "bus" }).push(answer)),
      "wrong-direction",
    );
    assert.equal(
      reasonOf(() => new FrameDecoder({ role: "client" }).push(login())),
      "wrong-direction",
    );
    const client = new FrameDecoder({ role: "client" });
    assert.equal(client.push(answer).length, 1);
    assert.equal(reasonOf(() => client.push(answer)), "out-of-order");
  });

  test("mock wire - a failed decoder stays failed", () => {
    const d = new FrameDecoder({ role: "any" });
    assert.equal(
      reasonOf(() => d.push(rawHead({ flag: 1, len: 0 }))),
      "bad-flag",
    );
    assert.equal(
      reasonOf(() => d.push(encodeFrame({ kind: FrameKind.HEARTBEAT }))),
      "bad-flag",
    );
  });

  test("mock wire - encoding refuses an oversized payload or string", () => {
    const big = new Uint8Array(DEFAULT_FRAME_LIMIT + 1);
    assert.equal(
      reasonOf(() => encodeFrame({ kind: FrameKind.DATA, data: big })),
      "too-large",
    );
    const str = new Uint8Array(0xffff);
    assert.equal(
      reasonOf(() =>
        encodeFrame({
          kind: FrameKind.CLOSE,
          head: zeroHead(),
          code: 0,
          reason: str,
        })
      ),
      "field-too-long",
    );
  });
});
