/**
 * How a mock IPSC runs one flow invocation: the handler's context, the
 * acknowledge (sent as soon as the handler's synchronous part has run), and
 * the answer (ret 1 with the result as a GBK JSON array, or an error ret).
 *
 * @example
 * ```ts
 * import { FlowFailure, type FlowHandler } from "@smartbus/netclient/mock";
 * const checkout: FlowHandler = async ([cart], ctx) => {
 *   if (!Array.isArray(cart)) ctx.refuse(-2, "no cart");
 *   await ctx.sleep(50);
 *   if (cart.length === 0) throw new FlowFailure(-3, "empty cart");
 *   return [cart.length];
 * };
 * ```
 * @module
 */
import { ErrorCode, FLOW_ACK_OK, FLOW_RET_OK } from "../../abi/constants.ts";
import { parseFlowResult, serializeFlowParams } from "../../api/params.ts";
import { encodeText } from "../../api/text.ts";
import type { Clock } from "../bus/clock.ts";
import type { BusAddress, BusPort, FlowInvocation } from "../bus/port.ts";
import { copyAddress, formatAddress } from "../bus/records.ts";
import type { MemoText } from "./text_memo.ts";

/**
 * What a flow handler gets besides its parameters: one object per call
 * whose methods live on its prototype, so call them on it (`ctx.sleep(5)`),
 * not detached (`const { sleep } = ctx` loses `this`).
 *
 * @example
 * ```ts
 * import type { FlowContext } from "@smartbus/netclient/mock";
 * const slow = async (_p: unknown[], ctx: FlowContext) => {
 *   await ctx.sleep(ctx.timeoutMs + 1); // answers too late
 *   return ["late"];
 * };
 * ```
 */
export interface FlowContext {
  /** The caller's invoke id. */
  readonly invokeId: number;
  /** The caller. */
  readonly from: BusAddress;
  /** Project id, decoded from GBK. */
  readonly project: string;
  /** Flow name, decoded from GBK. */
  readonly flow: string;
  /** 0 wants the result, 1 fire and forget. */
  readonly mode: number;
  /** The caller's timeout in ms. */
  readonly timeoutMs: number;
  /** The bus clock. */
  readonly clock: Clock;
  /** Resolve after `ms` of bus time. */
  sleep(ms: number): Promise<void>;
  /**
   * Do not start the flow: acknowledge with `ack` (≠ 1, default -1) and
   * `message`, never answer. Call it before the handler's first `await`;
   * later, the acknowledge is gone and it fails the call with ret `ack`.
   */
  refuse(ack?: number, message?: string): never;
  /** End the flow with ret `ret` (< 1, default -1) and no result. */
  fail(ret?: number): never;
  /** Never answer from now on (before the first `await`: not even an acknowledge). */
  noAnswer(): never;
}

/**
 * A flow: returns its result list (a non-array value becomes a one-element
 * list, `undefined` an empty one).
 */
export type FlowHandler = (
  params: unknown[],
  ctx: FlowContext,
) => unknown;

/**
 * Thrown by a flow handler to fail the call with `ret` (< 1).
 *
 * @example
 * ```ts
 * import { FlowFailure } from "@smartbus/netclient/mock";
 * const handler = () => { throw new FlowFailure(-3, "database down"); };
 * ```
 */
export class FlowFailure extends Error {
  /** `"FlowFailure"`. */
  override name = "FlowFailure";
  /** The ret the caller gets. */
  readonly ret: number;
  /** Fail with `ret` (< 1; default -1). */
  constructor(ret: number = -1, message?: string) {
    if (!Number.isInteger(ret) || ret >= FLOW_RET_OK) {
      throw new RangeError(
        `a flow failure needs an integer ret < 1, got ${ret}`,
      );
    }
    super(message ?? `flow failed with ret ${ret}`);
    this.ret = ret;
  }
}

/** Control flow of `refuse`/`noAnswer`: not an error of the handler. */
class Stop {
  constructor(readonly kind: "refused" | "silent") {}
}

