/**
 * The {@link PortSink} of one TCP connection: turns the bus's deliveries
 * into wire frames (`docs/wire-protocol.md`). Data keeps its own `cmd` and
 * `cmdtype` (a ping's answer is cmd 8, cmdtype 1); IPSC connections also get
 * CALL_FLOW and NOTIFY frames. A flow result with a code other than 1 has
 * no frame in the vendor's protocol: it is dropped, logged, and the caller's
 * library times the call out.
 *
 * @module
 */

import type {
  BusAddress,
  FlowInvocation,
  GlobalConnectEvent,
  HeadFields,
  NotifyMessage,
  PortSink,
} from "../bus/contract.ts";
import {
  type Frame,
  FrameKind,
  type WireHead,
  zeroHead,
} from "./wire_frames.ts";

const FLOW_RET_OK = 1;
const NODE = 1;

/** What a frame sink needs of its connection (`TcpConnection` implements it). */
export interface FrameTarget {
  /** False once the connection is closing: deliveries are then dropped. */
  isOpen(): boolean;
  /** Queue one frame to the peer. */
  sendFrame(frame: Frame): void;
  /** The connection's own bus address (known once logged in). */
  address(): BusAddress;
  /** The bus closed the connection. */
  busClosed(reason: string): void;
  /** A delivery the protocol cannot carry, for the log. */
  dropped(what: string): void;
}

function wireHead(h: HeadFields): WireHead {
  return {
    cmd: h.cmd,
    cmdType: h.cmdType,
    src: { ...h.src },
    dst: { ...h.dst },
  };
}

/** Deliveries to a client connection, as frames to `conn`. */
export class FrameSink implements PortSink {
  /** The connection the frames go to. */
  protected readonly conn: FrameTarget;

  /** A sink sending to `conn`. */
  constructor(conn: FrameTarget) {
    this.conn = conn;
  }

  data(head: HeadFields, data: Uint8Array): void {
    if (this.conn.isOpen()) {
      this.conn.sendFrame({ kind: FrameKind.DATA, head: wireHead(head), data });
    }
  }

  flowAck(
    head: HeadFields,
    invokeId: number,
    project: Uint8Array,
    ack: number,
    msg: Uint8Array,
  ): void {
    if (!this.conn.isOpen()) return;
    this.conn.sendFrame({
      kind: FrameKind.FLOW_ACK,
      head: wireHead(head),
      invokeId,
      invokerCh: -1,
      ack,
      project,
      msg,
    });
  }

  flowResult(
    head: HeadFields,
    invokeId: number,
    project: Uint8Array,
    ret: number,
    param: Uint8Array,
  ): void {
    if (!this.conn.isOpen()) return;
    if (ret !== FLOW_RET_OK) {
      return this.conn.dropped(
        `flow result ${ret} of invoke id ${invokeId} (the protocol carries none but 1)`,
      );
    }
    this.conn.sendFrame({
      kind: FrameKind.FLOW_RESULT,
      head: wireHead(head),
      invokeId,
      invokerCh: -1,
      project,
      param,
    });
  }

  globalConnect(e: GlobalConnectEvent): void {
    if (this.conn.isOpen()) {
      // From the node the event is about, to this client.
      const src = { unitId: e.accessUnitId, clientId: -1, clientType: NODE };
      const head = { ...zeroHead(), src, dst: { ...this.conn.address() } };
      this.conn.sendFrame({ kind: FrameKind.GLOBAL_CONNECT, head, ...e });
    }
  }

  closed(reason: string): void {
    if (this.conn.isOpen()) this.conn.busClosed(reason);
  }
}

/** Deliveries to an IPSC connection: also flow invocations and notifications. */
export class IpscFrameSink extends FrameSink {
  invokeFlow(inv: FlowInvocation): void {
    if (!this.conn.isOpen()) return;
    const me = this.conn.address();
    this.conn.sendFrame({
      kind: FrameKind.CALL_FLOW,
      head: { ...zeroHead(), src: { ...inv.from }, dst: { ...me } },
      invokeId: inv.invokeId,
      eventCh: -1,
      mode: inv.mode,
      project: inv.projectId,
      flow: inv.flowId,
      params: inv.params,
    });
  }

  notify(m: NotifyMessage): void {
    if (!this.conn.isOpen()) return;
    const me = this.conn.address();
    this.conn.sendFrame({
      kind: FrameKind.NOTIFY,
      head: { ...zeroHead(), src: { ...m.from }, dst: { ...me } },
      invokeId: m.invokeId,
      mode: m.mode,
      expiresMs: m.expiresMs,
      project: m.projectId,
      title: m.title,
      param: m.param,
    });
  }
}
