/**
 * Mock IPSC flow servers: clients of type IPSC (2) on the mock bus whose
 * flows are async JS functions. An invocation is acknowledged (ack 1) as
 * soon as the handler's synchronous part has run, then answered with ret 1
 * and the handler's value as a GBK JSON array when the caller wants a
 * result (mode 0).
 *
 * @module
 */
import { ClientType, FLOW_ACK_OK } from "../../abi/constants.ts";
import { libraryFlowTimeoutMs } from "../../abi/timeouts.ts";
import { decodeText } from "../../api/text.ts";
import type { BusContext } from "../bus/bus_context.ts";
import { attach } from "../bus/attach.ts";
import type {
  BusAddress,
  BusPort,
  FlowInvocation,
  NotifyMessage,
  PortSink,
} from "../bus/contract.ts";
import type { FlowFault, FlowFaultSetting } from "../bus/fault_policy.ts";
import { copyAddress, formatAddress } from "../bus/address.ts";
import { TextMemo } from "../bus/text_memo.ts";
import {
  EMPTY,
  type FlowHandler,
  FlowRun,
  gbkLoose,
  parseFlowParams,
} from "./flow_run.ts";

/**
 * How to add a mock IPSC ({@link MockBus.addIpsc}).
 *
 * @example
 * ```ts
 * import type { MockIpscOptions } from "@smartbus/netclient/mock";
 * const second: MockIpscOptions = { unitId: 0, processIndex: 1, node: 1 };
 * ```
 */
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

const flowKey = (project: string, flow: string): string =>
  `${project}\0${flow}`;

/**
 * A mock IPSC flow server on a {@link MockBus}; create it with
 * `bus.addIpsc`.
 *
 * @example
 * ```ts
 * import { FlowFailure, MockBus, type MockIpsc } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * const ipsc: MockIpsc = bus.addIpsc({ unitId: 0, processIndex: 1 });
 * ipsc
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
  #ctx: BusContext;
  /** Its name in log lines. */
  #name: string;
  #node: { host: string; port: number; users?: Record<string, string> };
  #options: MockIpscOptions;
  #flows = new Map<string, FlowHandler>();
  #port: BusPort | null = null;
  #session = 0;
  #crashed = false;
  #fault: FlowFaultSetting | undefined;
  #notifications: IpscNotification[] = [];
  #listeners = new Set<(n: IpscNotification) => void>();
  #names = new TextMemo();

  /** Use `bus.addIpsc` instead. */
  constructor(
    ctx: BusContext,
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
    this.#ctx = ctx;
    this.#name = `IPSC ${this.unitId}/${this.processIndex}`;
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

  /** The handler registered for `flowName` of `project`, if any. */
  handler(project: string, flowName: string): FlowHandler | undefined {
    return this.#flows.get(flowKey(project, flowName));
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
    this.#ctx.log(`${this.#name} crashed`);
  }

  /**
   * Force every flow of this IPSC to misbehave: `silent` acknowledges
   * (ack 1) and never answers, `mute` sends nothing at all, `late` runs the
   * flow and answers `lateByMs` after the caller's timeout; `null` behaves
   * again. Also reachable as `bus.faults.flows(ipsc, mode)`.
   */
  setFlowFault(mode: FlowFault | null, lateByMs = 1): void {
    if (mode === null && this.#fault === undefined) return;
    this.#fault = mode === null ? undefined : { mode, lateByMs };
    this.#ctx.log(`${this.#name} flows: ${mode ?? "normal"}`);
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
        this.#ctx.log(`${this.#name} lost: ${why}`);
      },
      invokeFlow: (inv) => {
        if (live() && this.#port) this.#invoked(this.#port, inv);
      },
      notify: (msg) => {
        if (live()) this.#notify(msg);
      },
    };
    const result = attach(this.#ctx, this.#node.host, this.#node.port, {
      address: this.address,
      user,
      password,
      addInfo: gbkLoose(this.#options.addInfo ?? "mock-ipsc"),
    }, sink);
    if (result.ok) this.#port = result.port;
    else {
      this.#ctx.log(
        `${this.#name} cannot log in (${result.code}): ${result.reason}`,
      );
    }
  }

  /** Forget received notifications and flow faults, come back if crashed (used by `bus.reset`). */
  resetState(): void {
    this.#notifications = [];
    this.#fault = undefined;
    this.restart();
  }

  #leave(): void {
    this.#session++;
    this.#port?.detach();
    this.#port = null;
  }

  /**
   * Run the flow `inv` names, unless a fault forbids it (`mute`: nothing,
   * `silent`: ack 1 only); no such flow: ack -1, recorded as unhandled;
   * unreadable parameters: ack -1.
   */
  #invoked(port: BusPort, inv: FlowInvocation): void {
    const ctx = this.#ctx;
    const project = this.#names.get(inv.projectId);
    const flow = this.#names.get(inv.flowId).text;
    const fault = this.#fault;
    if (fault?.mode === "mute" || fault?.mode === "silent") {
      ctx.log(
        `${this.#name} flow ${project.text}/${flow}: ${fault.mode} by fault`,
      );
      if (fault.mode === "silent") {
        port.flowAck(inv.from, inv.invokeId, inv.projectId, FLOW_ACK_OK, EMPTY);
      }
      return;
    }
    const answerAt = fault?.mode === "late"
      ? ctx.clock.now() + libraryFlowTimeoutMs(inv.timeoutMs) + fault.lateByMs
      : undefined;
    const run = new FlowRun(
      ctx,
      this.#name,
      port,
      inv,
      project,
      flow,
      answerAt,
    );
    const handler = this.#flows.get(flowKey(project.text, flow));
    if (!handler) {
      const why = `no such flow ${project.text}/${flow} on ${this.#name}`;
      run.ack(-1, why);
      ctx.flows.unhandled(inv.from, inv.invokeId, why);
      return;
    }
    let params: unknown[];
    try {
      params = parseFlowParams(inv.params);
    } catch (e) {
      const why = `invalid parameter list: ${(e as Error).message}`;
      ctx.log(
        `${this.#name} flow ${project.text}/${flow} from ${
          formatAddress(inv.from)
        } (invoke id ${inv.invokeId}) refused: ${why}`,
      );
      run.ack(-1, why);
      return;
    }
    run.start(handler, params);
  }

  #notify(msg: NotifyMessage): void {
    const n: IpscNotification = {
      time: this.#ctx.clock.now(),
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
        this.#ctx.log(`an onNotify listener threw: ${e}`);
      }
    }
  }
}
