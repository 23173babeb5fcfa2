/**
 * The wire codec of the mock bus's TCP front (`docs/wire-protocol.md`):
 * every frame kind round-trips through random chunk boundaries, with and
 * without the vendor library's tail bytes; the head and the structs have
 * the vendor's layout; the decoder checks every size from the head before
 * buffering a body, refuses frames in the wrong order or direction, and
 * never holds more than one frame.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  type DecodedFrame,
  DEFAULT_FRAME_LIMIT,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameKind,
  type FrameKindValue,
  kindOf,
  MAX_TAIL,
  WIRE_HEAD_SIZE,
  WireError,
  type WireHead,
  zeroHead,
} from "../src/mock/internal.ts";
import { registerFrame } from "./shared/raw_client.ts";

const i8 = fc.integer({ min: -128, max: 127 });
const u8 = fc.integer({ min: 0, max: 255 });
const i32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const i64 = fc.integer({
  min: Number.MIN_SAFE_INTEGER,
  max: Number.MAX_SAFE_INTEGER,
});
/** Any bytes: texts read by their length. */
const bytes = (max = 200): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ maxLength: max });
/** Bytes without a NUL that fit a `char[size]` field with its NUL. */
const cstr = (size: number): fc.Arbitrary<Uint8Array> =>
  fc.uint8Array({ min: 1, maxLength: size - 1 });
const address = fc.record({ unitId: i8, clientId: i8, clientType: i8 });

/** The (`cmd`, `cmdtype`) each kind but DATA and LINK_OTHER is sent with. */
const WIRE: Record<number, [number, number]> = {
  [FrameKind.REGISTER]: [1, 0],
  [FrameKind.REGISTER_ACK]: [2, 0],
  [FrameKind.HEARTBEAT]: [5, 0],
  [FrameKind.HEARTBEAT_ACK]: [6, 0],
  [FrameKind.PING]: [7, 1],
  [FrameKind.PING_ANSWER]: [8, 1],
  [FrameKind.GLOBAL_CONNECT]: [9, 1],
  [FrameKind.GLOBAL_CONNECT_REPLY]: [10, 1],
  [FrameKind.CALL_FLOW]: [11, 1],
  [FrameKind.FLOW_RESULT]: [12, 1],
  [FrameKind.FLOW_ACK]: [13, 1],
  [FrameKind.NOTIFY]: [15, 1],
};
const SYSTEM_CMDS = new Set([7, 8, 9, 10, 11, 12, 13, 15]);
const LINK_CMDS = new Set([1, 2, 5, 6]);

/** A head as it reads back for `kind`: its own cmd/cmdtype where it has one. */
const headOf = (kind: FrameKindValue): fc.Arbitrary<WireHead> => {
  const cmds: fc.Arbitrary<[number, number]> = kind === FrameKind.DATA
    ? fc.tuple(u8, fc.integer({ min: 1, max: 255 })).filter(([c, t]) =>
      t !== 1 || !SYSTEM_CMDS.has(c)
    )
    : kind === FrameKind.LINK_OTHER
    ? u8.filter((c) => !LINK_CMDS.has(c)).map((c) => [c, 0])
    : fc.constant(WIRE[kind]);
  return fc.record({ cmds, src: address, dst: address }).map((
    { cmds: [cmd, cmdType], src, dst },
  ) => ({ cmd, cmdType, src, dst }));
};

