/**
 * The typed error of the SmartBus wire codec and the fixed-offset field
 * helpers its struct bodies need (`docs/wire-protocol.md`): the vendor's
 * frames are packed C structs with NUL-terminated text in fixed arrays.
 *
 * @module
 */

/** Why a frame was refused. */
export type WireErrorReason =
  | "bad-flag"
  | "bad-length"
  | "wrong-direction"
  | "out-of-order"
  | "truncated"
  | "too-large"
  | "internal";

/**
 * A protocol violation: the connection that produced it must be closed.
 *
 * @example
 * ```ts
 * import { WireError } from "./wire_fields.ts";
 * const e = new WireError("bad-flag", "head flag 0x0 is not 0x5b15");
 * console.log(e.reason); // "bad-flag"
 * ```
 */
export class WireError extends Error {
  /** A stable, machine-readable reason. */
  readonly reason: WireErrorReason;
  /** A violation with its `reason` and a human-readable `message`. */
  constructor(reason: WireErrorReason, message: string) {
    super(message);
    this.name = "WireError";
    this.reason = reason;
  }
}

/** A struct body being read: every read past its end is a {@link WireError}. */
export class StructReader {
  readonly #b: Uint8Array;
  readonly #v: DataView;
  readonly #what: string;

  /** Reads `bytes` (not copied), the body of a `what` frame. */
  constructor(bytes: Uint8Array, what: string) {
    this.#b = bytes;
    this.#v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#what = what;
  }

  /** Throws unless the body holds at least `n` bytes. */
  need(n: number): void {
    if (this.#b.length < n) {
      throw new WireError(
        "truncated",
        `${this.#what} body of ${this.#b.length} bytes is shorter than ${n}`,
      );
    }
  }
  /** Signed byte at `at`. */
  i8(at: number): number {
    this.need(at + 1);
    return this.#v.getInt8(at);
  }
  /** Unsigned byte at `at`. */
  u8(at: number): number {
    this.need(at + 1);
    return this.#v.getUint8(at);
  }
  /** Little-endian `int` at `at`. */
  i32(at: number): number {
    this.need(at + 4);
    return this.#v.getInt32(at, true);
  }
  /** Little-endian 64-bit integer at `at` (exact up to 2^53). */
  i64(at: number): number {
    this.need(at + 8);
    return Number(this.#v.getBigInt64(at, true));
  }
  /** A `char[size]` field: its bytes up to the first NUL (a copy). */
  cstr(at: number, size: number): Uint8Array {
    this.need(at + size);
    const field = this.#b.subarray(at, at + size);
    const nul = field.indexOf(0);
    return field.slice(0, nul < 0 ? size : nul);
  }
  /** `n` bytes at `at` (a copy); `n` < 0 is a lie about a length. */
  bytes(at: number, n: number): Uint8Array {
    if (n < 0) {
      throw new WireError(
        "bad-length",
        `${this.#what} text length ${n} is negative`,
      );
    }
    this.need(at + n);
    return this.#b.slice(at, at + n);
  }
}

/** A struct body being built, zero-filled. */
export class StructWriter {
  /** The body. */
  readonly bytes: Uint8Array;
  readonly #v: DataView;

  /** A zeroed body of `size` bytes. */
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.#v = new DataView(this.bytes.buffer);
  }
  /** One byte (low 8 bits of `x`). */
  i8(at: number, x: number): this {
    this.#v.setUint8(at, x & 0xff);
    return this;
  }
  /** Little-endian `int`. */
  i32(at: number, x: number): this {
    this.#v.setInt32(at, x | 0, true);
    return this;
  }
  /** Little-endian 64-bit integer. */
  i64(at: number, x: number): this {
    this.#v.setBigInt64(at, BigInt(Math.trunc(x)), true);
    return this;
  }
  /** A `char[size]` field: cut to `size - 1` bytes so that a NUL follows. */
  cstr(at: number, size: number, s: Uint8Array): this {
    this.bytes.set(s.subarray(0, size - 1), at);
    return this;
  }
  /** Raw bytes at `at`. */
  put(at: number, s: Uint8Array): this {
    this.bytes.set(s, at);
    return this;
  }
}
