/**
 * Frame kinds, frame shapes and body codecs of the SmartBus wire protocol as
 * the vendor's library speaks it (`docs/wire-protocol.md`): which `cmd` and
 * `cmdtype` each kind has, and where each field sits in its packed struct.
 * The framing (head, decoder) is in `wire.ts`.
 *
 * @example
 * ```ts
 * import { FrameKind, kindOf } from "./wire_frames.ts";
 * console.log(kindOf(11, 1) === FrameKind.CALL_FLOW); // true
 * ```
 * @module
 */

import type { BusAddress } from "../bus/contract.ts";
import { StructReader, StructWriter, WireError } from "./wire_fields.ts";

/**
 * Frame kinds: what a (`cmd`, `cmdtype`) pair means.
 *
 * @example
 * ```ts
 * import { FrameKind, kindOf } from "./wire_frames.ts";
 * console.log(kindOf(7, 1) === FrameKind.PING); // true
 * ```
 */
export const FrameKind = {
  REGISTER: 1,
  REGISTER_ACK: 2,
  DATA: 3,
  PING: 4,
  PING_ANSWER: 5,
  CALL_FLOW: 6,
  FLOW_ACK: 7,
  FLOW_RESULT: 8,
  NOTIFY: 9,
  GLOBAL_CONNECT: 10,
  GLOBAL_CONNECT_REPLY: 11,
  HEARTBEAT: 12,
  HEARTBEAT_ACK: 13,
  /** A link-level command (`cmdtype` 0) nobody defined: ignored. */
  LINK_OTHER: 14,
} as const;
/** One of the {@link FrameKind} values. */
export type FrameKindValue = typeof FrameKind[keyof typeof FrameKind];

/** `cmdtype` of link-level commands. */
export const LINK = 0;
/** `cmdtype` of the library's own data commands (ping, flows, ...). */
export const SYSTEM = 1;

/** (`cmd`, `cmdtype`) of every kind but DATA and LINK_OTHER. */
const WIRE_CMD: Record<number, [number, number]> = {
  [FrameKind.REGISTER]: [1, LINK],
  [FrameKind.REGISTER_ACK]: [2, LINK],
  [FrameKind.HEARTBEAT]: [5, LINK],
  [FrameKind.HEARTBEAT_ACK]: [6, LINK],
  [FrameKind.PING]: [7, SYSTEM],
  [FrameKind.PING_ANSWER]: [8, SYSTEM],
  [FrameKind.GLOBAL_CONNECT]: [9, SYSTEM],
  [FrameKind.GLOBAL_CONNECT_REPLY]: [10, SYSTEM],
  [FrameKind.CALL_FLOW]: [11, SYSTEM],
  [FrameKind.FLOW_RESULT]: [12, SYSTEM],
  [FrameKind.FLOW_ACK]: [13, SYSTEM],
  [FrameKind.NOTIFY]: [15, SYSTEM],
};
const LINK_KINDS = new Map<number, FrameKindValue>();
const SYSTEM_KINDS = new Map<number, FrameKindValue>();
for (const [kind, [cmd, type]] of Object.entries(WIRE_CMD)) {
  (type === LINK ? LINK_KINDS : SYSTEM_KINDS).set(
    cmd,
    Number(kind) as FrameKindValue,
  );
}

/**
 * The kind of a frame with this `cmd` and `cmdtype`. The library's own data
 * commands count only with `cmdtype` 1; with another non-zero `cmdtype` a
 * frame is plain data.
 *
 * @example
 * ```ts
 * import { FrameKind, kindOf } from "./wire_frames.ts";
 * console.log(kindOf(7, 3) === FrameKind.DATA); // true: cmdtype 3 is user data
 * ```
 */
export function kindOf(cmd: number, cmdType: number): FrameKindValue {
  if (cmdType === LINK) return LINK_KINDS.get(cmd) ?? FrameKind.LINK_OTHER;
  if (cmdType === SYSTEM) return SYSTEM_KINDS.get(cmd) ?? FrameKind.DATA;
  return FrameKind.DATA;
}