const frameArb: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    kind: fc.constant(FrameKind.REGISTER),
    head: headOf(FrameKind.REGISTER),
    connectIndex: i8,
    user: cstr(64),
    password: cstr(128),
    addInfo: cstr(256),
    unitId: i32,
    accessUnitId: i32,
    clientId: i32,
    clientType: i32,
  }),
  fc.record({
    kind: fc.constant(FrameKind.REGISTER_ACK),
    head: headOf(FrameKind.REGISTER_ACK),
    result: i32,
  }),
  fc.constantFrom(FrameKind.HEARTBEAT, FrameKind.HEARTBEAT_ACK).chain((
    kind,
  ) =>
    fc.record({
      kind: fc.constant(kind),
      head: headOf(kind),
      count: i64,
      resendCount: i64,
      timeLaunch: i64,
      timeReturn: i64,
    })
  ),
  fc.constantFrom(
    FrameKind.DATA,
    FrameKind.PING,
    FrameKind.PING_ANSWER,
    FrameKind.LINK_OTHER,
  ).chain((kind) =>
    fc.record({
      kind: fc.constant(kind),
      head: headOf(kind),
      data: bytes(2000),
    })
  ),
  fc.constantFrom(FrameKind.GLOBAL_CONNECT, FrameKind.GLOBAL_CONNECT_REPLY)
    .chain((kind) =>
      fc.record({
        kind: fc.constant(kind),
        head: headOf(kind),
        unitId: i8,
        clientId: i8,
        clientType: i8,
        accessUnitId: i8,
        status: u8,
        addInfo: cstr(256),
      })
    ),
  fc.record({
    kind: fc.constant(FrameKind.CALL_FLOW),
    head: headOf(FrameKind.CALL_FLOW),
    project: cstr(32),
    flow: cstr(32),
    mode: u8,
    eventCh: i32,
    invokeId: i32,
    params: bytes(2000),
  }),
  fc.record({
    kind: fc.constant(FrameKind.FLOW_ACK),
    head: headOf(FrameKind.FLOW_ACK),
    project: cstr(32),
    invokeId: i32,
    invokerCh: i32,
    ack: i32,
    msg: bytes(),
  }),
  fc.record({
    kind: fc.constant(FrameKind.FLOW_RESULT),
    head: headOf(FrameKind.FLOW_RESULT),
    project: cstr(32),
    invokeId: i32,
    invokerCh: i32,
    param: bytes(2000),
  }),
  fc.record({
    kind: fc.constant(FrameKind.NOTIFY),
    head: headOf(FrameKind.NOTIFY),
    project: cstr(32),
    mode: u8,
    invokeId: i32,
    expiresMs: i32,
    title: cstr(102),
    param: bytes(),
  }),
) as fc.Arbitrary<Frame>;

/** Feeds `data` to `decoder` cut at `cuts` (positions, any order). */
function feed(
  decoder: FrameDecoder,
  data: Uint8Array,
  cuts: number[],
): DecodedFrame[] {
  const points = [...new Set(cuts.map((c) => c % (data.length + 1)))].sort((
    a,
    b,
  ) => a - b);
  const out: DecodedFrame[] = [];
  let at = 0;
  for (const p of [...points, data.length]) {
    out.push(...decoder.push(data.subarray(at, p)));
    at = p;
  }
  return out;
}

function concat(parts: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.length;
  }
  return all;
}

/** A raw head with chosen fields (cmd 3, cmdtype 3: data, by default). */
function rawHead(
  o: {
    flag?: number;
    cmd?: number;
    cmdType?: number;
    size?: number;
    len: number;
  },
): Uint8Array {
  const b = new Uint8Array(WIRE_HEAD_SIZE);
  const v = new DataView(b.buffer);
  v.setUint16(0, o.flag ?? 0x5b15, true);
  v.setUint8(2, o.cmd ?? 3);
  v.setUint8(3, o.cmdType ?? 3);
  v.setInt32(12, o.size ?? WIRE_HEAD_SIZE + o.len, true);
  v.setInt32(16, o.len, true);
  return b;
}

