/**
 * One flow call running on a mock IPSC: its parameters read from the
 * caller's JSON text, the handler's {@link FlowContext}, the acknowledge it
 * owes (sent as soon as the handler's synchronous part
 * has run) and the answer (ret 1 with the result as a GBK JSON array, or an
 * error ret). `ipsc.ts` decides whether and how a call runs.
 *
 * @example
 * ```ts
 * import { FlowFailure, type FlowHandler } from "@smartbus/netclient/mock";
 * const checkout: FlowHandler = async ([cart], ctx) => {
 *   if (!Array.isArray(cart)) ctx.refuse(-2, "no cart");
 *   await ctx.sleep(50);
 *   const items = cart as unknown[];
 *   if (items.length === 0) throw new FlowFailure(-3, "empty cart");
 *   return [items.length];
 * };
 * ```
 * @module
 */
import { ErrorCode, FLOW_ACK_OK, FLOW_RET_OK } from "../../abi/constants.ts";
import { parseJsonList, serializeFlowParams } from "../../api/params.ts";
import { encodeText } from "../../api/text.ts";
import type { Clock } from "../bus/clock.ts";
import type { BusContext } from "../bus/bus_context.ts";
import type { BusAddress, BusPort, FlowInvocation } from "../bus/contract.ts";
import { copyAddress, formatAddress } from "../bus/address.ts";
import type { MemoText } from "../bus/text_memo.ts";

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
   * later, the acknowledge is gone and it acts as {@link fail}.
   */
  refuse(ack?: number, message?: string): never;
  /**
   * Fail the flow with code `ret` (< 1, default -1). The vendor's protocol
   * has no code in a flow's result, so before the handler's first `await`
   * the code goes in the acknowledge (the call is not started, as with
   * {@link refuse}); later the flow ends without an answer and the caller's
   * library times the call out.
   */
  fail(ret?: number): never;
  /** Never answer from now on (before the first `await`: not even an acknowledge). */
  noAnswer(): never;
}

/**
 * A flow: returns its result list (a non-array value becomes a one-element
 * list, `undefined` an empty one).
 *
 * @example
 * ```ts
 * import type { FlowHandler } from "@smartbus/netclient/mock";
 * const add: FlowHandler = ([a, b]) => [(a as number) + (b as number)];
 * ```
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

/**
 * Text as GBK for the wire; characters GBK cannot carry become `?` (a
 * message must never fail to send).
 *
 * @example
 * ```ts
 * import { gbkLoose } from "./flow_run.ts";
 * console.log(gbkLoose("ipsc 😀")); // the bytes of "ipsc ??": GBK has no emoji
 * ```
 */
export const gbkLoose = (text: string): Uint8Array => {
  try {
    return encodeText(text, "gbk");
  } catch {
    return encodeText(text.replace(/[^\x20-\x7e]/g, "?"), "gbk");
  }
};

/**
 * The parameter list of an invocation, read as the API reads a result
 * (`parseJsonList`) but blank text is an empty list, and text that is not
 * JSON throws a `SyntaxError` saying the parameters are not valid JSON.
 *
 * @example
 * ```ts
 * import { parseFlowParams } from "./flow_run.ts";
 * const bytes = (s: string) => new TextEncoder().encode(s);
 * console.log(parseFlowParams(bytes('[1,"a"]')), parseFlowParams(bytes("5")), parseFlowParams(bytes(""))); // [1, "a"] [5] []
 * ```
 */
export function parseFlowParams(bytes: Uint8Array): unknown[] {
  return parseJsonList(
    bytes,
    (shown, cause) =>
      new SyntaxError(`the flow parameters are not valid JSON: ${shown}`, {
        cause,
      }),
  ) ?? [];
}

/** An empty result (never written to). */
export const EMPTY: Uint8Array = new Uint8Array();
/** The GBK bytes of an empty acknowledge message (never written to). */
const NO_MESSAGE = new Uint8Array();

/**
 * One running flow call: the handler's {@link FlowContext} (methods on the
 * prototype, state in fields: a pending call costs one object, not a
 * closure per method) and the acknowledge/answer it owes the caller.
 */
