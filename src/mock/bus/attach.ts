/**
 * Logging a connection in to a mock bus node, and the {@link BusPort} it
 * then holds: every call of the port is checked (still open, not to
 * itself) and handed to the routing of messages, notifications or flow
 * calls. Internal to the bus.
 *
 * @example
 * ```ts
 * import { MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 }); // clients attach at 127.0.0.1:8000
 * ```
 * @module
 */
import {
  ClientType,
  CmdType,
  ErrorCode,
  SystemCmd,
} from "../../abi/constants.ts";
import type { BusContext, NodeState } from "./bus_context.ts";
import type { Conn } from "./connections.ts";
import type {
  AttachRequest,
  AttachResult,
  BusAddress,
  BusPort,
  PortSink,
} from "./contract.ts";
import { formatAddress } from "./address.ts";
import { loginRefusal } from "./login.ts";

/** `"localhost"` and `"127.0.0.1"` name the same host. */
export const normHost = (h: string): string =>
  h === "localhost" ? "127.0.0.1" : h;

/** The node listening on `host:port` (host already normalised). */
export function nodeAt(
  ctx: BusContext,
  host: string,
  port: number,
): NodeState | undefined {
  for (const n of ctx.nodes.values()) {
    if (n.host === host && n.port === port) return n;
  }
  return undefined;
}

/** Log in a connection at the node `host:port` (see `MockBus` for the codes). */
export function attach(
  ctx: BusContext,
  host: string,
  port: number,
  request: AttachRequest,
  sink: PortSink,
): AttachResult {
  const node = nodeAt(ctx, normHost(host), port);
  const who = formatAddress(request.address);
  const fail = (code: number, reason: string): AttachResult => {
    ctx.log(`login of ${who} at ${host}:${port} refused: ${reason}`);
    return { ok: false, code, reason };
  };
  if (!node) return fail(ErrorCode.ESTABLI_CONNECT, "no node there");
  if (ctx.faults.clientCut(request.address, node.unitId)) {
    return fail(ErrorCode.ESTABLI_CONNECT, "its link to the node is cut");
  }
  const refusal = loginRefusal(node, request, ctx.conns.links());
  if (refusal) return fail(refusal.code, refusal.reason);
  const conn = ctx.conns.join(node, request, sink, ctx.clock.now());
  ctx.log(`${who} logged in at node ${node.unitId}`);
  return { ok: true, port: new ConnPort(ctx, conn) };
}

/** The port of one attached connection. */
class ConnPort implements BusPort {
  readonly accessUnitId: number;
  #ctx: BusContext;
  #conn: Conn;

  constructor(ctx: BusContext, conn: Conn) {
    this.#ctx = ctx;
    this.#conn = conn;
    this.accessUnitId = conn.node.unitId;
  }

  send(
    cmd: number,
    cmdType: number,
    dst: BusAddress,
    data: Uint8Array,
  ): number {
    const rc = this.#refusal(dst);
    if (rc !== undefined) return rc;
    const conn = this.#conn;
    this.#ctx.messages.send("data", cmd, cmdType, conn, dst, data, undefined);
    return ErrorCode.OK;
  }

  ping(dst: BusAddress, data: Uint8Array): number {
    const rc = this.#refusal(dst);
    if (rc !== undefined) return rc;
    // The target's library answers; its app never sees the ping.
    const conn = this.#conn;
    this.#ctx.messages.send(
      "ping",
      SystemCmd.PING,
      CmdType.SYSTEM,
      conn,
      dst,
      data,
      conn,
    );
    return ErrorCode.OK;
  }

  invokeFlow(
    serverUnitId: number,
    ipscIndex: number,
    inv: Parameters<BusPort["invokeFlow"]>[2],
  ): number {
    const rc = this.#refusal();
    if (rc !== undefined) return rc;
    const server = {
      unitId: serverUnitId,
      clientId: ipscIndex,
      clientType: ClientType.IPSC,
    };
    this.#ctx.flows.invoke(this.#conn, server, inv);
    return ErrorCode.OK;
  }

  notify(
    serverUnitId: number,
    processIndex: number,
    msg: Parameters<BusPort["notify"]>[2],
  ): number {
    const rc = this.#refusal();
    if (rc !== undefined) return rc;
    const me = this.#conn.address;
    this.#ctx.notifications.send(me, serverUnitId, processIndex, msg);
    return ErrorCode.OK;
  }

  flowAck(
    to: BusAddress,
    invokeId: number,
    projectId: Uint8Array,
    ack: number,
    msg: Uint8Array,
  ): number {
    const rc = this.#refusal();
    if (rc !== undefined) return rc;
    const me = this.#conn.address;
    this.#ctx.flows.ack(me, to, invokeId, projectId, ack, msg);
    return ErrorCode.OK;
  }

  flowResult(
    to: BusAddress,
    invokeId: number,
    projectId: Uint8Array,
    ret: number,
    param: Uint8Array,
  ): number {
    const rc = this.#refusal();
    if (rc !== undefined) return rc;
    const me = this.#conn.address;
    this.#ctx.flows.result(me, to, invokeId, projectId, ret, param);
    return ErrorCode.OK;
  }

  detach(): void {
    if (this.#conn.open) this.#ctx.conns.leave(this.#conn);
  }

  /** Why a call of this port is refused now (undefined: it is not). */
  #refusal(dst?: BusAddress): number | undefined {
    const conn = this.#conn;
    if (!conn.open) return ErrorCode.CONN_NOT_ESTAB;
    const me = conn.address;
    if (dst && dst.unitId === me.unitId && dst.clientId === me.clientId) {
      return ErrorCode.SEND_OWN;
    }
    return undefined;
  }
}