/** A frame of `cmd`/`cmdType` with `body` (and `tail` extra bytes). */
function rawFrame(
  cmd: number,
  cmdType: number,
  body: Uint8Array,
  tail = 0,
): Uint8Array {
  const len = body.length;
  return concat([
    rawHead({ cmd, cmdType, len, size: WIRE_HEAD_SIZE + len + tail }),
    body,
    new Uint8Array(tail).fill(0xcc),
  ]);
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

const te = new TextEncoder();
const td = new TextDecoder();
const empty = new Uint8Array();
const register = (): Uint8Array => encodeFrame(registerFrame(1));
const heartbeat = (kind: 12 | 13 = FrameKind.HEARTBEAT): Uint8Array =>
  encodeFrame({ kind, count: 0, resendCount: 0, timeLaunch: 0, timeReturn: 0 });
const any = (): FrameDecoder => new FrameDecoder({ role: "any" });
/** A bus-side decoder that has read a registration. */
const registered = (frameLimit?: number): FrameDecoder => {
  const d = new FrameDecoder({ role: "bus", frameLimit });
  assert.equal(d.push(register()).length, 1);
  return d;
};

describe("mock wire", () => {
  test("mock wire - every kind round-trips through random chunk boundaries, with or without tail bytes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(frameArb, fc.boolean()), {
          minLength: 1,
          maxLength: 6,
        }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (frames, cuts) => {
          const all = concat(
            frames.map(([f, tail]) => encodeFrame(f, undefined, { tail })),
          );
          const decoded = feed(any(), all, cuts);
          // structuredClone: plain prototypes on both sides.
          assert.deepEqual(
            structuredClone(decoded),
            structuredClone(frames.map(([f]) => f)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  test("mock wire - the head has the SmartBus layout with 32-bit little-endian sizes", () => {
    const frame: Frame = {
      kind: FrameKind.DATA,
      head: {
        cmd: 7,
        cmdType: 3,
        src: { unitId: 20, clientId: 1, clientType: 4 },
        dst: { unitId: 21, clientId: -1, clientType: 2 },
      },
      data: Uint8Array.of(9, 8, 7),
    };
    const b = encodeFrame(frame);
    // deno-fmt-ignore
    assert.deepEqual([...b.subarray(0, 20)], [
      0x15, 0x5b, 7, 3, 4, 20, 1, 2, 21, 0xff, 0, 0,
      23, 0, 0, 0, 3, 0, 0, 0,
    ]);
    assert.deepEqual([...b.subarray(20)], [9, 8, 7]);
    // The vendor's sizes: packet_size = 20 + datalen + datalen % 4.
    const tailed = encodeFrame(frame, undefined, { tail: true });
    assert.deepEqual([...tailed.subarray(12, 20)], [26, 0, 0, 0, 3, 0, 0, 0]);
    assert.deepEqual([...tailed.subarray(20)], [9, 8, 7, 0, 0, 0]);
    for (const len of [0, 1, 2, 3, 4, 5, 8]) {
      const f = encodeFrame(
        { kind: FrameKind.PING, data: new Uint8Array(len) },
        undefined,
        { tail: true },
      );
      assert.equal(f.length, WIRE_HEAD_SIZE + len + (len % 4));
    }
  });

  test("mock wire - kindOf: the library's commands count with cmdtype 1 (data) or 0 (link)", () => {
    for (const [kind, [cmd, cmdType]] of Object.entries(WIRE)) {
      assert.equal(kindOf(cmd, cmdType), Number(kind), `${cmd}/${cmdType}`);
    }
    for (const cmd of SYSTEM_CMDS) {
      assert.equal(kindOf(cmd, 3), FrameKind.DATA, `${cmd}/3 is user data`);
      assert.equal(kindOf(cmd, 255), FrameKind.DATA);
    }
    assert.equal(kindOf(1, 1), FrameKind.DATA);
    assert.equal(kindOf(14, 1), FrameKind.DATA);
    for (const cmd of [0, 3, 4, 7, 11, 255]) {
      assert.equal(kindOf(cmd, 0), FrameKind.LINK_OTHER, `${cmd}/0`);
    }
  });

  test("mock wire - REGISTER has the vendor's struct layout, 6005 bytes", () => {
    const b = encodeFrame({
      kind: FrameKind.REGISTER,
      head: { ...zeroHead(), src: { unitId: 20, clientId: 1, clientType: 4 } },
      connectIndex: 1,
      user: te.encode("alice"),
      password: te.encode("pw"),
      addInfo: te.encode("info"),
      unitId: 20,
      accessUnitId: -1,
      clientId: 200,
      clientType: 0x104,
    });
    const body = b.subarray(WIRE_HEAD_SIZE);
    const v = new DataView(body.buffer, body.byteOffset);
    assert.equal(body.length, 6005);
    assert.deepEqual([b[2], b[3]], [1, 0]);
    assert.equal(body[0], 1);
    assert.equal(td.decode(body.subarray(1, 6)), "alice");
    assert.equal(body[6], 0);
    assert.equal(td.decode(body.subarray(65, 67)), "pw");
    assert.equal(td.decode(body.subarray(193, 197)), "info");
    assert.deepEqual([body[449], body[450]], [1, 1], "used, connected");
    assert.equal(v.getInt32(449 + 2, true), 20);
    assert.equal(v.getInt32(449 + 6, true), -1);
    assert.equal(body[449 + 10], 1, "is_netcli");
    assert.equal(body[449 + 147], 1, "cli_count");
    assert.equal(v.getInt32(597 + 2, true), 200);
    assert.equal(v.getInt32(597 + 6, true), 0x104, "the type is a full int");
    assert.equal(td.decode(body.subarray(597 + 10, 597 + 14)), "info");
  });

  test("mock wire - REGISTER: the first 863 bytes are enough, fewer are truncated, the rest is ignored", () => {
    const full = register().subarray(WIRE_HEAD_SIZE);
    const min = full.slice(0, 863);
    const [f] = new FrameDecoder({ role: "bus" }).push(rawFrame(1, 0, min));
    assert.ok(f.kind === FrameKind.REGISTER);
    assert.equal(f.unitId, 20);
    assert.equal(f.clientId, 1);
    assert.equal(f.clientType, 4);
    assert.equal(f.accessUnitId, -1);
    assert.deepEqual(f.user, empty, "an empty user reads back empty (none)");
    assert.equal(
      reasonOf(() =>
        new FrameDecoder({ role: "bus" }).push(
          rawFrame(1, 0, full.slice(0, 862)),
        )
      ),
      "truncated",
    );
    // What the vendor leaves in cli[0].owner_node and past it: garbage.
    const garbage = full.slice();
    garbage.fill(0xa5, 597 + 266);
    const [g] = new FrameDecoder({ role: "bus" }).push(
      rawFrame(1, 0, garbage, 1),
    );
    assert.deepEqual(
      structuredClone(g),
      structuredClone(f),
      "garbage after cli[0].add_info and in the tail is ignored",
    );
  });

  test("mock wire - REGISTER_ACK carries the result and a node; a 4-byte body is enough", () => {
    const ack = encodeFrame({
      kind: FrameKind.REGISTER_ACK,
      head: { ...zeroHead(), src: { unitId: 3, clientId: -1, clientType: 1 } },
      result: 0,
    });
    assert.equal(ack.length, WIRE_HEAD_SIZE + 4 + 5556);
    const v = new DataView(ack.buffer);
    assert.equal(v.getInt32(WIRE_HEAD_SIZE, true), 0);
    assert.equal(v.getInt32(WIRE_HEAD_SIZE + 4 + 2, true), 3, "node.unitid");
    const [f] = new FrameDecoder({ role: "client" }).push(
      rawFrame(2, 0, Uint8Array.of(0xf6, 0xff, 0xff, 0xff)),
    );
    assert.ok(f.kind === FrameKind.REGISTER_ACK && f.result === -10);
    assert.equal(
      reasonOf(() =>
        new FrameDecoder({ role: "client" }).push(
          rawFrame(2, 0, Uint8Array.of(0, 0, 0)),
        )
      ),
      "truncated",
    );
  });

  test("mock wire - HEARTBEAT needs its 32 bytes; the count reads back exactly", () => {
    const [f] = registered().push(
      encodeFrame({
        kind: FrameKind.HEARTBEAT,
        count: 2 ** 40 + 1,
        resendCount: 3,
        timeLaunch: 1_700_000_000,
        timeReturn: 0,
      }),
    );
    assert.ok(f.kind === FrameKind.HEARTBEAT && f.count === 2 ** 40 + 1);
    assert.equal(
      reasonOf(() => registered().push(rawFrame(5, 0, new Uint8Array(31)))),
      "truncated",
    );
  });

  test("mock wire - GLOBAL_CONNECT is exactly 281 bytes, its own head included", () => {
    const b = encodeFrame({
      kind: FrameKind.GLOBAL_CONNECT,
      unitId: 20,
      clientId: 2,
      clientType: 4,
      accessUnitId: 3,
      status: 1,
      addInfo: te.encode("hi"),
    });
    const body = b.subarray(WIRE_HEAD_SIZE);
    assert.equal(body.length, 281);
    const v = new DataView(body.buffer, body.byteOffset);
    assert.deepEqual([...body.subarray(0, 4)], [0x15, 0x5b, 9, 1]);
    assert.equal(v.getInt32(12, true), 281);
    assert.equal(v.getInt32(16, true), 261);
    assert.deepEqual([...body.subarray(20, 25)], [20, 2, 4, 3, 1]);
    assert.equal(td.decode(body.subarray(25, 27)), "hi");
    for (const size of [0, 280, 282, 300]) {
      for (const cmd of [9, 10]) {
        const wrong = new Uint8Array(size);
        wrong.set(body.subarray(0, Math.min(size, 281)));
        assert.equal(
          reasonOf(() => any().push(rawFrame(cmd, 1, wrong))),
          "bad-length",
          `${cmd}/1 with ${size} bytes`,
        );
      }
    }
    // The same bytes with another cmdtype are plain data.
    const [data] = any().push(rawFrame(9, 3, new Uint8Array(12)));
    assert.equal(data.kind, FrameKind.DATA);
  });

  test("mock wire - flow frames: the text goes by its datalen; too short or a lying length is refused", () => {
    const ack = encodeFrame({
      kind: FrameKind.FLOW_ACK,
      project: te.encode("p"),
      invokeId: 7,
      invokerCh: -1,
      ack: -23,
      msg: te.encode("no IPSC"),
    }).subarray(WIRE_HEAD_SIZE);
    assert.equal(ack.length, 49 + 7 + 2, "the message, a NUL, a spare byte");
    assert.equal(ack[0], 13);
    const v = new DataView(ack.buffer, ack.byteOffset);
    assert.equal(v.getInt32(41, true), -23);
    assert.equal(v.getInt32(45, true), 7);
    const frame = (body: Uint8Array) => rawFrame(13, 1, body);
    assert.equal(
      reasonOf(() => any().push(frame(ack.slice(0, 48)))),
      "truncated",
    );
    const longer = ack.slice();
    new DataView(longer.buffer).setInt32(45, 1000, true);
    assert.equal(reasonOf(() => any().push(frame(longer))), "truncated");
    const negative = ack.slice();
    new DataView(negative.buffer).setInt32(45, -1, true);
    assert.equal(reasonOf(() => any().push(frame(negative))), "bad-length");
    const call = encodeFrame({
      kind: FrameKind.CALL_FLOW,
      project: te.encode("p"),
      flow: te.encode("f"),
      mode: 0,
      eventCh: -1,
      invokeId: 1,
      params: te.encode("[1]"),
    }).subarray(WIRE_HEAD_SIZE);
    assert.equal(call.length, 112 + 3 + 2);
    assert.equal(
      reasonOf(() => any().push(rawFrame(11, 1, call.slice(0, 77)))),
      "truncated",
    );
    // Texts with NULs inside survive: they are read by their length.
    const [r] = any().push(encodeFrame({
      kind: FrameKind.FLOW_RESULT,
      project: te.encode("p"),
      invokeId: 1,
      invokerCh: -1,
      param: Uint8Array.of(0, 1, 0),
    }));
    assert.ok(r.kind === FrameKind.FLOW_RESULT);
    assert.deepEqual([...r.param], [0, 1, 0]);
  });

  test("mock wire - a text longer than its field is cut to leave room for the NUL", () => {
    const [f] = any().push(encodeFrame({
      kind: FrameKind.NOTIFY,
      project: new Uint8Array(40).fill(0x70),
      mode: 0,
      invokeId: 1,
      expiresMs: 1000,
      title: new Uint8Array(200).fill(0x74),
      param: te.encode("x"),
    }));
    assert.ok(f.kind === FrameKind.NOTIFY);
    assert.equal(f.project.length, 31);
    assert.equal(f.title.length, 101);
    const [r] = new FrameDecoder({ role: "bus" }).push(encodeFrame({
      kind: FrameKind.REGISTER,
      connectIndex: 0,
      user: new Uint8Array(100).fill(0x75),
      password: new Uint8Array(200).fill(0x70),
      addInfo: new Uint8Array(300).fill(0x61),
      unitId: 20,
      accessUnitId: -1,
      clientId: 1,
      clientType: 4,
    }));
    assert.ok(r.kind === FrameKind.REGISTER);
    assert.deepEqual(
      [r.user.length, r.password.length, r.addInfo.length],
      [63, 127, 255],
    );
  });

  test("mock wire - tail bytes up to 3 are read past and ignored, whatever they hold", () => {
    fc.assert(
      fc.property(
        bytes(50),
        fc.integer({ min: 0, max: MAX_TAIL }),
        u8,
        fc.array(fc.nat(), { maxLength: 6 }),
        (data, tail, fill, cuts) => {
          const one = rawFrame(3, 3, data, tail);
          one.fill(fill, one.length - tail);
          const two = encodeFrame({ kind: FrameKind.PING, data });
          const got = feed(any(), concat([one, two]), cuts);
          assert.equal(got.length, 2);
          assert.ok(got[0].kind === FrameKind.DATA);
          assert.deepEqual([...got[0].data], [...data]);
          assert.ok(got[1].kind === FrameKind.PING);
          assert.deepEqual([...got[1].data], [...data]);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("mock wire - packet_size beyond datalen + 3, or under datalen, is refused from the head alone", () => {
    for (const len of [0, 1, 4, 1000]) {
      for (const extra of [4, 5, 100, -1, -20]) {
        const d = any();
        const size = WIRE_HEAD_SIZE + len + extra;
        assert.equal(
          reasonOf(() => d.push(rawHead({ len, size }))),
          "bad-length",
          `datalen ${len}, packet_size ${size}`,
        );
        assert.equal(d.buffered, WIRE_HEAD_SIZE, "no body was waited for");
      }
      for (let tail = 0; tail <= MAX_TAIL; tail++) {
        const [f, ...rest] = any().push(
          rawFrame(3, 3, new Uint8Array(len).fill(1), tail),
        );
        assert.equal(rest.length, 0);
        assert.ok(f.kind === FrameKind.DATA, `datalen ${len} + ${tail}`);
        assert.equal(f.data.length, len);
      }
    }
  });

  test("mock wire - reserved head bytes are garbage and ignored", () => {
    fc.assert(
      fc.property(frameArb, u8, u8, (frame, r0, r1) => {
        const b = encodeFrame(frame);
        b[10] = r0;
        b[11] = r1;
        const [f] = any().push(b);
        assert.deepEqual(structuredClone(f), structuredClone(frame));
      }),
      { numRuns: 100 },
    );
  });

  test("mock wire - random bytes only ever raise WireError and never grow the buffer past one frame", () => {
    const LIMIT = 8192;
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }),
        fc.boolean(),
        fc.boolean(),
        (chunks, withFlag, withRegister) => {
          // A limit that still takes a REGISTER (6005 bytes).
          const d = withRegister
            ? registered(LIMIT)
            : new FrameDecoder({ role: "bus", frameLimit: LIMIT });
          try {
            for (const [i, c] of chunks.entries()) {
              // A valid flag now and then, to get past the first check.
              if (withFlag && i === 0 && c.length >= 2) c.set([0x15, 0x5b], 0);
              d.push(c);
              assert.ok(d.buffered <= WIRE_HEAD_SIZE + LIMIT + MAX_TAIL);
            }
          } catch (e) {
            if (!(e instanceof WireError)) throw e;
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  test("mock wire - a huge or negative datalen is refused from the head alone", () => {
    const d = any();
    assert.equal(
      reasonOf(() => d.push(rawHead({ len: 0x7fffffff }))),
      "bad-length",
    );
    assert.equal(d.buffered, WIRE_HEAD_SIZE);
    assert.equal(
      reasonOf(() => any().push(rawHead({ len: DEFAULT_FRAME_LIMIT + 1 }))),
      "bad-length",
    );
    assert.equal(
      reasonOf(() =>
        new FrameDecoder({ role: "any", frameLimit: 10 }).push(
          rawHead({ len: 11 }),
        )
      ),
      "bad-length",
    );
    assert.equal(
      reasonOf(() => any().push(rawHead({ len: -1 }))),
      "bad-length",
    );
    // At the limit, with the largest tail, it is taken.
    const limit = new FrameDecoder({ role: "any", frameLimit: 10 });
    const [f] = limit.push(rawFrame(3, 3, new Uint8Array(10), MAX_TAIL));
    assert.ok(f.kind === FrameKind.DATA && f.data.length === 10);
  });

  test("mock wire - a wrong flag is refused", () => {
    for (const flag of [0, 0x155b, 0x5b16, 0xffff]) {
      assert.equal(
        reasonOf(() => any().push(rawHead({ flag, len: 0 }))),
        "bad-flag",
      );
    }
  });

  test("mock wire - frames out of order or in the wrong direction are refused", () => {
    assert.equal(
      reasonOf(() => new FrameDecoder({ role: "bus" }).push(heartbeat())),
      "out-of-order",
    );
    assert.equal(
      reasonOf(() =>
        new FrameDecoder({ role: "bus" }).push(
          encodeFrame({ kind: FrameKind.PING, data: empty }),
        )
      ),
      "out-of-order",
    );
    assert.equal(
      reasonOf(() => registered().push(register())),
      "out-of-order",
      "a second REGISTER",
    );
    const ack = encodeFrame({ kind: FrameKind.REGISTER_ACK, result: 0 });
    for (const bad of [ack, heartbeat(FrameKind.HEARTBEAT_ACK)]) {
      assert.equal(
        reasonOf(() => new FrameDecoder({ role: "bus" }).push(bad)),
        "wrong-direction",
      );
      assert.equal(reasonOf(() => registered().push(bad)), "wrong-direction");
    }
    for (const bad of [register(), heartbeat()]) {
      assert.equal(
        reasonOf(() => new FrameDecoder({ role: "client" }).push(bad)),
        "wrong-direction",
      );
    }
    assert.equal(
      reasonOf(() =>
        new FrameDecoder({ role: "client" }).push(
          encodeFrame({ kind: FrameKind.PING, data: empty }),
        )
      ),
      "out-of-order",
      "data before the registration ack",
    );
    const client = new FrameDecoder({ role: "client" });
    assert.equal(client.push(ack).length, 1);
    assert.equal(client.push(heartbeat(FrameKind.HEARTBEAT_ACK)).length, 1);
    // After the registration, link-level commands nobody defined pass (the
    // front ignores them), as do the other data kinds.
    const bus = registered();
    const [other] = bus.push(rawFrame(3, 0, Uint8Array.of(1)));
    assert.equal(other.kind, FrameKind.LINK_OTHER);
    assert.equal(bus.push(heartbeat()).length, 1);
  });

  test("mock wire - a failed decoder stays failed", () => {
    const d = any();
    assert.equal(
      reasonOf(() => d.push(rawHead({ flag: 1, len: 0 }))),
      "bad-flag",
    );
    assert.equal(reasonOf(() => d.push(heartbeat())), "bad-flag");
  });

  test("mock wire - encoding refuses a body over the frame limit", () => {
    const big = new Uint8Array(DEFAULT_FRAME_LIMIT + 1);
    assert.equal(
      reasonOf(() => encodeFrame({ kind: FrameKind.DATA, data: big })),
      "too-large",
    );
    assert.equal(
      encodeFrame({ kind: FrameKind.DATA, data: big.subarray(1) }).length,
      WIRE_HEAD_SIZE + DEFAULT_FRAME_LIMIT,
    );
    // A struct's fixed part counts: 112 bytes of CALL_FLOW before the text.
    assert.equal(
      reasonOf(() =>
        encodeFrame({
          kind: FrameKind.CALL_FLOW,
          project: empty,
          flow: empty,
          mode: 0,
          eventCh: -1,
          invokeId: 1,
          params: new Uint8Array(DEFAULT_FRAME_LIMIT - 112),
        })
      ),
      "too-large",
    );
    assert.equal(
      reasonOf(() =>
        encodeFrame({ kind: FrameKind.PING, data: new Uint8Array(5) }, 4)
      ),
      "too-large",
      "the limit given",
    );
  });
});