/** The (`cmd`, `cmdtype`) a frame of `kind` is sent with; `undefined` for DATA. */
export function wireCmd(kind: number): [number, number] | undefined {
  return WIRE_CMD[kind];
}

/** The addressing part of a wire head. */
export interface WireHead {
  /** `cmd` (set from the kind except for DATA and LINK_OTHER). */
  cmd: number;
  /** `cmdtype` (likewise). */
  cmdType: number;
  /** Source address (signed 8-bit fields on the wire). */
  src: BusAddress;
  /** Destination address (signed 8-bit fields on the wire). */
  dst: BusAddress;
}

/** Every frame, by kind; `head` defaults to zeros when encoding. */
export type Frame =
  | {
    kind: typeof FrameKind.REGISTER;
    head?: WireHead;
    /** 0: master, 1: slave. */
    connectIndex: number;
    user: Uint8Array;
    password: Uint8Array;
    addInfo: Uint8Array;
    unitId: number;
    /** -1 the first time, then the last access node. */
    accessUnitId: number;
    clientId: number;
    clientType: number;
  }
  | {
    kind: typeof FrameKind.REGISTER_ACK;
    head?: WireHead;
    /** 0 logged in, otherwise an error code. */
    result: number;
  }
  | {
    kind:
      | typeof FrameKind.HEARTBEAT
      | typeof FrameKind.HEARTBEAT_ACK;
    head?: WireHead;
    count: number;
    resendCount: number;
    /** Seconds since the epoch. */
    timeLaunch: number;
    /** Seconds since the epoch (0 in a heartbeat). */
    timeReturn: number;
  }
  | {
    kind:
      | typeof FrameKind.DATA
      | typeof FrameKind.PING
      | typeof FrameKind.PING_ANSWER
      | typeof FrameKind.LINK_OTHER;
    head?: WireHead;
    data: Uint8Array;
  }
  | {
    kind:
      | typeof FrameKind.GLOBAL_CONNECT
      | typeof FrameKind.GLOBAL_CONNECT_REPLY;
    head?: WireHead;
    unitId: number;
    clientId: number;
    clientType: number;
    accessUnitId: number;
    status: number;
    addInfo: Uint8Array;
  }
  | {
    kind: typeof FrameKind.CALL_FLOW;
    head?: WireHead;
    project: Uint8Array;
    flow: Uint8Array;
    /** 0 wants the result, 1 does not. */
    mode: number;
    eventCh: number;
    invokeId: number;
    params: Uint8Array;
  }
  | {
    kind: typeof FrameKind.FLOW_ACK;
    head?: WireHead;
    project: Uint8Array;
    invokeId: number;
    invokerCh: number;
    /** 1 started; anything else did not. */
    ack: number;
    msg: Uint8Array;
  }
  | {
    kind: typeof FrameKind.FLOW_RESULT;
    head?: WireHead;
    project: Uint8Array;
    invokeId: number;
    invokerCh: number;
    param: Uint8Array;
  }
  | {
    kind: typeof FrameKind.NOTIFY;
    head?: WireHead;
    project: Uint8Array;
    mode: number;
    invokeId: number;
    expiresMs: number;
    title: Uint8Array;
    param: Uint8Array;
  };

/** A decoded frame: like {@link Frame} but `head` is always present. */
export type DecodedFrame = Frame & { head: WireHead };

const ZERO: BusAddress = { unitId: 0, clientId: 0, clientType: 0 };
/** A head of zeros, for frames whose head carries nothing. */
export function zeroHead(): WireHead {
  return { cmd: 0, cmdType: 0, src: { ...ZERO }, dst: { ...ZERO } };
}