/** What {@link runFlow} needs from its IPSC (one per IPSC, not per call). */
export interface FlowRunHost {
  /** The bus clock. */
  readonly clock: Clock;
  /** Write a line to the bus log. */
  log(line: string): void;
  /** Record the call `invokeId` from `from` as handled by no flow. */
  unhandled(from: BusAddress, invokeId: number, reason: string): void;
  /** The IPSC's name in log lines. */
  readonly name: string;
  /**
   * A fault forced on this IPSC (`bus.faults.flows`), read per call:
   * `silent` acks 1 and never answers, `mute` sends nothing, `late` answers
   * `lateByMs` after the caller's timeout.
   */
  readonly fault:
    | { mode: "silent" | "late" | "mute"; lateByMs: number }
    | undefined;
}

/**
 * Text as GBK for the wire; characters GBK cannot carry become `?` (a
 * message must never fail to send).
 *
 * @example
 * ```ts
 * import { gbkLoose } from "./flow_run.ts";
 * gbkLoose("失败 😀"); // GBK bytes of "失败 ?"
 * ```
 */
export const gbkLoose = (text: string): Uint8Array => {
  try {
    return encodeText(text, "gbk");
  } catch {
    return encodeText(text.replace(/[^\x20-\x7e]/g, "?"), "gbk");
  }
};

const EMPTY = new Uint8Array();
/** The GBK bytes of an empty acknowledge message (never written to). */
const NO_MESSAGE = new Uint8Array();

/**
 * One running flow call: the handler's {@link FlowContext} (methods on the
 * prototype, state in fields: a pending call costs one object, not a
 * closure per method) and the acknowledge/answer it owes the caller.
 */
class FlowRun implements FlowContext {
  readonly invokeId: number;
  readonly project: string;
  readonly flow: string;
  readonly mode: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  #port: BusPort;
  #host: FlowRunHost;
  #caller: BusAddress;
  #projectId: Uint8Array;
  #answerAt: number | undefined;
  #acked = false;
  #silent = false;
  #answered = false;

  constructor(
    port: BusPort,
    inv: FlowInvocation,
    project: MemoText,
    flow: string,
    host: FlowRunHost,
    answerAt: number | undefined,
  ) {
    this.invokeId = inv.invokeId;
    this.project = project.text;
    this.flow = flow;
    this.mode = inv.mode;
    this.timeoutMs = inv.timeoutMs;
    this.clock = host.clock;
    this.#port = port;
    this.#host = host;
    this.#caller = inv.from;
    this.#projectId = project.bytes;
    this.#answerAt = answerAt;
  }

  /** A copy: the handler may keep or change it without misrouting the answer. */
  get from(): BusAddress {
    return copyAddress(this.#caller);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((res) => this.clock.setTimeout(res, ms));
  }

  refuse(code = -1, message = "refused"): never {
    if (this.#acked) {
      throw new FlowFailure(code < FLOW_RET_OK ? code : -1, message);
    }
    this.ack(code === FLOW_ACK_OK ? -1 : code, message);
    throw new Stop("refused");
  }

  fail(ret = -1): never {
    throw new FlowFailure(ret);
  }

  noAnswer(): never {
    this.#silent = true;
    throw new Stop("silent");
  }

  /** Send the acknowledge (once, unless silenced). */
  ack(code: number, msg: string): void {
    if (this.#acked || this.#silent) return;
    this.#acked = true;
    const bytes = msg === "" ? NO_MESSAGE : gbkLoose(msg);
    this.#port.flowAck(
      this.#caller,
      this.invokeId,
      this.#projectId,
      code,
      bytes,
    );
  }

  /** Send the answer (once, mode 0 only, unless silenced; late by fault). */
  answer(ret: number, param: Uint8Array): void {
    if (this.#answered || this.#silent || this.mode !== 0) return;
    this.#answered = true;
    const wait = this.#answerAt === undefined
      ? 0
      : this.#answerAt - this.clock.now();
    if (wait > 0) {
      this.clock.setTimeout(() => this.#send(ret, param), wait);
    } else this.#send(ret, param);
  }

  #send(ret: number, param: Uint8Array): void {
    this.#port.flowResult(
      this.#caller,
      this.invokeId,
      this.#projectId,
      ret,
      param,
    );
  }

  /** The handler returned `value`: answer with it as a JSON list. */
  returned(value: unknown): void {
    let bytes: Uint8Array;
    try {
      const withNul = serializeFlowParams(value);
      bytes = withNul.subarray(0, withNul.length - 1);
    } catch (e) {
      this.#host.log(
        `${this.#host.name} flow ${this.project}/${this.flow} returned an unsendable value: ${e}`,
      );
      return this.answer(ErrorCode.OTHER, EMPTY);
    }
    this.answer(FLOW_RET_OK, bytes);
  }

