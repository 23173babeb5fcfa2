/**
 * Bad input on the wire, at the TCP level: raw sockets send the TCP front
 * random bytes, truncated frames, frames with a wrong flag, lying
 * `packet_size`/`datalen` fields, huge lengths, structs too short or of the
 * wrong size and registrations out of turn, in random slices, before or
 * after registering — while two well-behaved clients keep exchanging data.
 * Asserted: nothing escapes a connection (no unhandled rejection or
 * exception), no decoder ever holds more than one head, the frame limit and
 * the vendor's 3 tail bytes, every bad peer is closed, and the good clients
 * keep working throughout.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import {
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameKind,
  MAX_TAIL,
  MockBus,
  serveTcp,
  WIRE_HEAD_SIZE,
  zeroHead,
} from "../src/mock/internal.ts";
import { checkProperty } from "./shared/fc.ts";
import { bounded, RawClient, registerFrame } from "./shared/raw_client.ts";

const te = new TextEncoder();
const td = new TextDecoder();
/** Small, but a REGISTER (6 005 bytes) and its ack (5 560) still fit. */
const FRAME_LIMIT = 6144;

/** Watch every FrameDecoder (the TCP front's included) for its largest buffer. */
function watchDecoders(): { max: () => number; restore: () => void } {
  const proto = FrameDecoder.prototype;
  const push = proto.push;
  let max = 0;
  proto.push = function (this: FrameDecoder, chunk: Uint8Array) {
    try {
      return push.call(this, chunk);
    } finally {
      max = Math.max(max, this.buffered);
    }
  };
  return { max: () => max, restore: () => void (proto.push = push) };
}

const dataTo = (clientId: number, text: string) =>
  encodeFrame({
    kind: FrameKind.DATA,
    head: {
      ...zeroHead(),
      cmd: 5,
      cmdType: 3,
      dst: { unitId: 20, clientId, clientType: 4 },
    },
    data: te.encode(text),
  });

const register = (clientId: number) => encodeFrame(registerFrame(clientId));

/** A valid frame a client could send, as bytes, with or without the vendor's tail. */
const validFrame = fc.tuple(
  fc.oneof(
    fc.uint8Array({ maxLength: 64 }).map((data): Frame => ({
      kind: FrameKind.DATA,
      head: { ...zeroHead(), dst: { unitId: 20, clientId: 1, clientType: 4 } },
      data,
    })),
    fc.uint8Array({ maxLength: 16 }).map((data): Frame => ({
      kind: FrameKind.PING,
      data,
    })),
    fc.nat().map((count): Frame => ({
      kind: FrameKind.HEARTBEAT,
      count,
      resendCount: 0,
      timeLaunch: 0,
      timeReturn: 0,
    })),
    fc.constant<Frame>({
      kind: FrameKind.GLOBAL_CONNECT_REPLY,
      unitId: 20,
      clientId: 99,
      clientType: 4,
      accessUnitId: 3,
      status: 2,
      addInfo: new Uint8Array(),
    }),
    fc.constant<Frame>({
      kind: FrameKind.FLOW_ACK,
      project: te.encode("p"),
      invokeId: 1,
      invokerCh: -1,
      ack: 1,
      msg: te.encode("ok"),
    }),
  ),
  fc.boolean(),
).map(([f, tail]) => encodeFrame(f, FRAME_LIMIT, { tail }));

const setI32 = (b: Uint8Array, at: number, v: number) =>
  new DataView(b.buffer, b.byteOffset).setInt32(at, v, true);

/** Bytes a misbehaving peer sends. */
const badBytes: fc.Arbitrary<{ what: string; bytes: Uint8Array }> = fc.oneof(
  fc.uint8Array({ minLength: 1, maxLength: 300 }).map((bytes) => ({
    what: "random bytes",
    bytes,
  })),
  fc.tuple(validFrame, fc.nat()).map(([f, cut]) => ({
    what: "truncated frame",
    bytes: f.subarray(0, cut % f.length),
  })),
  fc.tuple(validFrame, fc.integer({ min: 0, max: 0xffff })).filter(([, flag]) =>
    flag !== 0x5b15
  ).map(([f, flag]) => {
    const b = f.slice();
    b[0] = flag & 0xff;
    b[1] = flag >> 8;
    return { what: "wrong flag", bytes: b };
  }),
  fc.tuple(
    validFrame,
    fc.integer({ min: -100, max: 100 }).filter((d) => d < 0 || d > MAX_TAIL),
  ).map(([f, d]) => {
    const b = f.slice();
    const len = new DataView(b.buffer).getInt32(16, true);
    setI32(b, 12, WIRE_HEAD_SIZE + len + d);
    return { what: "packet_size out of datalen..datalen + 3", bytes: b };
  }),
  fc.tuple(validFrame, fc.integer({ min: 1, max: 100 })).map(([f, cut]) => {
    // The head says the body is shorter than the struct: "truncated".
    const len = Math.max(0, f.length - WIRE_HEAD_SIZE - cut);
    const b = f.slice(0, WIRE_HEAD_SIZE + len);
    setI32(b, 12, b.length);
    setI32(b, 16, len);
    return { what: "a body cut short, the sizes agreeing", bytes: b };
  }),
  fc.nat({ max: 6004 }).map((len) => {
    const b = register(99).slice(0, WIRE_HEAD_SIZE + len);
    setI32(b, 12, b.length);
    setI32(b, 16, len);
    return { what: `a REGISTER of ${len} bytes`, bytes: b };
  }),
  fc.constant({ what: "a (second) REGISTER", bytes: register(99) }),
  fc.tuple(validFrame, fc.integer({ min: 1, max: FRAME_LIMIT })).map(
    ([f, extra]) => {
      const b = f.slice();
      const len = b.length - WIRE_HEAD_SIZE + extra;
      setI32(b, 12, WIRE_HEAD_SIZE + len);
      setI32(b, 16, len);
      return { what: "lying datalen (more than sent)", bytes: b };
    },
  ),
  fc.tuple(
    validFrame,
    fc.oneof(
      fc.integer({ min: FRAME_LIMIT + 1, max: 0x7fffffff }),
      fc.integer({ min: -0x80000000, max: -1 }),
    ),
  ).map(([f, len]) => {
    const b = f.slice();
    setI32(b, 12, WIRE_HEAD_SIZE + len);
    setI32(b, 16, len);
    return { what: "huge or negative datalen", bytes: b };
  }),
);

