/**
 * Bad input on the wire, at the TCP level: raw sockets send the TCP front
 * random bytes, truncated frames, frames with a wrong flag or version,
 * lying `packet_size`/`data_len` fields and huge lengths, in random slices,
 * before or after logging in — while two well-behaved clients keep
 * exchanging data. Asserted: nothing escapes a connection (no unhandled
 * rejection or exception), no decoder ever holds more than one head plus
 * the frame limit, every bad peer is closed, and the good clients keep
 * working throughout.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import fc from "fast-check";
import {
  encodeFrame,
  FrameDecoder,
  FrameKind,
  MockBus,
  serveTcp,
  WIRE_HEAD_SIZE,
  zeroHead,
} from "../src/mock/internal.ts";
import { checkProperty } from "./shared/fc.ts";
import { bounded, RawClient } from "./shared/raw_client.ts";

const te = new TextEncoder();
const td = new TextDecoder();
const FRAME_LIMIT = 1024;

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

/** A valid frame a client could send, as bytes. */
const validFrame = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((data) =>
    encodeFrame({
      kind: FrameKind.DATA,
      head: { ...zeroHead(), dst: { unitId: 20, clientId: 1, clientType: 4 } },
      data,
    })
  ),
  fc.uint8Array({ maxLength: 16 }).map((data) =>
    encodeFrame({ kind: FrameKind.PING, data })
  ),
  fc.constant(encodeFrame({ kind: FrameKind.HEARTBEAT })),
);

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
  fc.tuple(validFrame, fc.integer({ min: 2, max: 255 })).map(([f, v]) => {
    const b = f.slice();
    b[11] = v;
    return { what: "wrong version", bytes: b };
  }),
  fc.tuple(validFrame, fc.integer({ min: -100, max: 100 })).filter(([, d]) =>
    d !== 0
  ).map(([f, d]) => {
    const b = f.slice();
    setI32(b, 12, b.length + d);
    return { what: "lying packet_size", bytes: b };
  }),
  fc.tuple(validFrame, fc.integer({ min: 1, max: FRAME_LIMIT })).map(
    ([f, extra]) => {
      const b = f.slice();
      const len = b.length - WIRE_HEAD_SIZE + extra;
      setI32(b, 12, WIRE_HEAD_SIZE + len);
      setI32(b, 16, len);
      return { what: "lying data_len (more than sent)", bytes: b };
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
    return { what: "huge or negative data_len", bytes: b };
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
        assert.equal(await a.login(1), 3);
        assert.equal(await b.login(2), 3);
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
              if (logIn) await peer.login(10 + (peers % 100));
              for (const x of bad) writeSliced(peer, x.bytes, slices);
              // A lying length waits for bytes that never come: end the stream.
              peer.socket.end();
              await bounded(peer.closed, 3000, "the bad peer's socket closes");
              assert.ok(
                watch.max() <= WIRE_HEAD_SIZE + FRAME_LIMIT,
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
