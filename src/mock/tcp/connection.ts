/**
 * One accepted TCP connection of the mock bus's TCP front: decodes the
 * client's frames, attaches to the bus on REGISTER, answers heartbeats, and
 * turns the bus's deliveries into frames (see `docs/wire-protocol.md`).
 *
 * @module
 */

import type { Socket } from "node:net";
import type { BusAddress, BusPort } from "../bus/contract.ts";
import type { MockBus } from "../mock_bus.ts";
import {
  type DecodedFrame,
  encodeFrame,
  type Frame,
  FrameDecoder,
  FrameKind,
  type WireHead,
  zeroHead,
} from "./wire.ts";
import { WireError } from "./wire_fields.ts";
import { FrameSink, type FrameTarget, IpscFrameSink } from "./sink.ts";

/**
 * Where the TCP front writes its log lines.
 *
 * @example
 * ```ts
 * import type { TcpLogger } from "@smartbus/netclient/mock";
 * const quiet: TcpLogger = { info() {}, warn() {} };
 * ```
 */
export interface TcpLogger {
  /** Routine events: logins, refused logins, connections ending. */
  info(message: string): void;
  /** A connection closed by the front: bad frame, missed heartbeats, slow reader. */
  warn(message: string): void;
}

/** Settings shared by every connection of one front. */
export interface ConnSettings {
  /** The bus to attach to. */
  bus: Pick<MockBus, "attach">;
  /** The node address given to `bus.attach`. */
  node: { unitId: number; host: string; port: number };
  /** Where log lines go. */
  logger: TcpLogger;
  /** A client silent for 3 of these is dropped (the library's own heartbeat is 1 s). */
  heartbeatMs: number;
  /** Largest payload accepted or sent. */
  frameLimit: number;
  /** Unsent bytes before the connection is dropped. */
  maxQueuedBytes: number;
  /** Time to complete REGISTER after the connection opened, ms. */
  loginTimeoutMs: number;
  /** No flow acknowledge or result goes out sooner after its call, ms. */
  flowAnswerMinMs: number;
}

const IPSC = 2;
const NODE = 1;
/** The login refusal of a node that is down or cut off: it answers nothing. */
const UNREACHABLE = -20;
const FLOW_RET_OK = 1;
const text = new TextEncoder();
const utf8 = new TextDecoder();
/** An empty user or password field means none (the library sends "" for NULL). */
const credential = (b: Uint8Array): string | null =>
  b.length === 0 ? null : utf8.decode(b);

/**
 * Head address bytes are signed (C `char`), but a network client's local
 * client id is 0–255: read it unsigned for unit ids 16–47 so that ids above
 * 127 route like the others. Node addresses keep -1 (the node itself).
 */
function busAddress(a: BusAddress): BusAddress {
  const client = a.unitId >= 16 ? a.clientId & 0xff : a.clientId;
  return { unitId: a.unitId, clientId: client, clientType: a.clientType };
}

/**
 * The state of one connection. Never throws out of socket handlers: every
 * failure closes this connection only, with a logged reason.
 */
export class TcpConnection implements FrameTarget {
  readonly #s: ConnSettings;
  readonly #socket: Socket;
  readonly #decoder: FrameDecoder;
  readonly #peer: string;
  #port: BusPort | null = null;
  #address: BusAddress | null = null;
  #closed = false;
  #lastRx = Date.now();
  #loginTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #onGone: (c: TcpConnection) => void;
  /** When each recent call of this client arrived (invoke id → ms). */
  readonly #callArrivals = new Map<number, number>();
  /** Frames held, in order, behind an answer that must wait (see `sendFrame`). */
  #held: Uint8Array[] | null = null;