/** Frames at and just over the limit, with every byte they claim actually sent. */
const atTheLimit: fc.Arbitrary<{ what: string; bytes: Uint8Array }> = fc
  .integer({ min: FRAME_LIMIT - 8, max: FRAME_LIMIT + 8 }).map((len) => {
    const b = new Uint8Array(WIRE_HEAD_SIZE + len).fill(0x41);
    b.set(
      encodeFrame({ kind: FrameKind.PING, data: new Uint8Array() }).subarray(
        0,
        WIRE_HEAD_SIZE,
      ),
    );
    setI32(b, 12, WIRE_HEAD_SIZE + len);
    setI32(b, 16, len);
    return { what: `a ${len}-byte payload (limit ${FRAME_LIMIT})`, bytes: b };
  });

/** Write `bytes` in the given slice sizes (the rest at once). */
function writeSliced(c: RawClient, bytes: Uint8Array, slices: number[]): void {
  let at = 0;
  for (const n of slices) {
    if (at >= bytes.length) break;
    c.socket.write(bytes.subarray(at, at + n));
    at += n;
  }
  if (at < bytes.length) c.socket.write(bytes.subarray(at));
}

describe("fuzz - TCP front", () => {
  test(
    "fuzz - bad bytes never escape a connection, never overfill a decoder, never disturb good clients",
    {
      timeout: 60_000,
    },
    async () => {
      const rejections: unknown[] = [];
      const onRejection = (e: unknown) => void rejections.push(e);
      process.on("unhandledRejection", onRejection);
      const watch = watchDecoders();
      const bus = new MockBus({ strict: true, logger: () => {} });
      bus.addNode({ unitId: 3, port: 8000 });
      const warnings: string[] = [];
      const front = await serveTcp(
        bus,
        [{ unitId: 3, host: "127.0.0.1", port: 8000, listenPort: 0 }],
        {
          logger: { warn: (m) => warnings.push(m), info() {} },
          frameLimit: FRAME_LIMIT,
        },
      );
      const port = front.addresses[0].port;
      const a = await RawClient.open(port);
      const b = await RawClient.open(port);
      let exchanged = 0;
      try {
        assert.equal(await a.login(1), 0);
        assert.equal(await b.login(2), 0);
        // The good pair keeps talking while the fuzzing runs.
        let stop = false;
        const chatter = (async () => {
          while (!stop) {
            const text = `ping ${exchanged}`;
            a.send({
              kind: FrameKind.DATA,
              head: {
                ...zeroHead(),
                cmd: 5,
                cmdType: 3,
                dst: { unitId: 20, clientId: 2, clientType: 4 },
              },
              data: te.encode(text),
            });
            const got = await b.next((f) => f.kind === FrameKind.DATA, 5000);
            assert.ok(got.kind === FrameKind.DATA);
            assert.equal(td.decode(got.data), text);
            exchanged++;
          }
        })();
        let peers = 0;
        await checkProperty(
          fc.asyncProperty(
            fc.boolean(),
            fc.array(fc.oneof(badBytes, atTheLimit), {
              minLength: 1,
              maxLength: 3,
            }),
            fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 8 }),
            async (logIn, bad, slices) => {
              const peer = await RawClient.open(port);
              peers++;
              if (logIn) assert.equal(await peer.login(10 + (peers % 80)), 0);
              for (const x of bad) writeSliced(peer, x.bytes, slices);
              // A lying length waits for bytes that never come: end the stream.
              peer.socket.end();
              await bounded(peer.closed, 3000, "the bad peer's socket closes");
              assert.ok(
                watch.max() <= WIRE_HEAD_SIZE + FRAME_LIMIT + MAX_TAIL,
                `a decoder held ${watch.max()} bytes`,
              );
            },
          ),
          100,
        );
        stop = true;
        await bounded(chatter, 6000, "the good pair's last exchange");
        const last = dataTo(2, "after the fuzzing");
        a.socket.write(last);
        const got = await b.next((f) => f.kind === FrameKind.DATA);
        assert.ok(
          got.kind === FrameKind.DATA &&
            td.decode(got.data) === "after the fuzzing",
        );
        assert.ok(
          exchanged > 0,
          "the good pair exchanged data during the fuzzing",
        );
        assert.deepEqual(
          bus.clients().map((c) => c.address.clientId).sort(),
          [1, 2],
          "only the good clients are left",
        );
        assert.ok(warnings.length > 0, "bad frames are logged");
        assert.deepEqual(rejections, []);
        console.log(
          `fuzz: ${peers} bad peers, ${exchanged} good exchanges, largest decoder buffer ${watch.max()} bytes`,
        );
      } finally {
        watch.restore();
        process.off("unhandledRejection", onRejection);
        a.socket.destroy();
        b.socket.destroy();
        await front.close();
      }
    },
  );
});
