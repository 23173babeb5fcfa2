/**
 * Mock IPSC flow servers: clients of type IPSC (2) on the mock bus whose
 * flows are async JS functions. An invocation is acknowledged (ack 1) as
 * soon as the handler's synchronous part has run, then answered with ret 1
 * and the handler's value as a GBK JSON array when the caller wants a
 * result (mode 0).
 *
 * @example
 * ```ts
 * import { MockBus, VirtualClock } from "@smartbus/netclient/mock";
 * const bus = new MockBus({ clock: new VirtualClock() });
 * bus.addNode({ unitId: 0, port: 8000 });
 * const ipsc = bus.addIpsc({ unitId: 0, processIndex: 0 });
 * ipsc.flow("shop", "price", async ([item], ctx) => {
 *   if (item === "unicorn") ctx.refuse(-1, "not for sale");
 *   await ctx.sleep(100);
 *   return [42];
 * });
 * ```
 * @module
 */
import {
  ClientType,
  ErrorCode,
  FLOW_ACK_OK,
  FLOW_RET_OK,
} from "../api/constants.ts";
import { parseFlowResult, serializeFlowParams } from "../api/params.ts";
import { decodeText, encodeText } from "../api/text.ts";
import type { Clock } from "./clock.ts";
import type {
  AttachRequest,
  AttachResult,
  BusAddress,
  BusPort,
  FlowInvocation,
  NotifyMessage,
  PortSink,
} from "./port.ts";
import { copyAddress, formatAddress } from "./records.ts";

/** How to add a mock IPSC ({@link MockBus.addIpsc}). */
export interface MockIpscOptions {
  /** The IPSC's unit id: what `invokeFlow`'s `server` names (0–255). */
  unitId: number;
  /** Its process index, which is also its client id on the bus (0–255). */
  processIndex: number;
  /** Unit id of the node it logs in to (default: the first node added). */
  node?: number;
  /** Login; by default the node's first account when the node requires one. */
  user?: string;
  /** Password for `user`. */
  password?: string;
  /** Its `add_info` as others see it in connect events (default `"mock-ipsc"`). */
  addInfo?: string;
}

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

/**
 * A notification as a mock IPSC received it.
 *
 * @example
 * ```ts
 * import type { IpscNotification } from "@smartbus/netclient/mock";
 * const title = (n: IpscNotification): string => n.title;
 * ```
 */
export interface IpscNotification {
  /** Bus time of arrival. */
  time: number;
  /** The sender. */
  from: BusAddress;
  /** The sender's invoke id. */
  invokeId: number;
  /** Project id (GBK-decoded). */
  project: string;
  /** Title (GBK-decoded). */
  title: string;
  /** `mode` as sent. */
  mode: number;
  /** Expiry in ms. */
  expiresMs: number;
  /** Parameter text (GBK-decoded). */
  param: string;
}

/** What a mock IPSC needs from its bus. */
export interface IpscHost {
  /** The bus clock. */
  readonly clock: Clock;
  /** Log in, as any connection does. */
  attach(
    host: string,
    port: number,
    request: AttachRequest,
    sink: PortSink,
  ): AttachResult;
  /** Write a line to the bus log. */
  log(line: string): void;
  /** Record a flow call no flow handled. */
  unhandled(from: BusAddress, invokeId: number, reason: string): void;
}

const gbk = (text: string): Uint8Array => {
  try {
    return encodeText(text, "gbk");
  } catch {
    return encodeText(text.replace(/[^\x20-\x7e]/g, "?"), "gbk");
  }
};
const flowKey = (project: string, flow: string): string =>
  `${project}\0${flow}`;

/**
 * A mock IPSC flow server on a {@link MockBus}; create it with
 * `bus.addIpsc`.
 *
 * @example
 * ```ts
 * import { FlowFailure, MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * bus.addIpsc({ unitId: 0, processIndex: 1 })
 *   .flow("p", "sum", (xs) => [(xs as number[]).reduce((a, b) => a + b, 0)])
 *   .flow("p", "broken", () => { throw new FlowFailure(-2); });
 * ```
 */
export class MockIpsc {
  /** The IPSC's unit id. */
  readonly unitId: number;
  /** Its process index (client id). */
  readonly processIndex: number;
  /** The node it logs in to. */
  readonly nodeUnitId: number;
  #host: IpscHost;
  #node: { host: string; port: number; users?: Record<string, string> };
  #options: MockIpscOptions;
  #flows = new Map<string, FlowHandler>();
  #port: BusPort | null = null;
  #session = 0;
  #crashed = false;
  #notifications: IpscNotification[] = [];
  #listeners = new Set<(n: IpscNotification) => void>();

  /** Use `bus.addIpsc` instead. */
  constructor(
    host: IpscHost,
    node: {
      unitId: number;
      host: string;
      port: number;
      users?: Readonly<Record<string, string>>;
    },
    options: MockIpscOptions,
  ) {
    for (
      const [name, v] of [["unitId", options.unitId], [
        "processIndex",
        options.processIndex,
      ]] as const
    ) {
      if (!Number.isInteger(v) || v < 0 || v > 255) {
        throw new RangeError(`IPSC ${name} must be 0–255, got ${v}`);
      }
    }
    this.unitId = options.unitId;
    this.processIndex = options.processIndex;
    this.nodeUnitId = node.unitId;
    this.#host = host;
    this.#node = { host: node.host, port: node.port, users: node.users };
    this.#options = options;
  }