// Body offsets (struct offsets minus the 20-byte head where the struct has one).
const REG_SIZE = 6005;
const REG_NODE = 449;
const REG_CLI0 = REG_NODE + 148;
/** The REGISTER body a receiver needs: through `cli[0].add_info`. */
const REG_MIN = REG_CLI0 + 10 + 256;
const NODE_SIZE = 5556;
const HEARTBEAT_SIZE = 32;
const GLOBAL_SIZE = 281;
const CALL_FLOW_TEXT = 112;
const ACK_TEXT = 49;
const RET_TEXT = 45;
const NOTIFY_TEXT = 148;

/**
 * A body with a fixed struct whose last field is a 2-byte `strparam_head`
 * at `at`, where the text starts: the text, its NUL and one spare byte, as
 * the vendor's library builds them. It drops a body shorter than the whole
 * struct ("Remote call flow ack error, size=50").
 */
function withText(at: number, text: Uint8Array): StructWriter {
  const w = new StructWriter(at + text.length + 2);
  w.put(at, text);
  return w;
}

/** Builds the body of `f` (everything after the head). */
export function encodeBody(f: Frame, headSrcUnit: number): Uint8Array {
  switch (f.kind) {
    case FrameKind.REGISTER: {
      const w = new StructWriter(REG_SIZE);
      w.i8(0, f.connectIndex).cstr(1, 64, f.user).cstr(65, 128, f.password);
      w.cstr(193, 256, f.addInfo);
      w.i8(REG_NODE, 1).i8(REG_NODE + 1, 1).i32(REG_NODE + 2, f.unitId);
      w.i32(REG_NODE + 6, f.accessUnitId).i8(REG_NODE + 10, 1);
      w.i8(REG_NODE + 147, 1);
      w.i8(REG_CLI0, 1).i8(REG_CLI0 + 1, 1).i32(REG_CLI0 + 2, f.clientId);
      w.i32(REG_CLI0 + 6, f.clientType).cstr(REG_CLI0 + 10, 256, f.addInfo);
      return w.bytes;
    }
    case FrameKind.REGISTER_ACK: {
      // The access node's SMARTBUS_NODE follows; the library does not read it.
      const w = new StructWriter(4 + NODE_SIZE);
      w.i32(0, f.result).i8(4, 1).i8(5, 1).i32(6, headSrcUnit);
      w.i32(10, headSrcUnit);
      return w.bytes;
    }
    case FrameKind.HEARTBEAT:
    case FrameKind.HEARTBEAT_ACK:
      return new StructWriter(HEARTBEAT_SIZE).i64(0, f.count)
        .i64(8, f.resendCount).i64(16, f.timeLaunch).i64(24, f.timeReturn)
        .bytes;
    case FrameKind.DATA:
    case FrameKind.PING:
    case FrameKind.PING_ANSWER:
    case FrameKind.LINK_OTHER:
      return f.data;
    case FrameKind.GLOBAL_CONNECT:
    case FrameKind.GLOBAL_CONNECT_REPLY: {
      // The whole struct, its own head included (filled like an outer one).
      const w = new StructWriter(GLOBAL_SIZE);
      const [cmd] = WIRE_CMD[f.kind];
      w.i8(0, 0x15).i8(1, 0x5b).i8(2, cmd).i8(3, SYSTEM);
      w.i32(12, GLOBAL_SIZE).i32(16, GLOBAL_SIZE - 20);
      w.i8(20, f.unitId).i8(21, f.clientId).i8(22, f.clientType);
      w.i8(23, f.accessUnitId).i8(24, f.status).cstr(25, 256, f.addInfo);
      return w.bytes;
    }
    case FrameKind.CALL_FLOW: {
      const w = withText(CALL_FLOW_TEXT, f.params);
      w.i8(0, 11).cstr(1, 32, f.project).cstr(33, 32, f.flow).i8(65, f.mode);
      w.i32(66, f.eventCh).i32(70, f.invokeId).i32(74, f.params.length);
      return w.bytes;
    }
    case FrameKind.FLOW_ACK: {
      const w = withText(ACK_TEXT, f.msg);
      w.i8(0, 13).cstr(1, 32, f.project).i32(33, f.invokeId);
      w.i32(37, f.invokerCh).i32(41, f.ack).i32(45, f.msg.length);
      return w.bytes;
    }
    case FrameKind.FLOW_RESULT: {
      const w = withText(RET_TEXT, f.param);
      w.i8(0, 12).cstr(1, 32, f.project).i32(33, f.invokeId);
      w.i32(37, f.invokerCh).i32(41, f.param.length);
      return w.bytes;
    }
    case FrameKind.NOTIFY: {
      const w = withText(NOTIFY_TEXT, f.param);
      w.i8(0, 15).cstr(1, 32, f.project).i8(33, f.mode).i32(34, f.invokeId);
      w.i32(38, f.expiresMs).cstr(42, 102, f.title).i32(144, f.param.length);
      return w.bytes;
    }
  }
}

