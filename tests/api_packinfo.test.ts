/**
 * The packet head (`PackInfo`): decoding and encoding the 20-byte head of
 * the vendor's binary and the SDK header's 28-byte one. Pure functions, no
 * backend.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidArgumentError } from "../src/abi/errors.ts";
import {
  encodePacketHead,
  PACKET_HEAD_SIZE_LLP64,
  PACKET_HEAD_SIZE_LP64,
  packetHeadSize,
  PackInfo,
} from "../src/abi/packinfo.ts";

const LE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
/** Bytes of a hand-written little-endian fixture in host order. */
function host(parts: number[][]): Uint8Array {
  return Uint8Array.from(parts.flatMap((p) => (LE ? p : [...p].reverse())));
}

// flag 0x5b15, cmd 0x21, cmdtype 3, src type 2 / unit 0 / client -1 (0xff),
// dst type 4 / unit 17 / client 5, reserved, then the two longs.
const common = [[0x15, 0x5b], [0x21], [3], [2], [0], [0xff], [4], [17], [5], [
  0,
], [0]];

const LP64_HEAD = host([
  ...common,
  [0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00], // 2^32: needs 8 bytes
  [0x0c, 0, 0, 0, 0, 0, 0, 0],
]);
const LLP64_HEAD = host([
  ...common,
  [0x00, 0x00, 0x01, 0x00], // 65536
  [0xff, 0xff, 0xff, 0xff], // -1
]);

