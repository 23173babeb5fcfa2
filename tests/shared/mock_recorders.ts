/** Recording sinks and callbacks for the mock bus tests. */
import assert from "node:assert/strict";
import type { BackendCallbacks } from "../../src/abi/backend.ts";
import { PackInfo } from "../../src/abi/packinfo.ts";
import {
  type BusAddress,
  type GlobalConnectEvent,
  type HeadFields,
  MockBackend,
  type MockBus,
  type PortSink,
  type VirtualClock,
} from "../../src/mock/internal.ts";

const td = new TextDecoder();
export const te = new TextEncoder();
/** A C string argument (with its NUL). */
export const cs = (s: string): Uint8Array => te.encode(s + "\0");
export const text = (b: Uint8Array): string => td.decode(b);

/** One thing a sink was handed. */
export type SinkEvent =
  | { kind: "data"; head: HeadFields; text: string }
  | {
    kind: "flowAck";
    head: HeadFields;
    invokeId: number;
    project: string;
    ack: number;
    msg: string;
  }
  | {
    kind: "flowResult";
    head: HeadFields;
    invokeId: number;
    project: string;
    ret: number;
    param: string;
  }
  | { kind: "global"; event: GlobalConnectEvent }
  | { kind: "closed"; reason: string };

/** A sink that records everything in order. */
export class RecordingSink implements PortSink {
  readonly events: SinkEvent[] = [];
  data(head: HeadFields, data: Uint8Array): void {
    this.events.push({ kind: "data", head, text: text(data) });
  }
  flowAck(
    head: HeadFields,
    invokeId: number,
    projectId: Uint8Array,
    ack: number,
    msg: Uint8Array,
  ): void {
    this.events.push({
      kind: "flowAck",
      head,
      invokeId,
      project: text(projectId),
      ack,
      msg: text(msg),
    });
  }
  flowResult(
    head: HeadFields,
    invokeId: number,
    projectId: Uint8Array,
    ret: number,
    param: Uint8Array,
  ): void {
    this.events.push({
      kind: "flowResult",
      head,
      invokeId,
      project: text(projectId),
      ret,
      param: text(param),
    });
  }
  globalConnect(event: GlobalConnectEvent): void {
    this.events.push({ kind: "global", event });
  }
  closed(reason: string): void {
    this.events.push({ kind: "closed", reason });
  }
  /** Global events as `[unitId, clientId, clientType, accessUnitId, status]`. */
  globals(): number[][] {
    return this.events.flatMap((e) =>
      e.kind === "global"
        ? [[
          e.event.unitId,
          e.event.clientId,
          e.event.clientType,
          e.event.accessUnitId,
          e.event.status,
        ]]
        : []
    );
  }
  of<K extends SinkEvent["kind"]>(
    kind: K,
  ): Extract<SinkEvent, { kind: K }>[] {
    return this.events.filter((e) => e.kind === kind) as Extract<
      SinkEvent,
      { kind: K }
    >[];
  }
  clear(): void {
    this.events.length = 0;
  }
}

export const addr = (
  unitId: number,
  clientId: number,
  clientType = 4,
): BusAddress => ({ unitId, clientId, clientType });

/** A login request without credentials. */
export const req = (
  address: BusAddress,
  user: string | null = null,
  password: string | null = null,
  addInfo = "",
) => ({ address, user, password, addInfo: te.encode(addInfo) });

/** One backend callback, with text arguments decoded and heads parsed. */
export type Call = [name: keyof BackendCallbacks, ...args: unknown[]];

/** Callbacks that record every call (heads parsed with long size 8). */
export function recordingCallbacks(): {
  callbacks: BackendCallbacks;
  calls: Call[];
  named: (name: keyof BackendCallbacks) => unknown[][];
  traces: () => string[];
} {
  const calls: Call[] = [];
  const conv = (x: unknown): unknown => x instanceof Uint8Array ? text(x) : x;
  const head = (h: Uint8Array | null): PackInfo | null =>
    h === null ? null : PackInfo.fromHead(h, 4);
  const callbacks: BackendCallbacks = {
    connection: (...a) => calls.push(["connection", ...a]),
    recvData: (id, h, d) => calls.push(["recvData", id, head(h), text(d)]),
    disconnect: (id) => calls.push(["disconnect", id]),
    invokeFlowAck: (id, h, p, inv, ack, msg) =>
      calls.push(["invokeFlowAck", id, head(h), text(p), inv, ack, text(msg)]),
    invokeFlowRet: (id, h, p, inv, ret, param) =>
      calls.push([
        "invokeFlowRet",
        id,
        head(h),
        text(p),
        inv,
        ret,
        text(param),
      ]),
    globalConnect: (...a) => calls.push(["globalConnect", ...a.map(conv)]),
    traceInfo: (m) => calls.push(["traceInfo", text(m)]),
    traceError: (m) => calls.push(["traceError", text(m)]),
  };
  return {
    callbacks,
    calls,
    named: (name) => calls.filter((c) => c[0] === name).map((c) => c.slice(1)),
    traces: () =>
      calls.filter((c) => c[0] === "traceInfo" || c[0] === "traceError")
        .map((c) => c[1] as string),
  };
}

/**
 * A `MockBackend` of unit 17 on `bus` with its callbacks recorded, and its
 * client 0 connected to node 0 at 127.0.0.1:8000 once `clock` has run.
 */
export async function connectedBackend(
  bus: MockBus,
  clock: VirtualClock,
): Promise<
  { backend: MockBackend; rec: ReturnType<typeof recordingCallbacks> }
> {
  const backend = new MockBackend(bus);
  const rec = recordingCallbacks();
  backend.setCallbacks(rec.callbacks);
  assert.equal(backend.init(17), 0);
  assert.equal(
    backend.createConnect(
      0,
      4,
      cs("127.0.0.1"),
      8000,
      null,
      0xffff,
      null,
      null,
      null,
    ),
    0,
  );
  await clock.flush();
  assert.deepEqual(rec.named("connection"), [[0, 0, 0]]);
  return { backend, rec };
}