/** Reads the body of a frame of `kind`; throws {@link WireError}. */
export function decodeBody(
  kind: FrameKindValue,
  head: WireHead,
  body: Uint8Array,
): DecodedFrame {
  const r = new StructReader(body, `frame ${head.cmd}/${head.cmdType}`);
  switch (kind) {
    case FrameKind.REGISTER:
      r.need(REG_MIN);
      return {
        kind,
        head,
        connectIndex: r.i8(0),
        user: r.cstr(1, 64),
        password: r.cstr(65, 128),
        addInfo: r.cstr(193, 256),
        unitId: r.i32(REG_NODE + 2),
        accessUnitId: r.i32(REG_NODE + 6),
        clientId: r.i32(REG_CLI0 + 2),
        clientType: r.i32(REG_CLI0 + 6),
      };
    case FrameKind.REGISTER_ACK:
      return { kind, head, result: r.i32(0) };
    case FrameKind.HEARTBEAT:
    case FrameKind.HEARTBEAT_ACK:
      r.need(HEARTBEAT_SIZE);
      return {
        kind,
        head,
        count: r.i64(0),
        resendCount: r.i64(8),
        timeLaunch: r.i64(16),
        timeReturn: r.i64(24),
      };
    case FrameKind.DATA:
    case FrameKind.PING:
    case FrameKind.PING_ANSWER:
    case FrameKind.LINK_OTHER:
      return { kind, head, data: body.slice() };
    case FrameKind.GLOBAL_CONNECT:
    case FrameKind.GLOBAL_CONNECT_REPLY:
      if (body.length !== GLOBAL_SIZE) {
        throw new WireError(
          "bad-length",
          `global connect body of ${body.length} bytes is not ${GLOBAL_SIZE}`,
        );
      }
      return {
        kind,
        head,
        unitId: r.i8(20),
        clientId: r.i8(21),
        clientType: r.i8(22),
        accessUnitId: r.i8(23),
        status: r.u8(24),
        addInfo: r.cstr(25, 256),
      };
    case FrameKind.CALL_FLOW:
      return {
        kind,
        head,
        project: r.cstr(1, 32),
        flow: r.cstr(33, 32),
        mode: r.u8(65),
        eventCh: r.i32(66),
        invokeId: r.i32(70),
        params: r.bytes(CALL_FLOW_TEXT, r.i32(74)),
      };
    case FrameKind.FLOW_ACK:
      return {
        kind,
        head,
        project: r.cstr(1, 32),
        invokeId: r.i32(33),
        invokerCh: r.i32(37),
        ack: r.i32(41),
        msg: r.bytes(ACK_TEXT, r.i32(45)),
      };
    case FrameKind.FLOW_RESULT:
      return {
        kind,
        head,
        project: r.cstr(1, 32),
        invokeId: r.i32(33),
        invokerCh: r.i32(37),
        param: r.bytes(RET_TEXT, r.i32(41)),
      };
    case FrameKind.NOTIFY:
      return {
        kind,
        head,
        project: r.cstr(1, 32),
        mode: r.u8(33),
        invokeId: r.i32(34),
        expiresMs: r.i32(38),
        title: r.cstr(42, 102),
        param: r.bytes(NOTIFY_TEXT, r.i32(144)),
      };
  }
}
