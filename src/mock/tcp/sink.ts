/**
 * The {@link PortSink} of one TCP connection: turns the bus's deliveries
 * into wire frames (`docs/wire-protocol.md`).
 *
 * @example
 * ```ts
 * import { frameSink } from "./sink.ts";
 * const sink = frameSink({
 *   ipsc: false,
 *   live: () => true,
 *   send: (frame) => console.log(frame.kind),
 *   address: () => ({ unitId: 20, clientId: 1, clientType: 4 }),
 *   closed: (why) => console.log(why),
 * });
 * sink.globalConnect({ unitId: 0, clientId: -1, clientType: 1, accessUnitId: 0, status: 1, addInfo: new Uint8Array() });
 * ```
 * @module
 */

import type { BusAddress, HeadFields, PortSink } from "../bus/port.ts";
import {
  type Frame,
  FrameKind,
  type WireHead,
  zeroHead,
} from "./wire_frames.ts";

const PING_ACK = 8;

/** What a connection offers its sink. */
export interface SinkTarget {
  /** IPSC connections also get flow invocations and notifications. */
  ipsc: boolean;
  /** False once the connection is closing: deliveries are then dropped. */
  live(): boolean;
  /** Queue one frame to the peer. */
  send(frame: Frame): void;
  /** The connection's own bus address (known once logged in). */
  address(): BusAddress;
  /** The bus closed the connection. */
  closed(reason: string): void;
}

function wireHead(h: HeadFields): WireHead {
  return {
    cmd: h.cmd,
    cmdType: h.cmdType,
    src: { ...h.src },
    dst: { ...h.dst },
  };
}

/**
 * A sink that sends each delivery to `t` as a frame. A ping's answer (data
 * with cmdtype 8) becomes PING_ANSWER.
 *
 * @example
 * ```ts
 * import { frameSink } from "./sink.ts";
 * const frames: unknown[] = [];
 * const me = { unitId: 20, clientId: 1, clientType: 4 };
 * const sink = frameSink({ ipsc: false, live: () => true, send: (f) => frames.push(f), address: () => me, closed() {} });
 * sink.closed("bye");
 * ```
 */
export function frameSink(t: SinkTarget): PortSink {
  const sink: PortSink = {
    data: (head, data) => {
      const kind = head.cmdType === PING_ACK
        ? FrameKind.PING_ANSWER
        : FrameKind.DATA;
      if (t.live()) t.send({ kind, head: wireHead(head), data });
    },
    flowAck: (head, invokeId, project, ack, msg) => {
      if (t.live()) {
        t.send({
          kind: FrameKind.FLOW_ACK,
          head: wireHead(head),
          invokeId,
          ack,
          project,
          msg,
        });
      }
    },
    flowResult: (head, invokeId, project, ret, param) => {
      if (t.live()) {
        t.send({
          kind: FrameKind.FLOW_RESULT,
          head: wireHead(head),
          invokeId,
          ret,
          project,
          param,
        });
      }
    },
    globalConnect: (e) => {
      if (t.live()) t.send({ kind: FrameKind.GLOBAL_CONNECT, ...e });
    },
    closed: (reason) => {
      if (t.live()) t.closed(reason);
    },
  };
  if (!t.ipsc) return sink;
  sink.invokeFlow = (inv) => {
    if (!t.live()) return;
    const me = t.address();
    t.send({
      kind: FrameKind.FLOW_INVOKE,
      head: { ...zeroHead(), src: { ...inv.from }, dst: { ...me } },
      invokeId: inv.invokeId,
      serverUnit: me.unitId,
      ipscIndex: me.clientId,
      mode: inv.mode,
      timeoutMs: inv.timeoutMs,
      project: inv.projectId,
      flow: inv.flowId,
      params: inv.params,
    });
  };
  sink.notify = (m) => {
    if (!t.live()) return;
    const me = t.address();
    t.send({
      kind: FrameKind.NOTIFY,
      head: { ...zeroHead(), src: { ...m.from }, dst: { ...me } },
      invokeId: m.invokeId,
      serverUnit: me.unitId,
      processIndex: me.clientId,
      mode: m.mode,
      expiresMs: m.expiresMs,
      project: m.projectId,
      title: m.title,
      param: m.param,
    });
  };
  return sink;
}
