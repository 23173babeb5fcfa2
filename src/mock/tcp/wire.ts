/**
 * The codec of the mock bus wire protocol (`docs/wire-protocol.md`): frames
 * between the native stand-in library and the TCP front. Pure and
 * runtime-neutral.
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

import { PayloadReader, PayloadWriter, WireError } from "./wire_fields.ts";
import {
  type DecodedFrame,
  decodePayload,
  encodePayload,
  type Frame,
  FrameKind,
  type WireHead,
  zeroHead,
} from "./wire_frames.ts";

export { WireError } from "./wire_fields.ts";
export type { WireErrorReason } from "./wire_fields.ts";
export {
  type DecodedFrame,
  type Frame,
  FrameKind,
  type FrameKindValue,
  type WireHead,
  zeroHead,
} from "./wire_frames.ts";

/** Size of the wire head in bytes. */
export const WIRE_HEAD_SIZE = 20;
/** Protocol version carried in `reserved[1]`. */
export const WIRE_VERSION = 1;
/** Default largest `data_len` accepted (64 KiB). */
export const DEFAULT_FRAME_LIMIT = 65536;
/** The `head_flag` of every frame. */
export const WIRE_FLAG = 0x5b15;

function writeI8(v: DataView, at: number, x: number): void {
  v.setInt8(at, (x << 24) >> 24);
}

/**
 * Encodes one frame (head + payload). Throws {@link WireError} with reason
 * `"too-large"` when the payload exceeds `frameLimit`, `"field-too-long"`
 * when a string exceeds 65 534 bytes.
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
export function encodeFrame(
  frame: Frame,
  frameLimit: number = DEFAULT_FRAME_LIMIT,
): Uint8Array {
  const w = new PayloadWriter();
  encodePayload(frame, w);
  const payload = w.finish();
  if (payload.length > frameLimit) {
    throw new WireError(
      "too-large",
      `payload of ${payload.length} bytes exceeds ${frameLimit}`,
    );
  }
  const out = new Uint8Array(WIRE_HEAD_SIZE + payload.length);
  const v = new DataView(out.buffer);
  const h = frame.head ?? zeroHead();
  v.setUint16(0, WIRE_FLAG, true);
  v.setUint8(2, h.cmd & 0xff);
  v.setUint8(3, h.cmdType & 0xff);
  writeI8(v, 4, h.src.clientType);
  writeI8(v, 5, h.src.unitId);
  writeI8(v, 6, h.src.clientId);
  writeI8(v, 7, h.dst.clientType);
  writeI8(v, 8, h.dst.unitId);
  writeI8(v, 9, h.dst.clientId);
  v.setUint8(10, frame.kind);
  v.setUint8(11, WIRE_VERSION);
  v.setInt32(12, WIRE_HEAD_SIZE + payload.length, true);
  v.setInt32(16, payload.length, true);
  out.set(payload, WIRE_HEAD_SIZE);
  return out;
}

/** Which peer's frames a {@link FrameDecoder} reads; `"any"` skips direction and order checks. */
export type DecoderRole = "bus" | "client" | "any";

const FROM_CLIENT: ReadonlySet<number> = new Set([
  FrameKind.LOGIN,
  FrameKind.DATA,
  FrameKind.PING,
  FrameKind.FLOW_INVOKE,
  FrameKind.FLOW_ACK,
  FrameKind.FLOW_RESULT,
  FrameKind.NOTIFY,
  FrameKind.HEARTBEAT,
  FrameKind.CLOSE,
]);
const FROM_BUS: ReadonlySet<number> = new Set([
  FrameKind.LOGIN_ANSWER,
  FrameKind.DATA,
  FrameKind.PING_ANSWER,
  FrameKind.FLOW_INVOKE,
  FrameKind.FLOW_ACK,
  FrameKind.FLOW_RESULT,
  FrameKind.NOTIFY,
  FrameKind.GLOBAL_CONNECT,
  FrameKind.HEARTBEAT,
  FrameKind.CLOSE,
]);