describe("packinfo", () => {
  test("packinfo - head sizes for both long widths", () => {
    assert.equal(PACKET_HEAD_SIZE_LP64, 28);
    assert.equal(PACKET_HEAD_SIZE_LLP64, 20);
    assert.equal(packetHeadSize(8), 28);
    assert.equal(packetHeadSize(4), 20);
    assert.equal(LP64_HEAD.length, 28);
    assert.equal(LLP64_HEAD.length, 20);
  });

  test("packinfo - decodes an LP64 head with a signed char and a large size", () => {
    const p = PackInfo.fromHead(LP64_HEAD, 8);
    assert.deepEqual(p.toJSON(), {
      headFlag: 0x5b15,
      cmd: 0x21,
      cmdType: 3,
      srcUnitClientType: 2,
      srcUnitId: 0,
      srcUnitClientId: -1,
      dstUnitClientType: 4,
      dstUnitId: 17,
      dstUnitClientId: 5,
      packetSize: 2 ** 32,
      dataLen: 12,
    });
  });

  test("packinfo - decodes an LLP64 head", () => {
    const p = PackInfo.fromHead(LLP64_HEAD, 4);
    assert.equal(p.headFlag, 0x5b15);
    assert.equal(p.srcUnitClientId, -1);
    assert.equal(p.packetSize, 65536);
    assert.equal(p.dataLen, -1);
  });

  test("packinfo - cmd and cmdType are unsigned, the char fields signed", () => {
    const head = new Uint8Array(28);
    head.fill(0xff, 2, 10);
    const p = PackInfo.fromHead(head, 8);
    assert.equal(p.cmd, 255);
    assert.equal(p.cmdType, 255);
    for (
      const v of [
        p.srcUnitClientType,
        p.srcUnitId,
        p.srcUnitClientId,
        p.dstUnitClientType,
        p.dstUnitId,
        p.dstUnitClientId,
      ]
    ) assert.equal(v, -1);
  });

  test("packinfo - reads a head inside a larger buffer at an offset", () => {
    const big = new Uint8Array(40);
    big.set(LLP64_HEAD, 7);
    const p = PackInfo.fromHead(big.subarray(7), 4);
    assert.equal(p.dstUnitId, 17);
    assert.equal(p.packetSize, 65536);
  });

  test("packinfo - too short a head is refused", () => {
    for (const [len, size] of [[27, 8], [19, 4], [0, 8]] as const) {
      assert.throws(
        () => PackInfo.fromHead(new Uint8Array(len), size),
        (e: unknown) =>
          e instanceof InvalidArgumentError && e.argument === "head" &&
          e.message.includes(`got ${len}`),
      );
    }
    // An LLP64 head read as LP64 is too short, not silently misread.
    assert.throws(() => PackInfo.fromHead(LLP64_HEAD, 8), InvalidArgumentError);
  });

  test("packinfo - C-name aliases, toString and JSON", () => {
    const p = PackInfo.fromHead(LP64_HEAD, 8);
    assert.equal(p.cmdtype, 3);
    assert.equal(p.head_flag, 0x5b15);
    assert.equal(p.src_unit_client_type, 2);
    assert.equal(p.src_unit_id, 0);
    assert.equal(p.src_unit_client_id, -1);
    assert.equal(p.dest_unit_client_type, 4);
    assert.equal(p.dest_unit_id, 17);
    assert.equal(p.dest_unit_client_id, 5);
    assert.equal(p.packet_size, 2 ** 32);
    assert.equal(p.datalen, 12);
    assert.equal(
      String(p),
      "PackInfo(cmd 33, cmdType 3, src 0 -1 2, dst 17 5 4, packetSize 4294967296, dataLen 12)",
    );
    assert.deepEqual(JSON.parse(JSON.stringify(p)), p.toJSON());
    assert.equal(Object.keys(p.toJSON()).length, 11);
  });

  test("packinfo - encodePacketHead writes the hand-written fixtures", () => {
    const fields = {
      cmd: 0x21,
      cmdType: 3,
      srcUnitClientType: 2,
      srcUnitId: 0,
      srcUnitClientId: -1,
      dstUnitClientType: 4,
      dstUnitId: 17,
      dstUnitClientId: 5,
    };
    assert.deepEqual(
      encodePacketHead({ ...fields, packetSize: 2 ** 32, dataLen: 12 }, 8),
      LP64_HEAD,
    );
    assert.deepEqual(
      encodePacketHead({ ...fields, packetSize: 65536, dataLen: -1 }, 4),
      LLP64_HEAD,
    );
  });

  test("packinfo - encodePacketHead refuses values that do not fit", () => {
    const ok = {
      cmd: 0,
      cmdType: 0,
      srcUnitClientType: 0,
      srcUnitId: 0,
      srcUnitClientId: 0,
      dstUnitClientType: 0,
      dstUnitId: 0,
      dstUnitClientId: 0,
      packetSize: 0,
      dataLen: 0,
    };
    const bad: [Partial<typeof ok>, 4 | 8, string][] = [
      [{ cmd: 256 }, 8, "cmd"],
      [{ cmdType: -1 }, 8, "cmdType"],
      [{ srcUnitId: -129 }, 8, "srcUnitId"],
      [{ dstUnitClientId: 1.5 }, 4, "dstUnitClientId"],
      [{ packetSize: 2 ** 31 }, 4, "packetSize"],
      [{ dataLen: 2 ** 53 }, 8, "dataLen"],
      [{ dataLen: NaN }, 8, "dataLen"],
    ];
    for (const [patch, size, arg] of bad) {
      assert.throws(
        () => encodePacketHead({ ...ok, ...patch }, size),
        (e: unknown) => e instanceof InvalidArgumentError && e.argument === arg,
        arg,
      );
    }
  });

  test("packinfo - encode then decode round-trips for both layouts", () => {
    const sChar = fc.integer({ min: -128, max: 127 });
    const uChar = fc.integer({ min: 0, max: 255 });
    const fields = (long: fc.Arbitrary<number>) =>
      fc.record({
        cmd: uChar,
        cmdType: uChar,
        srcUnitClientType: sChar,
        srcUnitId: sChar,
        srcUnitClientId: sChar,
        dstUnitClientType: sChar,
        dstUnitId: sChar,
        dstUnitClientId: sChar,
        packetSize: long,
        dataLen: long,
      });
    const long4 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
    const long8 = fc.oneof(fc.maxSafeInteger(), long4);
    for (const [size, long] of [[4, long4], [8, long8]] as const) {
      fc.assert(
        fc.property(fields(long), (f) => {
          const head = encodePacketHead(f, size);
          assert.equal(head.length, packetHeadSize(size));
          assert.deepEqual(PackInfo.fromHead(head, size).toJSON(), {
            headFlag: 0x5b15,
            ...f,
          });
        }),
        { numRuns: 300 },
      );
    }
  });
});
