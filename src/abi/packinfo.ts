/**
 * The SmartBus packet head (`SMARTBUS_PACKET_HEAD`, packed to 1 byte): decoded
 * into {@link PackInfo} for events, and encoded by the mock backend. The SDK
 * header declares its two size fields `long` (28 bytes on LP64); the vendor's
 * binary was built with `int`: 20 bytes on every platform, which is what the
 * native backends and the mock use. Both layouts decode. Host byte order.
 *
 * @example
 * ```ts
 * import { PackInfo } from "@smartbus/netclient";
 * import { encodePacketHead } from "@smartbus/netclient/internal";
 * const head = encodePacketHead({
 *   cmd: 1, cmdType: 3, srcUnitClientType: 2, srcUnitId: 0, srcUnitClientId: 1,
 *   dstUnitClientType: 4, dstUnitId: 17, dstUnitClientId: 0, packetSize: 40, dataLen: 12,
 * }, 8);
 * console.log(PackInfo.fromHead(head, 8).dataLen); // 12
 * ```
 * @module
 */
import { PACKET_HEAD_FLAG } from "./constants.ts";
import { InvalidArgumentError } from "./errors.ts";

/** Size of the packet head when `long` is 8 bytes (64-bit Linux and macOS). */
export const PACKET_HEAD_SIZE_LP64 = 28;
/** Size of the packet head when `long` is 4 bytes (Windows). */
export const PACKET_HEAD_SIZE_LLP64 = 20;

/** The head is in host byte order; detected once. */
const LITTLE_ENDIAN: boolean =
  new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The packet head size for a library whose `sizeof(long)` is `longSize`.
 *
 * @example
 * ```ts
 * import { packetHeadSize } from "@smartbus/netclient/internal";
 * console.log(packetHeadSize(8), packetHeadSize(4)); // 28 20
 * ```
 */
export function packetHeadSize(longSize: 4 | 8): number {
  return longSize === 8 ? PACKET_HEAD_SIZE_LP64 : PACKET_HEAD_SIZE_LLP64;
}

/**
 * The fields of a packet head other than its constant flag.
 *
 * @example
 * ```ts
 * import type { PacketHeadFields } from "@smartbus/netclient";
 * const route = (h: PacketHeadFields): string => `${h.srcUnitId}:${h.srcUnitClientId} → ${h.dstUnitId}:${h.dstUnitClientId}`;
 * ```
 */
export interface PacketHeadFields {
  /** Command (`cmd`, 0–255). */
  cmd: number;
  /** Command type (`cmdtype`, 0–255), see `CmdType`. */
  cmdType: number;
  /** Sender's client type (signed char). */
  srcUnitClientType: number;
  /** Sender's unit id (signed char). */
  srcUnitId: number;
  /** Sender's client id (signed char; -1 is a bus node). */
  srcUnitClientId: number;
  /** Receiver's client type (signed char). */
  dstUnitClientType: number;
  /** Receiver's unit id (signed char). */
  dstUnitId: number;
  /** Receiver's client id (signed char). */
  dstUnitClientId: number;
  /** `packet_size` (a C `long`). */
  packetSize: number;
  /** `datalen` (a C `long`). */
  dataLen: number;
}

/**
 * Every field of a decoded packet head ({@link PackInfo} has them all).
 *
 * @example
 * ```ts
 * import type { PackInfoFields } from "@smartbus/netclient";
 * const valid = (h: PackInfoFields): boolean => h.headFlag === 0x5b15;
 * ```
 */
export interface PackInfoFields extends PacketHeadFields {
  /** `head_flag`, 0x5b15 in every valid head. */
  headFlag: number;
}

const FIELD_NAMES: readonly (keyof PackInfoFields)[] = [
  "headFlag",
  "cmd",
  "cmdType",
  "srcUnitClientType",
  "srcUnitId",
  "srcUnitClientId",
  "dstUnitClientType",
  "dstUnitId",
  "dstUnitClientId",
  "packetSize",
  "dataLen",
];

/**
 * What a packet head says: who sent the data, to whom, and how big it was.
 * Events that come with a head (`onReceiveText`, flow acknowledgements and
 * results) carry one. The C-style names of the original (`cmdtype`,
 * `src_unit_id`, `datalen`, ...) are available as read-only aliases.
 *
 * @example
 * ```ts
 * import { PackInfo } from "@smartbus/netclient";
 * const info = new PackInfo({
 *   headFlag: 0x5b15, cmd: 1, cmdType: 3, srcUnitClientType: 2, srcUnitId: 0,
 *   srcUnitClientId: 1, dstUnitClientType: 4, dstUnitId: 17, dstUnitClientId: 0,
 *   packetSize: 40, dataLen: 12,
 * });
 * console.log(`${info}`);
 * ```
 */