/**
 * Incremental frame decoder. `role: "bus"` reads what a client sends (LOGIN
 * first and once), `"client"` what the bus sends (LOGIN_ANSWER first and
 * once). Never buffers more than one frame (`WIRE_HEAD_SIZE + frameLimit`
 * bytes). After a {@link WireError} the decoder is spent: the connection must
 * be closed.
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
export class FrameDecoder {
  readonly #role: DecoderRole;
  readonly #limit: number;
  #buf: Uint8Array = new Uint8Array(WIRE_HEAD_SIZE);
  #have = 0;
  #need = WIRE_HEAD_SIZE;
  #head: WireHead | null = null;
  #kind = 0;
  #loggedIn = false;
  #failed: WireError | null = null;

  /** `frameLimit`: largest `data_len` accepted (default {@link DEFAULT_FRAME_LIMIT}). */
  constructor(options: { role: DecoderRole; frameLimit?: number }) {
    this.#role = options.role;
    this.#limit = options.frameLimit ?? DEFAULT_FRAME_LIMIT;
  }

  /** Bytes currently held for an incomplete frame. */
  get buffered(): number {
    return this.#have;
  }

  /** Feeds bytes; returns the frames completed by them, in order. */
  push(chunk: Uint8Array): DecodedFrame[] {
    if (this.#failed) throw this.#failed;
    const out: DecodedFrame[] = [];
    try {
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(this.#need - this.#have, chunk.length - at);
        this.#buf.set(chunk.subarray(at, at + take), this.#have);
        this.#have += take;
        at += take;
        if (this.#have < this.#need) break;
        if (this.#head === null) this.#readHead();
        else this.#finishFrame(out);
        if (this.#head !== null && this.#need === WIRE_HEAD_SIZE) {
          this.#finishFrame(out);
        }
      }
    } catch (e) {
      this.#failed = e instanceof WireError
        ? e
        : new WireError("internal", String(e));
      throw this.#failed;
    }
    return out;
  }

  #readHead(): void {
    const v = new DataView(
      this.#buf.buffer,
      this.#buf.byteOffset,
      WIRE_HEAD_SIZE,
    );
    const flag = v.getUint16(0, true);
    if (flag !== WIRE_FLAG) {
      throw new WireError(
        "bad-flag",
        `head flag 0x${flag.toString(16)} is not 0x5b15`,
      );
    }
    const version = v.getUint8(11);
    if (version !== WIRE_VERSION) {
      throw new WireError(
        "bad-version",
        `protocol version ${version} is not ${WIRE_VERSION}`,
      );
    }
    const kind = v.getUint8(10);
    this.#checkKind(kind);
    const size = v.getInt32(12, true);
    const len = v.getInt32(16, true);
    if (len < 0 || len > this.#limit) {
      throw new WireError(
        "bad-length",
        `data_len ${len} outside 0..${this.#limit}`,
      );
    }
    if (size !== WIRE_HEAD_SIZE + len) {
      throw new WireError(
        "bad-length",
        `packet_size ${size} is not 20 + data_len ${len}`,
      );
    }
    this.#kind = kind;
    this.#head = {
      cmd: v.getUint8(2),
      cmdType: v.getUint8(3),
      src: {
        clientType: v.getInt8(4),
        unitId: v.getInt8(5),
        clientId: v.getInt8(6),
      },
      dst: {
        clientType: v.getInt8(7),
        unitId: v.getInt8(8),
        clientId: v.getInt8(9),
      },
    };
    this.#need = WIRE_HEAD_SIZE + len;
    if (this.#buf.length < this.#need) {
      const grown = new Uint8Array(this.#need);
      grown.set(this.#buf.subarray(0, this.#have));
      this.#buf = grown;
    }
  }

  #checkKind(kind: number): void {
    if (kind < FrameKind.LOGIN || kind > FrameKind.CLOSE) {
      throw new WireError("unknown-kind", `unknown frame kind ${kind}`);
    }
    if (this.#role === "any") return;
    const allowed = this.#role === "bus" ? FROM_CLIENT : FROM_BUS;
    if (!allowed.has(kind)) {
      throw new WireError(
        "wrong-direction",
        `frame kind ${kind} cannot come from the ${
          this.#role === "bus" ? "client" : "bus"
        }`,
      );
    }
    const login = this.#role === "bus"
      ? FrameKind.LOGIN
      : FrameKind.LOGIN_ANSWER;
    if (kind === login) {
      if (this.#loggedIn) {
        throw new WireError(
          "out-of-order",
          `a second login frame (kind ${kind})`,
        );
      }
      this.#loggedIn = true;
    } else if (!this.#loggedIn && kind !== FrameKind.CLOSE) {
      throw new WireError(
        "out-of-order",
        `frame kind ${kind} before the login`,
      );
    }
  }

  #finishFrame(out: DecodedFrame[]): void {
    const head = this.#head as WireHead;
    const payload = this.#buf.slice(WIRE_HEAD_SIZE, this.#need);
    const r = new PayloadReader(payload);
    const frame = decodePayload(this.#kind, head, r);
    r.end();
    out.push(frame);
    this.#head = null;
    this.#have = 0;
    this.#need = WIRE_HEAD_SIZE;
    if (this.#buf.length > WIRE_HEAD_SIZE * 4) {
      this.#buf = new Uint8Array(WIRE_HEAD_SIZE);
    }
  }
}
