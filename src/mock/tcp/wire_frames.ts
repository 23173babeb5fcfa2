/**
 * Frame kinds, frame shapes and payload codecs of the mock bus wire protocol
 * (`docs/wire-protocol.md`). The framing (head, decoder) is in `wire.ts`.
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

import type { BusAddress } from "../bus/contract.ts";
import {
  type PayloadReader,
  type PayloadWriter,
  WireError,
} from "./wire_fields.ts";

/**
 * Frame kinds (`reserved[0]` of the head).
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
export const FrameKind = {
  LOGIN: 1,
  LOGIN_ANSWER: 2,
  DATA: 3,
  PING: 4,
  PING_ANSWER: 5,
  FLOW_INVOKE: 6,
  FLOW_ACK: 7,
  FLOW_RESULT: 8,
  NOTIFY: 9,
  GLOBAL_CONNECT: 10,
  HEARTBEAT: 11,
  CLOSE: 12,
} as const;
/** One of the {@link FrameKind} values. */
export type FrameKindValue = typeof FrameKind[keyof typeof FrameKind];

/** The addressing part of a wire head. */
export interface WireHead {
  /** `cmd` (DATA: the user's command; otherwise 0). */
  cmd: number;
  /** `cmdtype` (DATA: the user's; PING_ANSWER: 8; otherwise 0). */
  cmdType: number;
  /** Source address (signed 8-bit fields on the wire). */
  src: BusAddress;
  /** Destination address (signed 8-bit fields on the wire). */
  dst: BusAddress;
}

/** Every frame, by kind; `head` defaults to zeros when encoding. */
export type Frame =
  | {
    kind: typeof FrameKind.LOGIN;
    head?: WireHead;
    clientId: number;
    clientType: number;
    unitId: number;
    user: Uint8Array | null;
    password: Uint8Array | null;
    addInfo: Uint8Array;
  }
  | {
    kind: typeof FrameKind.LOGIN_ANSWER;
    head?: WireHead;
    result: number;
    heartbeatMs: number;
    reason: Uint8Array;
  }
  | {
    kind:
      | typeof FrameKind.DATA
      | typeof FrameKind.PING
      | typeof FrameKind.PING_ANSWER;
    head?: WireHead;
    data: Uint8Array;
  }
  | {
    kind: typeof FrameKind.FLOW_INVOKE;
    head?: WireHead;
    invokeId: number;
    serverUnit: number;
    ipscIndex: number;
    mode: number;
    timeoutMs: number;
    project: Uint8Array;
    flow: Uint8Array;
    params: Uint8Array;
  }
  | {
    kind: typeof FrameKind.FLOW_ACK;
    head?: WireHead;
    invokeId: number;
    ack: number;
    project: Uint8Array;
    msg: Uint8Array;
  }
  | {
    kind: typeof FrameKind.FLOW_RESULT;
    head?: WireHead;
    invokeId: number;
    ret: number;
    project: Uint8Array;
    param: Uint8Array;
  }
  | {
    kind: typeof FrameKind.NOTIFY;
    head?: WireHead;
    invokeId: number;
    serverUnit: number;
    processIndex: number;
    mode: number;
    expiresMs: number;
    project: Uint8Array;
    title: Uint8Array;
    param: Uint8Array;
  }
  | {
    kind: typeof FrameKind.GLOBAL_CONNECT;
    head?: WireHead;
    unitId: number;
    clientId: number;
    clientType: number;
    accessUnitId: number;
    status: number;
    addInfo: Uint8Array;
  }
  | { kind: typeof FrameKind.HEARTBEAT; head?: WireHead }
  | {
    kind: typeof FrameKind.CLOSE;
    head?: WireHead;
    code: number;
    reason: Uint8Array;
  };

/** A decoded frame: like {@link Frame} but `head` is always present. */
export type DecodedFrame = Frame & { head: WireHead };

const ZERO: BusAddress = { unitId: 0, clientId: 0, clientType: 0 };
/** A head of zeros, for frames whose head carries nothing. */
export function zeroHead(): WireHead {
  return { cmd: 0, cmdType: 0, src: { ...ZERO }, dst: { ...ZERO } };
}

