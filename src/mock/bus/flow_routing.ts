/**
 * The mock bus's flow routing and bookkeeping: invocations go to the IPSC
 * named by (unit id, process index), acknowledges and results go back to the
 * caller, and every call is recorded with its state.
 *
 * @module
 */
import {
  ClientType,
  CmdType,
  ErrorCode,
  FLOW_ACK_OK,
  FLOW_RET_OK,
  InvokeMode,
} from "../../abi/constants.ts";
import { libraryFlowTimeoutMs } from "../../abi/timeouts.ts";
import type { BusContext } from "./bus_context.ts";
import type { Conn } from "./connections.ts";
import { TaskDelivery } from "./delivery.ts";
import type { BusAddress, FlowInvocation, HeadFields } from "./contract.ts";
import { copyAddress, formatAddress } from "./address.ts";
import {
  flowCallBytes,
  type FlowCallRecord,
  type FlowCallState,
  recordText,
} from "./records.ts";
import { RecordLog } from "./record_log.ts";
import { TextMemo } from "./text_memo.ts";
import { copyBytes } from "./slab.ts";

/**
 * When the caller's library gives up on call `c` (bus time): a call that
 * wants a result and has none by then is `unanswered`.
 *
 * @example
 * ```ts
 * import { flowCallDeadline } from "./flow_routing.ts";
 * import type { FlowCallRecord } from "./records.ts";
 * const call = { startedAt: 1000, timeoutMs: 0 } as FlowCallRecord;
 * console.log(flowCallDeadline(call)); // 31000: a timeout of 0 waits 30 s
 * ```
 */
export const flowCallDeadline = (c: FlowCallRecord): number =>
  c.startedAt + libraryFlowTimeoutMs(c.timeoutMs);

/**
 * Whether `c` may still change: no acknowledge or no result yet.
 *
 * @example
 * ```ts
 * import { flowCallOpen } from "./flow_routing.ts";
 * import type { FlowCallRecord } from "./records.ts";
 * console.log(flowCallOpen({ state: "acknowledged" } as FlowCallRecord)); // true
 * ```
 */
export const flowCallOpen = (c: FlowCallRecord): boolean =>
  c.state === "pending" || c.state === "acknowledged";

/**
 * The state of call `c` at bus time `now`: as recorded, or `unanswered`
 * once its deadline passed without the result it wants.
 *
 * @example
 * ```ts
 * import { flowCallState } from "./flow_routing.ts";
 * import type { FlowCallRecord } from "./records.ts";
 * const call = { mode: 0, state: "pending", startedAt: 0, timeoutMs: 500 } as FlowCallRecord;
 * console.log(flowCallState(call, 499), flowCallState(call, 500)); // pending unanswered
 * ```
 */
export function flowCallState(c: FlowCallRecord, now: number): FlowCallState {
  return c.mode === 0 && flowCallOpen(c) && now >= flowCallDeadline(c)
    ? "unanswered"
    : c.state;
}

/**
 * One number per (caller, invoke id), no string per call: unit ids (0–255)
 * take 8 bits, client ids (-1–510) 9, invoke ids 32, so the key stays
 * exact below 2^53.
 */
const callKey = (from: BusAddress, invokeId: number): number =>
  ((from.unitId & 0xff) * 0x200 + ((from.clientId + 1) & 0x1ff)) *
    0x100000000 + (invokeId >>> 0);

/** The error `bus.assertNoUnhandled()` throws for `list`. */
export function unhandledError(list: FlowCallRecord[]): Error {
  const lines = list.map((c) =>
    `  ${c.project}/${c.flow} from ${
      formatAddress(c.from)
    } (invoke id ${c.invokeId}): ${c.unhandled}`
  );
  return new Error(
    `${list.length} unhandled flow call(s):\n${lines.join("\n")}`,
  );
}