export class PackInfo implements PackInfoFields {
  /** `head_flag`, 0x5b15 in every valid head. */
  readonly headFlag: number;
  /** Command (0–255). */
  readonly cmd: number;
  /** Command type (0–255); 8 is a ping answer. */
  readonly cmdType: number;
  /** Sender's client type. */
  readonly srcUnitClientType: number;
  /** Sender's unit id. */
  readonly srcUnitId: number;
  /** Sender's client id (-1: a bus node). */
  readonly srcUnitClientId: number;
  /** Receiver's client type. */
  readonly dstUnitClientType: number;
  /** Receiver's unit id. */
  readonly dstUnitId: number;
  /** Receiver's client id. */
  readonly dstUnitClientId: number;
  /** `packet_size` from the head. */
  readonly packetSize: number;
  /** `datalen` from the head. */
  readonly dataLen: number;

  /** Create a head description from its fields. */
  constructor(fields: PackInfoFields) {
    this.headFlag = fields.headFlag;
    this.cmd = fields.cmd;
    this.cmdType = fields.cmdType;
    this.srcUnitClientType = fields.srcUnitClientType;
    this.srcUnitId = fields.srcUnitId;
    this.srcUnitClientId = fields.srcUnitClientId;
    this.dstUnitClientType = fields.dstUnitClientType;
    this.dstUnitId = fields.dstUnitId;
    this.dstUnitClientId = fields.dstUnitClientId;
    this.packetSize = fields.packetSize;
    this.dataLen = fields.dataLen;
  }

  /**
   * Decodes a raw packet head of a library whose `sizeof(long)` is
   * `longSize`. The `char` fields are signed (0xFF reads -1); the `long`
   * fields are read as signed integers. Extra bytes after the head are
   * ignored; too few bytes are an {@link InvalidArgumentError}.
   *
   * @example
   * ```ts
   * import { PackInfo } from "@smartbus/netclient";
   * const head = new Uint8Array(28);
   * head[2] = 7;
   * console.log(PackInfo.fromHead(head, 8).cmd); // 7
   * ```
   */
  static fromHead(head: Uint8Array, longSize: 4 | 8): PackInfo {
    const size = packetHeadSize(longSize);
    if (head.length < size) {
      throw new InvalidArgumentError(
        "head",
        `a packet head with ${longSize}-byte longs has ${size} bytes, got ${head.length}`,
      );
    }
    const v = new DataView(head.buffer, head.byteOffset, size);
    const readLong = (at: number): number =>
      longSize === 8
        ? Number(v.getBigInt64(at, LITTLE_ENDIAN))
        : v.getInt32(at, LITTLE_ENDIAN);
    return new PackInfo({
      headFlag: v.getUint16(0, LITTLE_ENDIAN),
      cmd: v.getUint8(2),
      cmdType: v.getUint8(3),
      srcUnitClientType: v.getInt8(4),
      srcUnitId: v.getInt8(5),
      srcUnitClientId: v.getInt8(6),
      dstUnitClientType: v.getInt8(7),
      dstUnitId: v.getInt8(8),
      dstUnitClientId: v.getInt8(9),
      packetSize: readLong(12),
      dataLen: readLong(12 + longSize),
    });
  }

  /** Alias of {@link PackInfo.headFlag} (the C field name). */
  get head_flag(): number {
    return this.headFlag;
  }
  /** Alias of {@link PackInfo.cmdType} (the C field name). */
  get cmdtype(): number {
    return this.cmdType;
  }
  /** Alias of {@link PackInfo.srcUnitClientType} (the C field name). */
  get src_unit_client_type(): number {
    return this.srcUnitClientType;
  }
  /** Alias of {@link PackInfo.srcUnitId} (the C field name). */
  get src_unit_id(): number {
    return this.srcUnitId;
  }
  /** Alias of {@link PackInfo.srcUnitClientId} (the C field name). */
  get src_unit_client_id(): number {
    return this.srcUnitClientId;
  }
  /** Alias of {@link PackInfo.dstUnitClientType} (the C field name). */
  get dest_unit_client_type(): number {
    return this.dstUnitClientType;
  }
  /** Alias of {@link PackInfo.dstUnitId} (the C field name). */
  get dest_unit_id(): number {
    return this.dstUnitId;
  }
  /** Alias of {@link PackInfo.dstUnitClientId} (the C field name). */
  get dest_unit_client_id(): number {
    return this.dstUnitClientId;
  }
  /** Alias of {@link PackInfo.packetSize} (the C field name). */
  get packet_size(): number {
    return this.packetSize;
  }
  /** Alias of {@link PackInfo.dataLen} (the C field name). */
  get datalen(): number {
    return this.dataLen;
  }