/** Writes the payload fields of `f` (everything but the head). */
export function encodePayload(f: Frame, w: PayloadWriter): void {
  switch (f.kind) {
    case FrameKind.LOGIN:
      w.u8(f.clientId).i32(f.clientType).i32(f.unitId);
      w.str(f.user, true).str(f.password, true).str(f.addInfo);
      return;
    case FrameKind.LOGIN_ANSWER:
      w.i32(f.result).i32(f.heartbeatMs).str(f.reason);
      return;
    case FrameKind.DATA:
    case FrameKind.PING:
    case FrameKind.PING_ANSWER:
      w.rest(f.data);
      return;
    case FrameKind.FLOW_INVOKE:
      w.i32(f.invokeId).i32(f.serverUnit).i32(f.ipscIndex).i32(f.mode);
      w.i32(f.timeoutMs).str(f.project).str(f.flow).str(f.params);
      return;
    case FrameKind.FLOW_ACK:
      w.i32(f.invokeId).i32(f.ack).str(f.project).str(f.msg);
      return;
    case FrameKind.FLOW_RESULT:
      w.i32(f.invokeId).i32(f.ret).str(f.project).str(f.param);
      return;
    case FrameKind.NOTIFY:
      w.i32(f.invokeId).i32(f.serverUnit).i32(f.processIndex).i32(f.mode);
      w.i32(f.expiresMs).str(f.project).str(f.title).str(f.param);
      return;
    case FrameKind.GLOBAL_CONNECT:
      w.i8(f.unitId).i8(f.clientId).i8(f.clientType).i8(f.accessUnitId);
      w.u8(f.status).str(f.addInfo);
      return;
    case FrameKind.HEARTBEAT:
      return;
    case FrameKind.CLOSE:
      w.i32(f.code).str(f.reason);
      return;
  }
}

/** Reads the payload fields of a frame of `kind`; throws {@link WireError}. */
export function decodePayload(
  kind: number,
  head: WireHead,
  r: PayloadReader,
): DecodedFrame {
  switch (kind) {
    case FrameKind.LOGIN:
      return {
        kind,
        head,
        clientId: r.u8(),
        clientType: r.i32(),
        unitId: r.i32(),
        user: r.str(true),
        password: r.str(true),
        addInfo: r.str(),
      };
    case FrameKind.LOGIN_ANSWER:
      return {
        kind,
        head,
        result: r.i32(),
        heartbeatMs: r.i32(),
        reason: r.str(),
      };
    case FrameKind.DATA:
    case FrameKind.PING:
    case FrameKind.PING_ANSWER:
      return { kind, head, data: r.rest() };
    case FrameKind.FLOW_INVOKE:
      return {
        kind,
        head,
        invokeId: r.i32(),
        serverUnit: r.i32(),
        ipscIndex: r.i32(),
        mode: r.i32(),
        timeoutMs: r.i32(),
        project: r.str(),
        flow: r.str(),
        params: r.str(),
      };
    case FrameKind.FLOW_ACK:
      return {
        kind,
        head,
        invokeId: r.i32(),
        ack: r.i32(),
        project: r.str(),
        msg: r.str(),
      };
    case FrameKind.FLOW_RESULT:
      return {
        kind,
        head,
        invokeId: r.i32(),
        ret: r.i32(),
        project: r.str(),
        param: r.str(),
      };
    case FrameKind.NOTIFY:
      return {
        kind,
        head,
        invokeId: r.i32(),
        serverUnit: r.i32(),
        processIndex: r.i32(),
        mode: r.i32(),
        expiresMs: r.i32(),
        project: r.str(),
        title: r.str(),
        param: r.str(),
      };
    case FrameKind.GLOBAL_CONNECT:
      return {
        kind,
        head,
        unitId: r.i8(),
        clientId: r.i8(),
        clientType: r.i8(),
        accessUnitId: r.i8(),
        status: r.u8(),
        addInfo: r.str(),
      };
    case FrameKind.HEARTBEAT:
      return { kind, head };
    case FrameKind.CLOSE:
      return { kind, head, code: r.i32(), reason: r.str() };
  }
  throw new WireError("unknown-kind", `unknown frame kind ${kind}`);
}