  /** Takes over `socket`; `onGone` runs once when the connection ends. */
  constructor(
    settings: ConnSettings,
    socket: Socket,
    onGone: (c: TcpConnection) => void,
  ) {
    this.#s = settings;
    this.#socket = socket;
    this.#onGone = onGone;
    this.#peer =
      `${socket.remoteAddress}:${socket.remotePort} on node ${settings.node.unitId}`;
    this.#decoder = new FrameDecoder({
      role: "bus",
      frameLimit: settings.frameLimit,
    });
    socket.setNoDelay(true);
    socket.on("data", (chunk: Uint8Array) => this.#onData(chunk));
    socket.on("error", (e: Error) => this.#gone(`socket error: ${e.message}`));
    socket.on("close", () => this.#gone("closed by the peer"));
    // Every byte resets the silence timer, not this one: a registration
    // trickled in a byte at a time cannot hold a connection open.
    const ms = settings.loginTimeoutMs;
    this.#loginTimer = setTimeout(
      () => this.fail(`no registration within ${ms} ms`),
      ms,
    );
    (this.#loginTimer as unknown as { unref?: () => void }).unref?.();
  }

  /** Called by the front's timer: drops a client silent for 3 intervals. */
  tick(now: number): void {
    if (this.#closed) return;
    if (now - this.#lastRx > this.#s.heartbeatMs * 3) {
      this.fail(this.#port ? "heartbeats missed" : "no registration in time");
    }
  }

  /** Closes this connection with a logged reason (the protocol has no close frame). */
  fail(reason: string): void {
    if (this.#closed) return;
    this.#s.logger.warn(
      `tcp front: closing connection from ${this.#peer}: ${reason}`,
    );
    this.#shutdown(true);
  }

  /** Closes at once (front shutdown). */
  destroy(): void {
    this.#shutdown(true);
    this.#socket.destroy();
  }

  #shutdown(detach: boolean): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#loginTimer);
    if (detach) this.#port?.detach();
    this.#port = null;
    // Read nothing more: a peer that goes on sending after a protocol error
    // fills the kernel's buffers, not this process's memory.
    this.#socket.pause();
    this.#socket.removeAllListeners("data");
    this.#socket.end();
    // A peer that never closes its side must not keep the socket forever.
    const t = setTimeout(() => this.#socket.destroy(), 2000);
    (t as unknown as { unref?: () => void }).unref?.();
    this.#onGone(this);
  }

  #gone(why: string): void {
    if (this.#closed) return;
    this.#s.logger.info(
      `tcp front: connection from ${this.#peer} ended: ${why}`,
    );
    this.#shutdown(true);
    this.#socket.destroy();
  }

  /** Whether it still takes deliveries (not closing). */
  isOpen(): boolean {
    return !this.#closed;
  }

  /** Its bus address (once logged in). */
  address(): BusAddress {
    return this.#address as BusAddress;
  }

  /** Logs a delivery the protocol cannot carry. */
  dropped(what: string): void {
    this.#s.logger.info(`tcp front: to ${this.#peer}: dropped ${what}`);
  }

  /**
   * Queue `frame` to the peer (dropped, logged, when it cannot be encoded).
   * The vendor's library records a flow call only after it has sent it, and
   * drops an acknowledge or result that comes back before (seen under load:
   * the call then times out). So an answer waits until `flowAnswerMinMs`
   * after its call arrived, and later frames wait behind it, in order.
   */
  sendFrame(frame: Frame): void {
    if (this.#socket.destroyed || this.#socket.writableEnded) return;
    let bytes: Uint8Array;
    try {
      bytes = encodeFrame(frame, this.#s.frameLimit);
    } catch (e) {
      this.dropped(`a frame of kind ${frame.kind}: ${String(e)}`);
      return;
    }
    if (this.#held) {
      this.#held.push(bytes);
      return;
    }
    if (
      frame.kind === FrameKind.FLOW_ACK || frame.kind === FrameKind.FLOW_RESULT
    ) {
      const at = this.#callArrivals.get(frame.invokeId);
      const wait = at === undefined
        ? 0
        : at + this.#s.flowAnswerMinMs - performance.now();
      if (wait > 0) {
        this.#held = [bytes];
        const t = setTimeout(() => this.#release(), Math.ceil(wait));
        (t as unknown as { unref?: () => void }).unref?.();
        return;
      }
    }
    this.#write(bytes);
  }

  #release(): void {
    const held = this.#held ?? [];
    this.#held = null;
    for (const bytes of held) {
      if (this.#socket.destroyed || this.#socket.writableEnded) return;
      this.#write(bytes);
    }
  }

  #write(bytes: Uint8Array): void {
    this.#socket.write(bytes);
    if (this.#socket.writableLength > this.#s.maxQueuedBytes) {
      this.#s.logger.warn(
        `tcp front: dropping connection from ${this.#peer}: ${this.#socket.writableLength} bytes unsent (slow reader)`,
      );
      this.#shutdown(true);
      this.#socket.destroy();
    }
  }

  #onData(chunk: Uint8Array): void {
    if (this.#closed) return;
    this.#lastRx = Date.now();
    try {
      for (const f of this.#decoder.push(chunk)) {
        if (this.#closed) return;
        this.#onFrame(f);
      }
    } catch (e) {
      if (e instanceof WireError) this.fail(`${e.reason}: ${e.message}`);
      else {
        this.fail(
          `internal error: ${e instanceof Error ? e.message : String(e)}`,
        );
      }
    }
  }

  /** Remember when call `invokeId` arrived; the last 1,024 calls are kept. */
  #noteCall(invokeId: number): void {
    const calls = this.#callArrivals;
    calls.delete(invokeId);
    calls.set(invokeId, performance.now());
    if (calls.size > 1024) calls.delete(calls.keys().next().value as number);
  }

  /** The head of a frame from this node to this client. */
  #nodeHead(): WireHead {
    const node = {
      unitId: this.#s.node.unitId,
      clientId: -1,
      clientType: NODE,
    };
    const dst = this.#address ? { ...this.#address } : zeroHead().dst;
    return { ...zeroHead(), src: node, dst };
  }

  #onFrame(f: DecodedFrame): void {
    if (f.kind === FrameKind.REGISTER) return this.#register(f);
    const port = this.#port;
    if (!port) return;
    let code = 0;
    switch (f.kind) {
      case FrameKind.HEARTBEAT:
        this.sendFrame({
          kind: FrameKind.HEARTBEAT_ACK,
          head: this.#nodeHead(),
          count: f.count,
          resendCount: f.resendCount,
          timeLaunch: f.timeLaunch,
          timeReturn: Math.floor(Date.now() / 1000),
        });
        return;
      case FrameKind.DATA:
      case FrameKind.PING_ANSWER:
        code = port.send(
          f.head.cmd,
          f.head.cmdType,
          busAddress(f.head.dst),
          f.data,
        );
        break;
      case FrameKind.PING:
        code = port.ping(busAddress(f.head.dst), f.data);
        break;
      case FrameKind.CALL_FLOW: {
        const { invokeId, mode } = f;
        this.#noteCall(invokeId);
        const server = busAddress(f.head.dst);
        code = port.invokeFlow(server.unitId, server.clientId, {
          invokeId,
          projectId: f.project,
          flowId: f.flow,
          mode,
          // Not on the wire: the caller's library times the call itself.
          timeoutMs: 0,
          params: f.params,
        });
        if (code < 0 && mode === 0) {
          this.#refuseFlow(server, invokeId, f.project, code);
        }
        break;
      }
      case FrameKind.NOTIFY: {
        const server = busAddress(f.head.dst);
        code = port.notify(server.unitId, server.clientId, {
          invokeId: f.invokeId,
          projectId: f.project,
          title: f.title,
          mode: f.mode,
          expiresMs: f.expiresMs,
          param: f.param,
        });
        break;
      }
      case FrameKind.FLOW_ACK:
        code = port.flowAck(
          busAddress(f.head.dst),
          f.invokeId,
          f.project,
          f.ack,
          f.msg,
        );
        break;
      case FrameKind.FLOW_RESULT:
        code = port.flowResult(
          busAddress(f.head.dst),
          f.invokeId,
          f.project,
          FLOW_RET_OK,
          f.param,
        );
        break;
      // Replies to global connect events, and link-level commands nobody
      // defined: the bus tells joiners itself, the rest means nothing.
      default:
        return;
    }
    if (code < 0) {
      this.#s.logger.info(
        `tcp front: frame ${f.head.cmd}/${f.head.cmdType} from ${this.#peer} refused by the bus: ${code}`,
      );
    }
  }

  /**
   * The bus refused an invocation that wants a result: the protocol's
   * result frame carries no code, so the refusal goes in an acknowledge.
   */
  #refuseFlow(
    server: BusAddress,
    invokeId: number,
    project: Uint8Array,
    code: number,
  ): void {
    const head = zeroHead();
    head.src = { ...server, clientType: IPSC };
    head.dst = { ...(this.#address as BusAddress) };
    this.sendFrame({
      kind: FrameKind.FLOW_ACK,
      head,
      invokeId,
      invokerCh: -1,
      ack: code,
      project,
      msg: text.encode(
        `no IPSC ${server.unitId}/${server.clientId} on the bus (${code})`,
      ),
    });
  }

  #register(f: Extract<DecodedFrame, { kind: 1 }>): void {
    const address = {
      unitId: f.unitId,
      clientId: f.clientId,
      clientType: f.clientType,
    };
    const request = {
      address,
      user: credential(f.user),
      password: credential(f.password),
      addInfo: f.addInfo,
    };
    const { node } = this.#s;
    const sink = address.clientType === IPSC
      ? new IpscFrameSink(this)
      : new FrameSink(this);
    this.#address = address;
    const res = this.#s.bus.attach(node.host, node.port, request, sink);
    if (!res.ok) {
      this.#s.logger.info(
        `tcp front: registration from ${this.#peer} refused (${res.code}): ${res.reason}`,
      );
      // A node that is down answers nothing; a refusal is final for the
      // vendor's library except -10, which it retries every 2 s.
      if (res.code !== UNREACHABLE) {
        this.sendFrame({
          kind: FrameKind.REGISTER_ACK,
          head: this.#nodeHead(),
          result: res.code,
        });
      }
      this.#shutdown(false);
      return;
    }
    this.#port = res.port;
    clearTimeout(this.#loginTimer);
    this.#s.logger.info(
      `tcp front: ${address.unitId}/${address.clientId}/${address.clientType} registered from ${this.#peer}`,
    );
    this.sendFrame({
      kind: FrameKind.REGISTER_ACK,
      head: this.#nodeHead(),
      result: 0,
    });
  }

  /** The bus closed this connection (node stop, kick, reset). */
  busClosed(reason: string): void {
    this.#s.logger.info(`tcp front: bus closed ${this.#peer}: ${reason}`);
    this.#port = null;
    this.#shutdown(false);
  }
}