  /**
   * The fields as a plain object (what `JSON.stringify` writes).
   *
   * @example
   * ```ts
   * import { PackInfo } from "@smartbus/netclient";
   * const info = PackInfo.fromHead(new Uint8Array(20), 4);
   * console.log(JSON.stringify(info));
   * ```
   */
  toJSON(): PackInfoFields {
    const out = {} as Record<keyof PackInfoFields, number>;
    for (const k of FIELD_NAMES) out[k] = this[k];
    return out;
  }

  /**
   * A one-line description: command, both addresses and sizes.
   *
   * @example
   * ```ts
   * import { PackInfo } from "@smartbus/netclient";
   * console.log(String(PackInfo.fromHead(new Uint8Array(28), 8)));
   * ```
   */
  toString(): string {
    return `PackInfo(cmd ${this.cmd}, cmdType ${this.cmdType}, ` +
      `src ${this.srcUnitId} ${this.srcUnitClientId} ${this.srcUnitClientType}, ` +
      `dst ${this.dstUnitId} ${this.dstUnitClientId} ${this.dstUnitClientType}, ` +
      `packetSize ${this.packetSize}, dataLen ${this.dataLen})`;
  }
}

/**
 * Writes a packet head (flag 0x5b15, reserved bytes 0) for a library whose
 * `sizeof(long)` is `longSize`, in host byte order. The `char` fields accept
 * -128–255 (stored modulo 256, so -1 and 255 are the same byte); the `long`
 * fields must be safe integers that fit `longSize` bytes.
 *
 * @example
 * ```ts
 * import { encodePacketHead } from "@smartbus/netclient/internal";
 * const head = encodePacketHead({
 *   cmd: 0, cmdType: 8, srcUnitClientType: 1, srcUnitId: 0, srcUnitClientId: -1,
 *   dstUnitClientType: 4, dstUnitId: 17, dstUnitClientId: 0, packetSize: 28, dataLen: 0,
 * }, 4);
 * console.log(head.length); // 20
 * ```
 */
export function encodePacketHead(
  fields: PacketHeadFields,
  longSize: 4 | 8,
): Uint8Array {
  const out = new Uint8Array(packetHeadSize(longSize));
  const v = new DataView(out.buffer);
  v.setUint16(0, PACKET_HEAD_FLAG, LITTLE_ENDIAN);
  const bytes: [number, keyof PacketHeadFields, boolean][] = [
    [2, "cmd", false],
    [3, "cmdType", false],
    [4, "srcUnitClientType", true],
    [5, "srcUnitId", true],
    [6, "srcUnitClientId", true],
    [7, "dstUnitClientType", true],
    [8, "dstUnitId", true],
    [9, "dstUnitClientId", true],
  ];
  for (const [at, name, signed] of bytes) {
    const x = fields[name];
    const lo = signed ? -128 : 0;
    if (!Number.isInteger(x) || x < lo || x > 255) {
      throw new InvalidArgumentError(
        name,
        `must be an integer from ${lo} to 255, got ${x}`,
      );
    }
    out[at] = x & 0xff;
  }
  const longs: [number, keyof PacketHeadFields][] = [
    [12, "packetSize"],
    [12 + longSize, "dataLen"],
  ];
  for (const [at, name] of longs) {
    const x = fields[name];
    const limit = longSize === 8 ? Number.MAX_SAFE_INTEGER : 2 ** 31 - 1;
    if (!Number.isInteger(x) || x < -limit - 1 || x > limit) {
      throw new InvalidArgumentError(
        name,
        `must be an integer that fits a ${longSize}-byte long, got ${x}`,
      );
    }
    if (longSize === 8) v.setBigInt64(at, BigInt(x), LITTLE_ENDIAN);
    else v.setInt32(at, x, LITTLE_ENDIAN);
  }
  return out;
}
