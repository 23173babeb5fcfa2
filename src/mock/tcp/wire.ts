/**
 * The framing of the SmartBus wire protocol as the vendor's library speaks
 * it (`docs/wire-protocol.md`): the 20-byte head, the frame encoder, and an
 * incremental decoder that checks every size from the head before buffering
 * a body. Pure and runtime-neutral.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameDecoder, FrameKind } from "./wire.ts";
 * const bytes = encodeFrame({ kind: FrameKind.PING, data: new Uint8Array([1]) });
 * const [f] = new FrameDecoder({ role: "any" }).push(bytes);
 * console.log(f.kind === FrameKind.PING); // true
 * ```
 * @module
 */

import { WireError } from "./wire_fields.ts";
import {
  decodeBody,
  type DecodedFrame,
  encodeBody,
  type Frame,
  FrameKind,
  type FrameKindValue,
  kindOf,
  wireCmd,
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
  kindOf,
  type WireHead,
  zeroHead,
} from "./wire_frames.ts";

/** Size of the wire head in bytes. */
export const WIRE_HEAD_SIZE = 20;
/** Default largest `datalen` accepted (64 KiB). */
export const DEFAULT_FRAME_LIMIT = 65536;
/** The `head_flag` of every frame. */
export const WIRE_FLAG = 0x5b15;
/** Most bytes the vendor's library puts after a body (`datalen % 4`). */
export const MAX_TAIL = 3;

function writeI8(v: DataView, at: number, x: number): void {
  v.setInt8(at, (x << 24) >> 24);
}

/**
 * Encodes one frame (head + body). `tail: true` adds the vendor library's
 * `datalen % 4` extra bytes (zeros here). Throws {@link WireError} with
 * reason `"too-large"` when the body exceeds `frameLimit`.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameKind } from "./wire.ts";
 * const ack = encodeFrame({ kind: FrameKind.REGISTER_ACK, result: 0 });
 * console.log(ack.length); // 5580: the head, the result and a SMARTBUS_NODE
 * ```
 */
export function encodeFrame(
  frame: Frame,
  frameLimit: number = DEFAULT_FRAME_LIMIT,
  options: { tail?: boolean } = {},
): Uint8Array {
  const h = frame.head ?? zeroHead();
  const body = encodeBody(frame, h.src.unitId);
  if (body.length > frameLimit) {
    throw new WireError(
      "too-large",
      `body of ${body.length} bytes exceeds ${frameLimit}`,
    );
  }
  const [cmd, cmdType] = wireCmd(frame.kind) ?? [h.cmd, h.cmdType];
  const tail = options.tail ? body.length % 4 : 0;
  const out = new Uint8Array(WIRE_HEAD_SIZE + body.length + tail);
  const v = new DataView(out.buffer);
  v.setUint16(0, WIRE_FLAG, true);
  v.setUint8(2, cmd & 0xff);
  v.setUint8(3, cmdType & 0xff);
  writeI8(v, 4, h.src.clientType);
  writeI8(v, 5, h.src.unitId);
  writeI8(v, 6, h.src.clientId);
  writeI8(v, 7, h.dst.clientType);
  writeI8(v, 8, h.dst.unitId);
  writeI8(v, 9, h.dst.clientId);
  v.setInt32(12, out.length, true);
  v.setInt32(16, body.length, true);
  out.set(body, WIRE_HEAD_SIZE);
  return out;
}

/** Which peer's frames a {@link FrameDecoder} reads; `"any"` skips direction and order checks. */
export type DecoderRole = "bus" | "client" | "any";

/** Link-level kinds only a client sends, and only a bus sends. */
const CLIENT_ONLY: ReadonlySet<number> = new Set([
  FrameKind.REGISTER,
  FrameKind.HEARTBEAT,
]);
const BUS_ONLY: ReadonlySet<number> = new Set([
  FrameKind.REGISTER_ACK,
  FrameKind.HEARTBEAT_ACK,
]);

/**
 * Incremental frame decoder. `role: "bus"` reads what a client sends
 * (REGISTER first and once), `"client"` what the bus sends (REGISTER_ACK
 * first). Never buffers more than one frame (`WIRE_HEAD_SIZE + frameLimit +
 * 3` bytes). After a {@link WireError} the decoder is spent: the connection
 * must be closed.
 *
 * @example
 * ```ts
 * import { encodeFrame, FrameDecoder, FrameKind } from "./wire.ts";
 * const d = new FrameDecoder({ role: "bus" });
 * try {
 *   d.push(encodeFrame({ kind: FrameKind.PING, data: new Uint8Array() }));
 * } catch (e) {
 *   console.log((e as Error).message); // a ping before the registration
 * }
 * ```
 */
export class FrameDecoder {
  readonly #role: DecoderRole;
  readonly #limit: number;
  #buf: Uint8Array = new Uint8Array(WIRE_HEAD_SIZE);
  #have = 0;
  #need = WIRE_HEAD_SIZE;
  #head: WireHead | null = null;
  #kind: FrameKindValue = FrameKind.DATA;
  #len = 0;
  #registered = false;
  #failed: WireError | null = null;

  /** `frameLimit`: largest `datalen` accepted (default {@link DEFAULT_FRAME_LIMIT}). */
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
    const size = v.getInt32(12, true);
    const len = v.getInt32(16, true);
    if (len < 0 || len > this.#limit) {
      throw new WireError(
        "bad-length",
        `datalen ${len} outside 0..${this.#limit}`,
      );
    }
    const min = WIRE_HEAD_SIZE + len;
    if (size < min || size > min + MAX_TAIL) {
      throw new WireError(
        "bad-length",
        `packet_size ${size} is not 20 + datalen ${len} (+ up to 3)`,
      );
    }
    const cmd = v.getUint8(2);
    const cmdType = v.getUint8(3);
    const kind = kindOf(cmd, cmdType);
    this.#checkKind(kind, cmd, cmdType);
    this.#kind = kind;
    this.#len = len;
    this.#head = {
      cmd,
      cmdType,
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
    this.#need = size;
    if (this.#buf.length < this.#need) {
      const grown = new Uint8Array(this.#need);
      grown.set(this.#buf.subarray(0, this.#have));
      this.#buf = grown;
    }
  }

  #checkKind(kind: FrameKindValue, cmd: number, cmdType: number): void {
    if (this.#role === "any") return;
    const bus = this.#role === "bus";
    if ((bus ? BUS_ONLY : CLIENT_ONLY).has(kind)) {
      throw new WireError(
        "wrong-direction",
        `frame ${cmd}/${cmdType} cannot come from the ${
          bus ? "client" : "bus"
        }`,
      );
    }
    const first = bus ? FrameKind.REGISTER : FrameKind.REGISTER_ACK;
    if (kind === first) {
      if (this.#registered && bus) {
        throw new WireError("out-of-order", "a second registration");
      }
      this.#registered = true;
    } else if (!this.#registered) {
      throw new WireError(
        "out-of-order",
        `frame ${cmd}/${cmdType} before the registration${bus ? "" : " ack"}`,
      );
    }
  }

  #finishFrame(out: DecodedFrame[]): void {
    const head = this.#head as WireHead;
    const body = this.#buf.subarray(WIRE_HEAD_SIZE, WIRE_HEAD_SIZE + this.#len);
    out.push(decodeBody(this.#kind, head, body));
    this.#head = null;
    this.#have = 0;
    this.#need = WIRE_HEAD_SIZE;
    if (this.#buf.length > WIRE_HEAD_SIZE * 4) {
      this.#buf = new Uint8Array(WIRE_HEAD_SIZE);
    }
  }
}
