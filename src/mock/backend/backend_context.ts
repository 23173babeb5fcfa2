/**
 * The one internal context of a mock backend: the bus it plays the library
 * on, the unit id, the installed callbacks, the awaited flow calls, and how
 * it raises callbacks and trace lines. `MockBackend` and each of its
 * clients share it. Internal to the mock backend.
 *
 * @module
 */
import { ErrorCode } from "../../abi/constants.ts";
import { encodePacketHead, packetHeadSize } from "../../abi/packinfo.ts";
import type { BackendCallbacks } from "../../abi/backend.ts";
import { type Clock, unrefTimer } from "../bus/clock.ts";
import type { AttachResult, HeadFields } from "../bus/contract.ts";
import type { MockBus } from "../mock_bus.ts";
import { FlowTimers, type PendingFlow } from "./flows.ts";

const encoder = new TextEncoder();
const utf8 = (s: string): Uint8Array => encoder.encode(s);

/** The state of one mock backend (see the module doc). */
export class BackendContext {
  /** The bus its clients attach to. */
  readonly bus: Pick<
    MockBus,
    "attach" | "clock" | "logCapture" | "strict" | "nodes"
  >;
  /** The bus clock. */
  readonly clock: Clock;
  /** `sizeof(long)` of the heads handed to callbacks. */
  readonly longSize: 4 | 8;
  /** Wait between reconnect rounds, ms. */
  readonly reconnectMs: number;
  /** The unit id given to `init` (null before, and after `release`). */
  unitId: number | null = null;
  /** Set by `close()`: nothing is raised afterwards. */
  closed = false;
  /** The installed callbacks. */
  callbacks: BackendCallbacks | null = null;
  /** Awaited flow calls (mode 0) and their deadlines. */
  readonly flows: FlowTimers;

  /** The context of a backend on `bus`. */
  constructor(
    bus: Pick<MockBus, "attach" | "clock" | "logCapture" | "strict" | "nodes">,
    longSize: 4 | 8,
    reconnectMs: number,
  ) {
    this.bus = bus;
    this.clock = bus.clock;
    this.longSize = longSize;
    this.reconnectMs = reconnectMs;
    this.flows = new FlowTimers(
      bus.clock,
      (f) => this.#timedOut(f),
      (f) => this.#ackTimedOut(f),
    );
  }

  /** Log in at `host:port` for a client (see `MockBus.attach`). */
  attach(
    host: string,
    port: number,
    request: Parameters<MockBus["attach"]>[2],
    sink: Parameters<MockBus["attach"]>[3],
  ): AttachResult {
    return this.bus.attach(host, port, request, sink);
  }

  /** Call a callback unless closed; one that throws is traced, not thrown. */
  raise(fn: (cb: BackendCallbacks) => void): void {
    const cb = this.callbacks;
    if (cb === null || this.closed) return;
    try {
      fn(cb);
    } catch (e) {
      // The API guards its callbacks; this only keeps the mock's state sane.
      try {
        cb.traceError(utf8(`mock backend: a callback threw: ${e}`));
      } catch { /* nothing left to tell */ }
    }
  }

  /** A trace line (info, or error when `error`). */
  trace(line: string, error = false): void {
    this.raise((cb) => (error ? cb.traceError : cb.traceInfo)(utf8(line)));
  }

  /** The head bytes of a delivered head, counted with our `sizeof(long)`. */
  head(h: HeadFields): Uint8Array {
    return encodePacketHead({
      cmd: h.cmd,
      cmdType: h.cmdType,
      srcUnitClientType: h.src.clientType,
      srcUnitId: h.src.unitId,
      srcUnitClientId: h.src.clientId,
      dstUnitClientType: h.dst.clientType,
      dstUnitId: h.dst.unitId,
      dstUnitClientId: h.dst.clientId,
      // The bus may count another head size: recount with ours.
      packetSize: packetHeadSize(this.longSize) + h.dataLen,
      dataLen: h.dataLen,
    }, this.longSize);
  }

  /** A flow result arrived for a client: raised if in time, else dropped. */
  flowResult(
    localClientId: number,
    head: HeadFields,
    invokeId: number,
    projectId: Uint8Array,
    ret: number,
    param: Uint8Array,
  ): void {
    if (!this.flows.settle(invokeId, localClientId)) {
      this.trace(
        `client ${localClientId}: dropped a late or unknown flow result, invoke id ${invokeId}`,
      );
      return;
    }
    const h = this.head(head);
    this.raise((cb) =>
      cb.invokeFlowRet(localClientId, h, projectId, invokeId, ret, param)
    );
  }

  /** A reconnect timer on the bus clock that does not keep the program alive. */
  setTimer(fn: () => void, ms: number): unknown {
    const t = this.clock.setTimeout(fn, ms);
    unrefTimer(t);
    return t;
  }

  /** An acknowledge arrived for a client: raised if in time, else dropped. */
  flowAck(
    localClientId: number,
    head: HeadFields,
    invokeId: number,
    projectId: Uint8Array,
    ack: number,
    msg: Uint8Array,
  ): void {
    if (!this.flows.acknowledged(invokeId, localClientId)) {
      this.trace(
        `client ${localClientId}: dropped a late or unknown acknowledge of invoke id ${invokeId}`,
      );
      return;
    }
    this.raise((cb) =>
      cb.invokeFlowAck(
        localClientId,
        this.head(head),
        projectId,
        invokeId,
        ack,
        msg,
      )
    );
  }

  /** No acknowledge in time: -25 with no head, as the vendor's library. */
  #ackTimedOut(f: PendingFlow): void {
    this.raise((cb) =>
      cb.invokeFlowAck(
        f.localClientId,
        null,
        f.projectId.slice(),
        f.invokeId,
        ErrorCode.TIMEOUT,
        new Uint8Array(),
      )
    );
  }

  #timedOut(f: PendingFlow): void {
    const { localClientId, invokeId } = f;
    this.trace(
      `client ${localClientId}: flow invoke id ${invokeId} timed out`,
      true,
    );
    this.raise((cb) =>
      cb.invokeFlowRet(
        localClientId,
        null,
        f.projectId.slice(),
        invokeId,
        ErrorCode.TIMEOUT,
        new Uint8Array(),
      )
    );
  }
}
