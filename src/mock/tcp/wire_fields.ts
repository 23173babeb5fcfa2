/**
 * Payload field readers and writers of the mock bus wire protocol, and its
 * typed error. See `docs/wire-protocol.md` for the field encodings.
 *
 * @example
 * ```ts
 * import { MockBus, serveTcp } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * // the native stand-in speaks this codec with the front
 * await using front = await serveTcp(bus, [
 *   { unitId: 0, host: "127.0.0.1", port: 8000, listenPort: 0 },
 * ]);
 * ```
 * @module
 */

/** Why a frame was refused. */
export type WireErrorReason =
  | "bad-flag"
  | "bad-version"
  | "bad-length"
  | "unknown-kind"
  | "wrong-direction"
  | "out-of-order"
  | "truncated"
  | "trailing-bytes"
  | "null-field"
  | "field-too-long"
  | "too-large"
  | "internal";

/**
 * A protocol violation: the connection that produced it must be closed.
 *
 * @example
 * ```ts
 * import { MockBus, serveTcp } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * // the native stand-in speaks this codec with the front
 * await using front = await serveTcp(bus, [
 *   { unitId: 0, host: "127.0.0.1", port: 8000, listenPort: 0 },
 * ]);
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

/** `u16` string length meaning null. */
export const NULL_STR_LEN = 0xffff;
/** Longest string a `str` field carries. */
export const MAX_STR_LEN = 0xfffe;

/**
 * Builds a payload field by field (little-endian).
 *
 * @example
 * ```ts
 * import { MockBus, serveTcp } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * // the native stand-in speaks this codec with the front
 * await using front = await serveTcp(bus, [
 *   { unitId: 0, host: "127.0.0.1", port: 8000, listenPort: 0 },
 * ]);
 * ```
 */
export class PayloadWriter {
  #parts: Uint8Array[] = [];
  #len = 0;

  #push(b: Uint8Array): this {
    this.#parts.push(b);
    this.#len += b.length;
    return this;
  }

  /** One unsigned byte. */
  u8(x: number): this {
    return this.#push(Uint8Array.of(x & 0xff));
  }
  /** One signed byte (low 8 bits of `x`). */
  i8(x: number): this {
    return this.u8(x);
  }
  /** A little-endian 32-bit integer. */
  i32(x: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setInt32(0, x | 0, true);
    return this.#push(b);
  }
  /** A `u16`-length-prefixed string; `null` only when `nullable`. */
  str(s: Uint8Array | null, nullable = false): this {
    if (s === null) {
      if (!nullable) {
        throw new WireError(
          "null-field",
          "null in a field that cannot be null",
        );
      }
      return this.#push(Uint8Array.of(0xff, 0xff));
    }
    if (s.length > MAX_STR_LEN) {
      throw new WireError(
        "field-too-long",
        `string of ${s.length} bytes exceeds ${MAX_STR_LEN}`,
      );
    }
    this.#push(Uint8Array.of(s.length & 0xff, s.length >> 8));
    return this.#push(s.slice());
  }
  /** All remaining bytes. */
  rest(b: Uint8Array): this {
    return this.#push(b.slice());
  }
  /** The payload so far, as one block. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#len);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }
}

/**
 * Reads a payload field by field; every overrun is a {@link WireError}.
 *
 * @example
 * ```ts
 * import { MockBus, serveTcp } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * // the native stand-in speaks this codec with the front
 * await using front = await serveTcp(bus, [
 *   { unitId: 0, host: "127.0.0.1", port: 8000, listenPort: 0 },
 * ]);
 * ```
 */
export class PayloadReader {
  readonly #b: Uint8Array;
  readonly #v: DataView;
  #at = 0;

  /** Reads `bytes` (not copied). */
  constructor(bytes: Uint8Array) {
    this.#b = bytes;
    this.#v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  #need(n: number, what: string): void {
    if (this.#at + n > this.#b.length) {
      throw new WireError(
        "truncated",
        `${what} runs past the end of the payload`,
      );
    }
  }
  /** One unsigned byte. */
  u8(): number {
    this.#need(1, "u8 field");
    return this.#v.getUint8(this.#at++);
  }
  /** One signed byte. */
  i8(): number {
    this.#need(1, "i8 field");
    return this.#v.getInt8(this.#at++);
  }
  /** A little-endian 32-bit integer. */
  i32(): number {
    this.#need(4, "i32 field");
    const x = this.#v.getInt32(this.#at, true);
    this.#at += 4;
    return x;
  }
  /** A string that may be null (the `0xFFFF` length): a copy. */
  str(nullable: true): Uint8Array | null;
  /** A string that must not be null: a copy. */
  str(nullable?: false): Uint8Array;
  /** A string: a copy; `null` only accepted when `nullable`. */
  str(nullable = false): Uint8Array | null {
    this.#need(2, "string length");
    const n = this.#v.getUint16(this.#at, true);
    this.#at += 2;
    if (n === NULL_STR_LEN) {
      if (!nullable) {
        throw new WireError(
          "null-field",
          "null in a field that cannot be null",
        );
      }
      return null;
    }
    this.#need(n, "string bytes");
    const s = this.#b.slice(this.#at, this.#at + n);
    this.#at += n;
    return s;
  }
  /** All remaining bytes (a copy). */
  rest(): Uint8Array {
    const s = this.#b.slice(this.#at);
    this.#at = this.#b.length;
    return s;
  }
  /** Asserts the payload was consumed exactly. */
  end(): void {
    if (this.#at !== this.#b.length) {
      throw new WireError(
        "trailing-bytes",
        `${this.#b.length - this.#at} bytes after the last field`,
      );
    }
  }
}