export class FlowRun implements FlowContext {
  readonly invokeId: number;
  readonly project: string;
  readonly flow: string;
  readonly mode: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  #port: BusPort;
  #ctx: BusContext;
  /** The IPSC's name in log lines. */
  #ipsc: string;
  #caller: BusAddress;
  #projectId: Uint8Array;
  #answerAt: number | undefined;
  #acked = false;
  #silent = false;
  #answered = false;

  /**
   * The call `inv` (its project, with the bytes to echo, and flow already
   * decoded) on the IPSC named `ipsc`, answered through `port` (at bus time
   * `answerAt` when a fault makes it late).
   */
  constructor(
    ctx: BusContext,
    ipsc: string,
    port: BusPort,
    inv: FlowInvocation,
    project: MemoText,
    flow: string,
    answerAt: number | undefined,
  ) {
    this.invokeId = inv.invokeId;
    this.project = project.text;
    this.flow = flow;
    this.mode = inv.mode;
    this.timeoutMs = inv.timeoutMs;
    this.clock = ctx.clock;
    this.#port = port;
    this.#ctx = ctx;
    this.#ipsc = ipsc;
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
    const failure = new FlowFailure(ret);
    if (this.#acked) throw failure;
    return this.refuse(failure.ret, failure.message);
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

  /**
   * Send the result (once, mode 0 only, unless silenced; late by fault).
   * Always ret 1: the protocol's result frame carries no other.
   */
  #answer(param: Uint8Array): void {
    if (this.#answered || this.#silent || this.mode !== 0) return;
    this.#answered = true;
    const wait = this.#answerAt === undefined
      ? 0
      : this.#answerAt - this.clock.now();
    if (wait > 0) {
      this.clock.setTimeout(() => this.#send(param), wait);
    } else this.#send(param);
  }

  #send(param: Uint8Array): void {
    this.#port.flowResult(
      this.#caller,
      this.invokeId,
      this.#projectId,
      FLOW_RET_OK,
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
      return this.#unanswered(`returned an unsendable value: ${e}`);
    }
    this.#answer(bytes);
  }

  /**
   * The flow ended without a result after its acknowledge: the protocol's
   * result frame has no code, so nothing is sent and the caller times out.
   */
  #unanswered(why: string): void {
    this.#ctx.log(
      `${this.#ipsc} flow ${this.project}/${this.flow} (invoke id ${this.invokeId} from ${
        formatAddress(this.#caller)
      }) ${why}: no answer, the caller will time out`,
    );
  }

  /** The handler threw `e` (or stopped on purpose). */
  threw(e: unknown): void {
    if (e instanceof Stop) return;
    if (e instanceof FlowFailure) {
      return this.#unanswered(`failed with ret ${e.ret}`);
    }
    this.#unanswered(
      `threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}`,
    );
  }

  /**
   * Run `handler` with `params` and acknowledge; answer with its outcome.
   * A handler that throws before its first `await` is not started: its
   * failure's code (or -99, OTHER, for any other error) goes in the ack.
   */
  start(handler: FlowHandler, params: unknown[]): void {
    let outcome: Promise<unknown>;
    try {
      outcome = Promise.resolve(handler(params, this));
    } catch (e) {
      if (e instanceof Stop) return;
      if (!(e instanceof FlowFailure)) {
        this.#ctx.log(
          `${this.#ipsc} flow ${this.project}/${this.flow} (invoke id ${this.invokeId}) threw before starting: ${
            e instanceof Error ? e.stack ?? e.message : String(e)
          }: refused with ${ErrorCode.OTHER}`,
        );
      }
      const failure = e instanceof FlowFailure ? e : undefined;
      this.ack(
        failure?.ret ?? ErrorCode.OTHER,
        failure?.message ?? "the flow threw",
      );
      return;
    }
    this.ack(FLOW_ACK_OK, "");
    outcome.then((v) => this.returned(v), (e: unknown) => this.threw(e));
  }
}