  /** Its address on the bus. */
  get address(): BusAddress {
    return {
      unitId: this.unitId,
      clientId: this.processIndex,
      clientType: ClientType.IPSC,
    };
  }

  /** Whether it is logged in right now. */
  get connected(): boolean {
    return this.#port !== null;
  }

  /** Register (or replace) the flow `flowName` of `project`. */
  flow(project: string, flowName: string, handler: FlowHandler): this {
    this.#flows.set(flowKey(project, flowName), handler);
    return this;
  }

  /** Unregister a flow; false if there was none. */
  removeFlow(project: string, flowName: string): boolean {
    return this.#flows.delete(flowKey(project, flowName));
  }

  /** Notifications received so far (copies). */
  get notifications(): IpscNotification[] {
    return this.#notifications.map((n) => ({
      ...n,
      from: copyAddress(n.from),
    }));
  }

  /** Call `fn` on each notification; returns the unsubscribe function. */
  onNotify(fn: (n: IpscNotification) => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Drop off the bus at once; in-flight flows never answer. Stays down until `restart`. */
  crash(): void {
    this.#crashed = true;
    this.#leave();
    this.#host.log(`IPSC ${this.unitId}/${this.processIndex} crashed`);
  }

  /** Come back after `crash` (flows kept). */
  restart(): void {
    this.#crashed = false;
    this.reconnect();
  }

  /**
   * Log in again on a fresh connection (the bus calls it when the node
   * restarts or the bus resets). No effect while crashed.
   */
  reconnect(): void {
    if (this.#crashed) return;
    this.#leave();
    const users = this.#node.users;
    const first = users ? Object.entries(users)[0] : undefined;
    const user = this.#options.user ?? first?.[0] ?? null;
    const password = this.#options.password ?? first?.[1] ?? null;
    const session = ++this.#session;
    const live = (): boolean => session === this.#session;
    const sink: PortSink = {
      data: () => {},
      flowAck: () => {},
      flowResult: () => {},
      globalConnect: () => {},
      closed: (why) => {
        if (!live()) return;
        this.#port = null;
        this.#host.log(`IPSC ${this.unitId}/${this.processIndex} lost: ${why}`);
      },
      invokeFlow: (inv) => {
        if (live() && this.#port) this.#invoke(this.#port, inv);
      },
      notify: (msg) => {
        if (live()) this.#notify(msg);
      },
    };
    const result = this.#host.attach(this.#node.host, this.#node.port, {
      address: this.address,
      user,
      password,
      addInfo: gbk(this.#options.addInfo ?? "mock-ipsc"),
    }, sink);
    if (result.ok) this.#port = result.port;
    else {
      this.#host.log(
        `IPSC ${this.unitId}/${this.processIndex} cannot log in (${result.code}): ${result.reason}`,
      );
    }
  }

  /** Forget received notifications and come back if crashed (used by `bus.reset`). */
  resetState(): void {
    this.#notifications = [];
    this.restart();
  }

  #leave(): void {
    this.#session++;
    this.#port?.detach();
    this.#port = null;
  }

  #notify(msg: NotifyMessage): void {
    const n: IpscNotification = {
      time: this.#host.clock.now(),
      from: copyAddress(msg.from),
      invokeId: msg.invokeId,
      project: decodeText(msg.projectId, "gbk"),
      title: decodeText(msg.title, "gbk"),
      mode: msg.mode,
      expiresMs: msg.expiresMs,
      param: decodeText(msg.param, "gbk"),
    };
    this.#notifications.push(n);
    for (const fn of this.#listeners) {
      try {
        fn({ ...n, from: copyAddress(n.from) });
      } catch (e) {
        this.#host.log(`an onNotify listener threw: ${e}`);
      }
    }
  }

  #invoke(port: BusPort, inv: FlowInvocation): void {
    const host = this.#host;
    const project = decodeText(inv.projectId, "gbk");
    const flow = decodeText(inv.flowId, "gbk");
    const me = `IPSC ${this.unitId}/${this.processIndex}`;
    let acked = false;
    let silent = false;
    let answered = false;
    const ack = (code: number, msg: string): void => {
      if (acked || silent) return;
      acked = true;
      port.flowAck(inv.from, inv.invokeId, inv.projectId, code, gbk(msg));
    };
    const answer = (ret: number, param: Uint8Array): void => {
      if (answered || silent || inv.mode !== 0) return;
      answered = true;
      port.flowResult(inv.from, inv.invokeId, inv.projectId, ret, param);
    };
    const handler = this.#flows.get(flowKey(project, flow));
    if (!handler) {
      const why = `no such flow ${project}/${flow} on ${me}`;
      ack(-1, why);
      host.unhandled(inv.from, inv.invokeId, why);
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
}
