/**
 * {@link Client}: one SmartBus network client (one local client id) of a
 * unit: the original Python package's class, with its methods, properties and overridable `on*`
 * events, plus awaitable calls and typed listeners.
 *
 * @example
 * ```ts
 * import { Client, SmartBus } from "@smartbus/netclient";
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const mock = new MockBus();
 * mock.addNode({ unitId: 0, port: 8000 });
 * mock.addIpsc({ unitId: 0, processIndex: 0 }).flow("proj", "hello", ([name]) => [`hi ${name}`]);
 * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(mock) });
 * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 8000 });
 * await client.connect();
 * console.log(await client.invoke({ server: 0, process: 0, project: "proj", flow: "hello", params: ["ann"] }));
 * ```
 * @module
 */
import {
  AbortedError,
  AlreadyExistsError,
  NotInitializedError,
} from "../abi/errors.ts";
import {
  defaultBus,
  finalize,
  getUnitId,
  initialize,
  isInitialized,
} from "./facade.ts";
import { SmartBus } from "./smartbus.ts";
import { CmdType, ErrorCode } from "../abi/constants.ts";
import { InvalidArgumentError } from "../abi/errors.ts";
import type { ConnectionStatus } from "./status.ts";
import type { TextEncodingName } from "./text.ts";
import * as v from "./validate.ts";
import type { PackInfo } from "../abi/packinfo.ts";
import type { ClientEvents } from "./client_events.ts";
import { ClientLink } from "./client_link.ts";
import {
  type Address,
  type CallOptions,
  callSettings,
  clientFields,
  type ClientOptions,
  clientOptionsFrom,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_FLOW_TIMEOUT_MS,
  type FlowCall,
} from "./client_args.ts";
import { destination, notifyArgs, payload } from "./library_args.ts";
import type { ClientStats } from "./client_stats.ts";
import {
  flowOutcomeOf,
  type InvokeTraceContext,
  type PingTraceContext,
  tracers,
} from "./tracing.ts";

/**
 * A SmartBus network client. Create it with an options object (or the
 * original package's positional parameters, on the process-wide unit),
 * `connect()`, then send, ping and invoke flows. Events come both as
 * overridable `on*` methods (the original package's) and as typed listeners
 * through `on(event, fn)`.
 *
 * @example
 * ```ts
 * import { Client, ClientType, CmdType, initialize } from "@smartbus/netclient";
 * initialize(17);
 * class Agent extends Client {
 *   override onReceiveText(_info: unknown, text: string): void {
 *     console.log("got", text);
 *   }
 * }
 * const agent = new Agent({ localClientId: 1, localClientType: ClientType.AGENT, masterHost: "10.0.0.1", masterPort: 8000 });
 * agent.on("disconnect", () => console.log("link lost; the library reconnects"));
 * await agent.connect({ timeout: 10_000 });
 * agent.send(1, CmdType.USER, 18, 1, ClientType.AGENT, "hello");
 * console.log(await agent.invoke({ server: 0, process: 0, project: "ivr", flow: "callout", params: ["10086"] }));
 * ```
 */
export class Client {
  /** The original Python package's classmethod `initialize`: see {@link initialize}. */
  static initialize: typeof initialize = initialize;
  /** The original Python package's classmethod `finalize`: see {@link finalize}. */
  static finalize: typeof finalize = finalize;
  /** The original Python package's classmethod `getUnitId`: see {@link getUnitId}. */
  static getUnitId: typeof getUnitId = getUnitId;
  /** The original Python package's classmethod `isInitialized`: see {@link isInitialized}. */
  static isInitialized: typeof isInitialized = isInitialized;
  /** The unit this client belongs to. */
  readonly bus: SmartBus;
  /** The original Python package's `localClientId`. */
  readonly localClientId: number;
  /** The original Python package's `localClientType`. */
  readonly localClientType: number;
  /** Master bus server host. */
  readonly masterHost: string;
  /** Master bus server port. */
  readonly masterPort: number;
  /** Slave bus server host, or null. */
  readonly slaverHost: string | null;
  /** Slave bus server port (0xFFFF: none). */
  readonly slaverPort: number;
  /** Login name, or null. */
  readonly authorUsr: string | null;
  /** Password, or null. */
  readonly authorPwd: string | null;
  /** Connection additional info, or null. */
  readonly extInfo: string | null;
  /** Text encoding for sending and receiving. */
  readonly encoding: TextEncodingName;
  /** Unit id of the bus server reached; null before the first connect. */
  unitid: number | null = null;
  #link: ClientLink;

