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
import { ErrorCode, FLOW_ACK_OK, FLOW_RET_OK } from "../api/constants.ts";
import { parseFlowResult, serializeFlowParams } from "../api/params.ts";
import { decodeText, encodeText } from "../api/text.ts";
import type { Clock } from "./clock.ts";
import type { BusAddress, BusPort, FlowInvocation } from "./port.ts";
import { copyAddress, formatAddress } from "./records.ts";

/**
 * What a flow handler gets besides its parameters.
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

/** What {@link runFlow} needs from its IPSC. */
export interface FlowRunHost {
  /** The bus clock. */
  readonly clock: Clock;
  /** Write a line to the bus log. */
  log(line: string): void;
  /** Record this call as handled by no flow. */
  unhandled(reason: string): void;
  /** The IPSC's name in log lines. */
  readonly name: string;
  /**
   * A fault forced on this IPSC (`bus.faults.flows`): `silent` acks 1 and
   * never answers, `mute` sends nothing, `late` answers `lateByMs` after
   * the caller's timeout.
   */
  readonly fault?: { mode: "silent" | "late" | "mute"; lateByMs: number };
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

/**
 * Run `handler` for `inv` and answer through `port` (no handler: ack -1
 * and recorded as unhandled; unreadable parameters: ack -1).
 *
 * @example
 * ```ts
 * import type { BusPort, FlowInvocation } from "@smartbus/netclient/mock";
 * import { runFlow } from "./flow_run.ts";
 * declare const port: BusPort, inv: FlowInvocation;
 * runFlow(port, inv, () => [1], { clock: { now: () => 0, setTimeout, clearTimeout },
 *   log: console.log, unhandled: console.error, name: "IPSC 0/0" });
 * ```
 */
export function runFlow(
  port: BusPort,
  inv: FlowInvocation,
  handler: FlowHandler | undefined,
  host: FlowRunHost,
): void {
  const project = decodeText(inv.projectId, "gbk");
  const flow = decodeText(inv.flowId, "gbk");
  const me = host.name;
  const fault = host.fault;
  if (fault?.mode === "mute" || fault?.mode === "silent") {
    host.log(`${me} flow ${project}/${flow}: ${fault.mode} by fault`);
    if (fault.mode === "silent") {
      port.flowAck(
        inv.from,
        inv.invokeId,
        inv.projectId,
        FLOW_ACK_OK,
        new Uint8Array(),
      );
    }
    return;
  }
  const answerAt = fault?.mode === "late"
    ? host.clock.now() + (inv.timeoutMs > 0 ? inv.timeoutMs : 30_000) +
      fault.lateByMs
    : undefined;
  let acked = false;
  let silent = false;
  let answered = false;
  const ack = (code: number, msg: string): void => {
    if (acked || silent) return;
    acked = true;
    port.flowAck(inv.from, inv.invokeId, inv.projectId, code, gbkLoose(msg));
  };
  const answer = (ret: number, param: Uint8Array): void => {
    if (answered || silent || inv.mode !== 0) return;
    answered = true;
    const send = (): void =>
      void port.flowResult(inv.from, inv.invokeId, inv.projectId, ret, param);
    const wait = answerAt === undefined ? 0 : answerAt - host.clock.now();
    if (wait > 0) host.clock.setTimeout(send, wait);
    else send();
  };
  if (!handler) {
    const why = `no such flow ${project}/${flow} on ${me}`;
    ack(-1, why);
    host.unhandled(why);
    return;
  }
  let params: unknown[];
  try {
    params = parseFlowResult(inv.params) ?? [];
  } catch (e) {
    ack(-1, `invalid parameter list: ${(e as Error).message}`);
    return;
  }
  const clock = host.clock;
  const ctx: FlowContext = {
    invokeId: inv.invokeId,
    from: copyAddress(inv.from),
    project,
    flow,
    mode: inv.mode,
    timeoutMs: inv.timeoutMs,
    clock,
    sleep: (ms) => new Promise((res) => clock.setTimeout(res, ms)),
    refuse: (code = -1, message = "refused") => {
      if (acked) {
        throw new FlowFailure(code < FLOW_RET_OK ? code : -1, message);
      }
      ack(code === FLOW_ACK_OK ? -1 : code, message);
      throw new Stop("refused");
    },
    fail: (ret = -1) => {
      throw new FlowFailure(ret);
    },
    noAnswer: () => {
      silent = true;
      throw new Stop("silent");
    },
  };
  let outcome: Promise<unknown>;
  try {
    outcome = Promise.resolve(handler(params, ctx));
  } catch (e) {
    outcome = Promise.reject(e);
  }
  ack(FLOW_ACK_OK, "");
  outcome.then((value) => {
    let bytes: Uint8Array;
    try {
      const withNul = serializeFlowParams(value);
      bytes = withNul.subarray(0, withNul.length - 1);
    } catch (e) {
      host.log(
        `${me} flow ${project}/${flow} returned an unsendable value: ${e}`,
      );
      return answer(ErrorCode.OTHER, new Uint8Array());
    }
    answer(FLOW_RET_OK, bytes);
  }, (e: unknown) => {
    if (e instanceof Stop) return;
    if (e instanceof FlowFailure) return answer(e.ret, new Uint8Array());
    host.log(
      `${me} flow ${project}/${flow} (invoke id ${inv.invokeId} from ${
        formatAddress(inv.from)
      }) threw: ${e instanceof Error ? e.stack ?? e.message : String(e)}`,
    );
    answer(ErrorCode.OTHER, new Uint8Array());
  });
}