/** Routes flow traffic and records each call. Internal to the bus. */
export class FlowRouting {
  #ctx: BusContext;
  #calls: RecordLog<FlowCallRecord>;
  #byKey = new Map<number, FlowCallRecord>();
  #names = new TextMemo(recordText);

  /** The flow calls of the bus of `ctx`. */
  constructor(ctx: BusContext) {
    this.#ctx = ctx;
    this.#calls = new RecordLog(ctx.recordsCap, {
      budget: ctx.recordsBudget,
      size: flowCallBytes,
      onEvict: (old) => {
        const key = callKey(old.from, old.invokeId);
        if (this.#byKey.get(key) === old) this.#byKey.delete(key);
      },
    });
  }

  /** Every call kept, with its state as of now (snapshots). */
  calls(): FlowCallRecord[] {
    const now = this.#ctx.clock.now();
    return this.#calls.toArray().map((c) => ({
      ...c,
      from: copyAddress(c.from),
      server: { ...c.server },
      state: flowCallState(c, now),
    }));
  }

  /** The kept calls (live: the bus hands out copies). */
  get records(): RecordLog<FlowCallRecord> {
    return this.#calls;
  }

  /** Forget every call. */
  clear(): void {
    this.#calls.clear();
    this.#byKey.clear();
  }

  /** Route an invocation from `caller` to the IPSC at `server`. */
  invoke(
    caller: Conn,
    server: BusAddress,
    inv: Omit<FlowInvocation, "from">,
  ): void {
    const r = this.#ctx;
    this.#keep(caller, server, inv);
    const ipsc = r.conns.find(server);
    if (!ipsc?.sink.invokeFlow && r.ipscDown(server)) {
      // A fault the test made (crash, node stopped): the caller just times out.
      r.log(
        `flow ${recordText(inv.projectId)}/${
          recordText(inv.flowId)
        } dropped: IPSC ${server.unitId}/${server.clientId} is down`,
      );
      return;
    }
    if (!ipsc?.sink.invokeFlow) {
      const where = `${server.unitId}/${server.clientId}`;
      this.unhandled(caller.address, inv.invokeId, `no IPSC at ${where}`);
      const project = copyBytes(inv.projectId);
      if (r.strict) {
        // Strict: refused with a message naming the call, for the test to read.
        const msg = new TextEncoder().encode(
          `no such flow ${recordText(inv.projectId)}/${
            recordText(inv.flowId)
          }: no IPSC at ${where}`,
        );
        this.ack(server, caller.address, inv.invokeId, project, -1, msg);
      } else if (inv.mode === InvokeMode.WANT_RESULT) {
        // Unroutable, answered at once (docs/wire-protocol.md); in the
        // acknowledge, since the result frame carries no code.
        const msg = new TextEncoder().encode(`no IPSC at ${where}`);
        const code = ErrorCode.DEST_NONEXIST;
        this.ack(server, caller.address, inv.invokeId, project, code, msg);
      }
      return;
    }
    const delivered: FlowInvocation = {
      ...inv,
      // The connection's own address: fixed for its life, never written to.
      from: caller.address,
      projectId: copyBytes(inv.projectId),
      flowId: copyBytes(inv.flowId),
      params: copyBytes(inv.params),
    };
    const run = (at: Conn): void => at.sink.invokeFlow!(delivered);
    r.post(new TaskDelivery(caller.address, ipsc, "flow", run));
  }

  /** Record a call (when records are kept); the oldest kept may make room. */
  #keep(
    caller: Conn,
    server: BusAddress,
    inv: Omit<FlowInvocation, "from">,
  ): void {
    if (!this.#calls.keeps) return;
    const record: FlowCallRecord = {
      invokeId: inv.invokeId,
      from: copyAddress(caller.address),
      server: { unitId: server.unitId, processIndex: server.clientId },
      // Calls mostly name the same few flows: their records share the text.
      project: this.#names.get(inv.projectId).text,
      flow: this.#names.get(inv.flowId).text,
      mode: inv.mode,
      timeoutMs: inv.timeoutMs,
      params: recordText(inv.params),
      state: "pending",
      startedAt: this.#ctx.clock.now(),
      late: false,
    };
    // Set first: the budget may let this very record go at once.
    this.#byKey.set(callKey(caller.address, inv.invokeId), record);
    this.#calls.push(record);
  }

  /** Change a kept record; its growth counts against the budget. */
  #update(record: FlowCallRecord, change: () => void): void {
    const before = flowCallBytes(record);
    change();
    this.#calls.grew(flowCallBytes(record) - before);
    this.#calls.touched(record);
  }

  /** Mark a call as handled by no flow (strict mode: loudly). */
  unhandled(from: BusAddress, invokeId: number, reason: string): void {
    const record = this.#byKey.get(callKey(from, invokeId));
    const what = record
      ? `${record.project}/${record.flow} from ${formatAddress(from)}`
      : `invoke id ${invokeId} from ${formatAddress(from)}`;
    if (record) this.#update(record, () => record.unhandled = reason);
    const line = `unhandled flow call ${what}: ${reason}`;
    if (this.#ctx.strict) this.#ctx.loud(line);
    else this.#ctx.log(line);
  }

  /** The IPSC at `src` acknowledges `invokeId` to the caller at `to`. */
  ack(
    src: BusAddress,
    to: BusAddress,
    invokeId: number,
    projectId: Uint8Array,
    ack: number,
    msg: Uint8Array,
  ): void {
    const r = this.#ctx;
    const record = this.#byKey.get(callKey(to, invokeId));
    if (record && record.ack === undefined) {
      this.#update(record, () => {
        record.ack = ack;
        record.ackMessage = recordText(msg);
        record.ackAt = r.clock.now();
        if (record.state === "pending") {
          record.state = ack === FLOW_ACK_OK ? "acknowledged" : "errored";
        }
      });
    }
    // Copied now: the caller of `flowAck` may reuse its buffers.
    const project = copyBytes(projectId);
    const message = copyBytes(msg);
    this.#answer(
      src,
      to,
      "acknowledge",
      msg.length,
      (caller, head) =>
        caller.sink.flowAck(head, invokeId, project, ack, message),
    );
  }

  /** The IPSC at `src` returns (ret 1) or fails `invokeId` to the caller at `to`. */
  result(
    src: BusAddress,
    to: BusAddress,
    invokeId: number,
    projectId: Uint8Array,
    ret: number,
    param: Uint8Array,
  ): void {
    const r = this.#ctx;
    const record = this.#byKey.get(callKey(to, invokeId));
    if (record && record.ret === undefined) {
      const now = r.clock.now();
      this.#update(record, () => {
        record.ret = ret;
        record.result = recordText(param);
        record.answeredAt = now;
        record.late = record.mode === 0 && now >= flowCallDeadline(record);
        record.state = ret === FLOW_RET_OK ? "responded" : "errored";
      });
    }
    const project = copyBytes(projectId);
    const result = copyBytes(param);
    this.#answer(
      src,
      to,
      "result",
      param.length,
      (caller, head) =>
        caller.sink.flowResult(head, invokeId, project, ret, result),
    );
  }

  #answer(
    src: BusAddress,
    to: BusAddress,
    what: string,
    len: number,
    deliver: (caller: Conn, head: HeadFields) => void,
  ): void {
    const r = this.#ctx;
    const from = { ...src, clientType: ClientType.IPSC };
    const caller = r.conns.find(to);
    if (!caller) {
      r.log(`flow ${what} for ${formatAddress(to)} dropped: caller gone`);
      return;
    }
    // cmd and cmdtype are 0 on every frame but data (docs/wire-protocol.md).
    const head = r.head(0, CmdType.INTERNAL, from, caller.address, len);
    const run = (at: Conn): void => deliver(at, head);
    r.post(new TaskDelivery(from, caller, "flow", run));
  }
}