  /** The handler threw `e` (or stopped on purpose). */
  threw(e: unknown): void {
    if (e instanceof Stop) return;
    if (e instanceof FlowFailure) return this.answer(e.ret, EMPTY);
    this.#host.log(
      `${this.#host.name} flow ${this.project}/${this.flow} (invoke id ${this.invokeId} from ${
        formatAddress(this.#caller)
      }) threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}`,
    );
    this.answer(ErrorCode.OTHER, EMPTY);
  }
}

const settle = (run: FlowRun, outcome: Promise<unknown>): void => {
  outcome.then((v) => run.returned(v), (e: unknown) => run.threw(e));
};

/**
 * Run `handler` for `inv` (its project, with the bytes to echo, and flow
 * already decoded) and
 * answer through `port` (no handler: ack -1 and recorded as unhandled;
 * unreadable parameters: ack -1).
 *
 * @example
 * ```ts
 * import type { BusPort, FlowInvocation } from "@smartbus/netclient/mock";
 * import { runFlow } from "./flow_run.ts";
 * import { TextMemo } from "./text_memo.ts";
 * declare const port: BusPort, inv: FlowInvocation;
 * runFlow(port, inv, new TextMemo().get(inv.projectId), "echo", () => [1], {
 *   clock: { now: () => 0, setTimeout, clearTimeout },
 *   log: console.log, unhandled: console.error, name: "IPSC 0/0", fault: undefined,
 * });
 * ```
 */
export function runFlow(
  port: BusPort,
  inv: FlowInvocation,
  project: MemoText,
  flow: string,
  handler: FlowHandler | undefined,
  host: FlowRunHost,
): void {
  const me = host.name;
  const fault = host.fault;
  if (fault?.mode === "mute" || fault?.mode === "silent") {
    host.log(`${me} flow ${project.text}/${flow}: ${fault.mode} by fault`);
    if (fault.mode === "silent") {
      port.flowAck(inv.from, inv.invokeId, inv.projectId, FLOW_ACK_OK, EMPTY);
    }
    return;
  }
  const answerAt = fault?.mode === "late"
    ? host.clock.now() + (inv.timeoutMs > 0 ? inv.timeoutMs : 30_000) +
      fault.lateByMs
    : undefined;
  const run = new FlowRun(port, inv, project, flow, host, answerAt);
  if (!handler) {
    const why = `no such flow ${project.text}/${flow} on ${me}`;
    run.ack(-1, why);
    host.unhandled(inv.from, inv.invokeId, why);
    return;
  }
  let params: unknown[];
  try {
    params = parseFlowResult(inv.params) ?? [];
  } catch (e) {
    run.ack(-1, `invalid parameter list: ${(e as Error).message}`);
    return;
  }
  let outcome: Promise<unknown>;
  try {
    outcome = Promise.resolve(handler(params, run));
  } catch (e) {
    outcome = Promise.reject(e);
  }
  run.ack(FLOW_ACK_OK, "");
  settle(run, outcome);
}