  /** Seed form: `new Client(localClientId, localClientType, masterHost, masterPort, slaverHost?, slaverPort?, authorUsr?, authorPwd?, extInfo?, encoding?)`. */
  constructor(
    localClientId: number,
    localClientType: number,
    masterHost: string,
    masterPort: number,
    slaverHost?: string | null,
    slaverPort?: number,
    authorUsr?: string | null,
    authorPwd?: string | null,
    extInfo?: string | null,
    encoding?: string,
  );
  /** Options form. */
  constructor(options: ClientOptions);
  constructor(...args: unknown[]) {
    const o = clientOptionsFrom(args);
    if (o.bus !== undefined && !(o.bus instanceof SmartBus)) {
      throw new InvalidArgumentError(
        "bus",
        `must be a SmartBus, got ${v.showValue(o.bus)}`,
      );
    }
    const bus = o.bus ?? defaultBus();
    bus._assertOpen("new Client");
    const f = clientFields(o);
    this.bus = bus;
    this.localClientId = f.localClientId;
    this.localClientType = f.localClientType;
    this.masterHost = f.masterHost;
    this.masterPort = f.masterPort;
    this.slaverHost = f.slaverHost;
    this.slaverPort = f.slaverPort;
    this.authorUsr = f.authorUsr;
    this.authorPwd = f.authorPwd;
    this.extInfo = f.extInfo;
    this.encoding = f.encoding;
    this.#link = new ClientLink(this);
    if (!bus._register(this.#link)) {
      throw new AlreadyExistsError(this.localClientId);
    }
  }

  /** The original Python package's `addr_expr`: `"<unitid> <clientId> <clientType>"`. */
  get addr_expr(): string {
    return `${this.unitid} ${this.localClientId} ${this.localClientType}`;
  }
  /** Same as `addr_expr`. */
  get addrExpr(): string {
    return this.addr_expr;
  }
  /** Same as `unitid`. */
  get unitId(): number | null {
    return this.unitid;
  }
  /** The current connection status. */
  get state(): ConnectionStatus {
    return this.#link.status.current;
  }
  /** Whether `close()`/`dispose()` has run. */
  get closed(): boolean {
    return this.#link.closed;
  }
  /** How many awaited flow calls are pending. */
  get pendingFlows(): number {
    return this.#link.flows.size;
  }

  /**
   * This client's figures since it was created: data, pings, flows and
   * their outcomes, notifications, connection events, latency summaries
   * (ms on the unit's clock). A fresh plain object, cheap enough to read
   * every second; still readable after `close()`. Field by field:
   * `docs/stats.md`.
   *
   * @example
   * ```ts
   * import { Client, SmartBus } from "@smartbus/netclient";
   * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
   * const mock = new MockBus();
   * mock.addNode({ unitId: 0, port: 8000 });
   * mock.addIpsc({ unitId: 0, processIndex: 0 }).flow("ivr", "hello", () => ["hi"]);
   * await using bus = new SmartBus({ unitId: 17, backend: new MockBackend(mock) });
   * const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 8000 });
   * await client.connect();
   * await client.invoke({ server: 0, process: 0, project: "ivr", flow: "hello" });
   * const { flows, latency } = client.stats();
   * console.log(flows.answered, latency.flowResult.lifetime.p50); // 1, then the ms it took
   * ```
   */
  stats(): ClientStats {
    const link = this.#link;
    return {
      localClientId: this.localClientId,
      state: link.status.current.state,
      ...link.counters.totals(this.bus.timers.now(), {
        flows: link.flowsInFlight,
        pings: link.pingsInFlight,
      }),
    };
  }

  /** Add a typed listener; returns the function that removes it. */
  on<K extends keyof ClientEvents>(
    event: K,
    listener: (...args: ClientEvents[K]) => unknown,
  ): () => void {
    return this.#link.events.on(event, listener);
  }

  // The original Python package's overridable events: override in a subclass or assign; the
  // listeners of `on()` run after them.
  /** Connected: `unitId` is the bus server reached. */
  onConnectSuccess(_unitId: number): void {}
  /** A connection attempt failed with `errno`; the library retries unless it is an auth error. */
  onConnectFail(_unitId: number, _errno: number): void {}
  /** An established connection broke; the library reconnects by itself. */
  onDisconnect(): void {}
  /** Text (or a ping answer, cmdType 8) arrived. */
  onReceiveText(_packInfo: PackInfo, _txt: string): void {}
  /** The IPSC acknowledged a flow call: ack 1 started, else not (`msg` says why). */
  onInvokeFlowAcknowledge(
    _packInfo: PackInfo | null,
    _project: string,
    _invokeId: number,
    _ack: number,
    _msg: string,
  ): void {}
  /** A flow returned: `result` is its parsed JSON array, or null when empty. */
  onInvokeFlowRespond(
    _packInfo: PackInfo | null,
    _project: string,
    _invokeId: number,
    _result: unknown[] | null,
  ): void {}
  /** No result before the timeout (the library's timer; `packInfo` is null). */
  onInvokeFlowTimeout(
    _packInfo: PackInfo | null,
    _project: string,
    _invokeId: number,
  ): void {}
  /** A flow call failed with `errno`. */
  onInvokeFlowError(
    _packInfo: PackInfo | null,
    _project: string,
    _invokeId: number,
    _errno: number,
  ): void {}

  /** Status changes as an async iterable (starts with the current one, ends on close). */
  status(): AsyncIterableIterator<ConnectionStatus> {
    return this.#link.status.subscribe();
  }

  /**
   * Start connecting (`CreateConnect`); an immediate library error throws a
   * `LibraryError` synchronously. The returned promise resolves with the unit
   * id of the bus server reached, rejects with `ConnectError` on an
   * authentication failure or when the deadline passes (the library keeps
   * retrying any other failure), or `AbortedError` on abort. Not awaiting it is
   * fine: its failure is reported to the logger and to `onConnectFail`, never
   * as an unhandled rejection. Calling it again while connecting or connected
   * only waits.
   */
  connect(options?: CallOptions): Promise<number> {
    this.#assertOpen("connect");
    const { timeoutMs, signal } = callSettings(
      options,
      DEFAULT_CALL_TIMEOUT_MS,
    );
    const t = tracers.connect;
    if (!t.active) return this.#link.connect(timeoutMs, signal);
    const traced = t.promise({
      unitId: this.bus.unitId,
      localClientId: this.localClientId,
      master: `${this.masterHost}:${this.masterPort}`,
      slave: this.slaverHost === null
        ? null
        : `${this.slaverHost}:${this.slaverPort}`,
    }, () => this.#link.connect(timeoutMs, signal));
    traced.catch(() => {}); // as the untraced promise: never unhandled
    return traced;
  }

  /** The original Python package's `send`: text is encoded and sent with a trailing NUL; bytes as given. */
  send(
    cmd: number,
    cmdType: number,
    dstUnitId: number,
    dstClientId: number,
    dstClientType: number,
    data: string | Uint8Array,
    encoding?: string,
  ): void {
    this.#assertOpen("send");
    const c = v.assertByte("cmd", cmd);
    const t = v.assertByte("cmdType", cmdType);
    if (t === CmdType.INTERNAL) {
      // cmdtype 0 is the link's own (registration, heartbeats): the
      // vendor's library refuses it for data (-16).
      throw new InvalidArgumentError(
        "cmdType",
        "0 is reserved for the link's own commands; data needs 1–255",
        { code: ErrorCode.CMDTYPE_INVALID },
      );
    }
    const dst = destination(dstUnitId, dstClientId, dstClientType);
    const bytes = payload(data, encoding, this.encoding);
    if (tracers.send.active) return this.#sendTraced(c, t, dst, bytes);
    this.#link.sendData(c, t, dst, bytes);
  }

  /**
   * `send` with a subscriber on its tracing channel. Its own method: kept
   * inline in `send`, the context and closure cost the untraced call too
   * (Bun: about 90 ns, bench/README.md).
   */
  #sendTraced(c: number, t: number, dst: Address, bytes: Uint8Array): void {
    tracers.send.sync({
      unitId: this.bus.unitId,
      localClientId: this.localClientId,
      dst,
      cmd: c,
      cmdType: t,
      bytes: bytes.byteLength,
    }, () => this.#link.sendData(c, t, dst, bytes));
  }

  /** The original Python package's `ping`; the answer arrives as received data with cmd 8, cmdType 1. */
  ping(
    dstUnitId: number,
    dstClientId: number,
    dstClientType: number,
    data: string | Uint8Array = "",
    encoding?: string,
  ): void {
    this.#assertOpen("ping");
    const dst = destination(dstUnitId, dstClientId, dstClientType);
    const bytes = payload(data, encoding, this.encoding);
    const tracer = tracers.ping;
    if (!tracer.active) return this.#link.sendPing(dst, bytes);
    tracer.sync({
      unitId: this.bus.unitId,
      localClientId: this.localClientId,
      dst,
      bytes: bytes.byteLength,
      awaited: false,
    }, () => this.#link.sendPing(dst, bytes));
  }

  /**
   * Ping `dst` and resolve with the round-trip time in ms (on the unit's
   * timers). Its answer is consumed here, not raised as `onReceiveText`.
   */
  rtt(dst: Address, options?: CallOptions): Promise<number> {
    this.#assertOpen("rtt");
    const d = destination(dst?.unitId, dst?.clientId, dst?.clientType);
    const { timeoutMs, signal } = callSettings(
      options,
      DEFAULT_CALL_TIMEOUT_MS,
    );
    const tracer = tracers.ping;
    if (!tracer.active) {
      return this.#link.rtts.start(
        (payload) => this.#link.sendPing(d, payload),
        `ping of ${d.unitId} ${d.clientId} ${d.clientType}`,
        timeoutMs,
        signal,
      );
    }
    const ctx: PingTraceContext = {
      unitId: this.bus.unitId,
      localClientId: this.localClientId,
      dst: d,
      bytes: 0,
      awaited: true,
    };
    return tracer.promise(ctx, () =>
      this.#link.rtts.start(
        (payload) => {
          ctx.bytes = payload.byteLength;
          this.#link.sendPing(d, payload);
        },
        `ping of ${d.unitId} ${d.clientId} ${d.clientType}`,
        timeoutMs,
        signal,
      ));
  }

  /**
   * The original Python package's `invokeFlow`: returns the invoke id at once; the outcome comes
   * as `onInvokeFlowAcknowledge` then one of `onInvokeFlowRespond`,
   * `onInvokeFlowTimeout`, `onInvokeFlowError`. `timeout` is in seconds.
   */
  invokeFlow(
    server: number,
    process: number,
    project: string,
    flow: string,
    parameters: unknown = [],
    isNeedReturn = true,
    timeout = 30,
  ): number {
    this.#assertOpen("invokeFlow");
    const timeoutMs = v.assertTimeoutSeconds("timeout", timeout);
    const call: FlowCall = {
      server,
      process,
      project,
      flow,
      params: parameters,
      wantResult: isNeedReturn,
    };
    const start = (): number => {
      const id = this.#link.invokeFlow(call, timeoutMs);
      this.#link.flows.started(id, project, isNeedReturn !== false, timeoutMs);
      return id;
    };
    const tracer = tracers.invoke;
    if (!tracer.active) return start();
    const ctx = this.#invokeContext(call, timeoutMs, false);
    return tracer.sync(ctx, () => ctx.invokeId = start());
  }

  /**
   * Call a flow and resolve with its result list (`[]` when it returned
   * nothing, or on the acknowledge when `wantResult` is false). Rejects with
   * `FlowTimeoutError`, `FlowNotStartedError` (ack ≠ 1), `FlowError` (its
   * code), `AbortedError`; `timeout` is in ms (default 30 000).
   */
  invoke(call: FlowCall, options?: CallOptions): Promise<unknown[]> {
    try {
      this.#assertOpen("invoke");
      const { timeoutMs, signal } = callSettings(
        options,
        DEFAULT_FLOW_TIMEOUT_MS,
      );
      if (signal?.aborted) {
        throw new AbortedError("invoke", { cause: signal.reason });
      }
      const tracer = tracers.invoke;
      if (!tracer.active) {
        const id = this.#link.invokeFlow(call, timeoutMs);
        return this.#track(id, call, timeoutMs, signal);
      }
      const ctx = this.#invokeContext(call, timeoutMs, true);
      return tracer.promise(ctx, () => {
        let id: number;
        try {
          id = this.#link.invokeFlow(call, timeoutMs);
        } catch (e) {
          ctx.outcome = "error";
          throw e;
        }
        ctx.invokeId = id;
        return this.#track(id, call, timeoutMs, signal);
      }, (c, error) => {
        c.outcome = error === undefined ? "answered" : flowOutcomeOf(error);
      });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Await call `id` as `invoke()` does, traced or not. */
  #track(
    id: number,
    call: FlowCall,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<unknown[]> {
    return this.#link.flows.track(
      id,
      call.project,
      call.wantResult !== false,
      timeoutMs,
      signal,
    );
  }

  #invokeContext(
    call: FlowCall,
    timeoutMs: number,
    awaited: boolean,
  ): InvokeTraceContext {
    return {
      unitId: this.bus.unitId,
      localClientId: this.localClientId,
      server: call?.server,
      process: call?.process,
      project: call?.project,
      flow: call?.flow,
      wantResult: call?.wantResult !== false,
      timeoutMs,
      awaited,
    };
  }

  /** The original Python package's `sendNotify`: `expires` in seconds; returns the invoke id. */
  sendNotify(
    server: number,
    process: number,
    project: string | null,
    title: string,
    mode: number,
    expires: number,
    param: string,
  ): number {
    this.#assertOpen("sendNotify");
    const a = notifyArgs(server, process, project, title, mode, expires, param);
    const tracer = tracers.notify;
    if (!tracer.active) return this.#link.sendNotify(a);
    return tracer.sync({
      unitId: this.bus.unitId,
      localClientId: this.localClientId,
      server,
      process,
      project,
      title,
      mode,
      expires,
    }, () => this.#link.sendNotify(a));
  }

  /**
   * The original Python package's `dispose()`: forget this client; its id can be used again.
   * The library's link stays until the unit is released (the C ABI has no
   * per-client disconnect: it stays logged in and counts against the node's
   * 16 clients); a new `Client` with this id and the same settings takes it
   * over, and `bus.links()` lists it meanwhile. Same as `close()`.
   */
  dispose(): void {
    this.close();
  }

  /**
   * Forget this client: pending calls reject with `AbortedError`, status
   * iterators end, listeners are dropped. Idempotent. The library has no
   * call to drop one connection, so the link itself lasts until the unit is
   * closed.
   */
  close(): void {
    this.#link._close("client closed");
  }

  /** Same as `close()`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  #assertOpen(what: string): void {
    if (this.#link.closed) {
      throw new NotInitializedError(
        `${what}: client ${this.localClientId} is disposed and`,
      );
    }
    this.bus._assertOpen(what);
  }
}
