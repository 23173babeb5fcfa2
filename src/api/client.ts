/**
 * {@link Client}: one SmartBus network client (one local client id) of a
 * unit: the seed's class, with its methods, properties and overridable `on*`
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
  AUTH_ERROR_CODES,
  ClientType,
  CmdType,
  ErrorCode,
  errorCodeName,
  InvokeMode,
  NO_SLAVE_PORT,
} from "./constants.ts";
import { Emitter } from "./emitter.ts";
import {
  AbortedError,
  AlreadyExistsError,
  ConnectError,
  InvalidArgumentError,
  LibraryError,
  NotInitializedError,
  TimeoutError,
} from "./errors.ts";
import {
  defaultBus,
  finalize,
  getUnitId,
  initialize,
  isInitialized,
} from "./facade.ts";
import { FlowTracker } from "./flows.ts";
import { PackInfo } from "./packinfo.ts";
import { parseFlowResult, serializeFlowParams } from "./params.ts";
import { Pending } from "./pending.ts";
import { describeCode, type SmartBus } from "./smartbus.ts";
import { type ConnectionStatus, StatusFeed } from "./status.ts";
import {
  cString,
  decodeGbkOrUtf8,
  decodeText,
  encodeText,
  normalizeEncoding,
  stripNuls,
  type TextEncodingName,
  transientCString,
} from "./text.ts";
import * as v from "./validate.ts";
import type { ClientEvents } from "./client_events.ts";

/** Where a message goes: a client anywhere on the bus. */
export interface Address {
  /** Unit id (16–47 a client unit, 0–15 a node). */
  unitId: number;
  /** Client id on that unit. */
  clientId: number;
  /** Client type (`ClientType`). */
  clientType: number;
}

/** Options every awaitable call accepts. */
export interface CallOptions {
  /** Milliseconds before the call rejects; a positive finite number. */
  timeout?: number;
  /** Aborting rejects the call with `AbortedError`. */
  signal?: AbortSignal;
}

/** Options of {@link Client}: the seed's constructor parameters by name. */
export interface ClientOptions {
  /** The unit this client belongs to; default: the process-wide one of `initialize()`. */
  bus?: SmartBus;
  /** 0–255, unique within the unit. */
  localClientId: number;
  /** Default `ClientType.NULL`... the seed required it; 0–255. */
  localClientType?: number;
  /** Master bus server host (name or IP, < 64 bytes). */
  masterHost: string;
  /** Master bus server port. */
  masterPort: number;
  /** Slave bus server host; null/empty for none. */
  slaverHost?: string | null;
  /** Slave bus server port; 0xFFFF (default) for none. */
  slaverPort?: number;
  /** Login name; null for none. */
  authorUsr?: string | null;
  /** Password; null for none. */
  authorPwd?: string | null;
  /** Additional info other clients see in global connect events (GBK). */
  extInfo?: string | null;
  /** Text encoding for send/receive: `"utf-8"` (default) or `"gbk"`. */
  encoding?: string;
}

/** A flow to call with {@link Client.invoke}. */
export interface FlowCall {
  /** The IPSC's unit id. */
  server: number;
  /** The IPSC's process index (its client id). */
  process: number;
  /** The flow's project id (GBK). */
  project: string;
  /** The flow's name (GBK). */
  flow: string;
  /** Anything JSON can carry; a non-array becomes a one-element list. */
  params?: unknown;
  /** `false`: resolve on the acknowledge, with `[]` (mode 1). Default true. */
  wantResult?: boolean;
}

/** Default timeout of `connect()` and `rtt()`, ms. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/** The seed's default flow timeout, ms. */
export const DEFAULT_FLOW_TIMEOUT_MS = 30_000;
const RTT_PREFIX = "\u0001smartbus-rtt:";

/**
 * A SmartBus network client. Create it with an options object (or the seed's
 * positional parameters against the process-wide unit), `connect()`, then
 * send, ping and invoke flows. Events come both as overridable `on*` methods
 * (the seed's) and as typed listeners through `on(event, fn)`.
 */
export class Client {
  /** The seed's classmethod `initialize`: see {@link initialize}. */
  static initialize: typeof initialize = initialize;
  /** The seed's classmethod `finalize`: see {@link finalize}. */
  static finalize: typeof finalize = finalize;
  /** The seed's classmethod `getUnitId`: see {@link getUnitId}. */
  static getUnitId: typeof getUnitId = getUnitId;
  /** The seed's classmethod `isInitialized`: see {@link isInitialized}. */
  static isInitialized: typeof isInitialized = isInitialized;
  /** The unit this client belongs to. */
  readonly bus: SmartBus;
  /** The seed's `localClientId`. */
  readonly localClientId: number;
  /** The seed's `localClientType`. */
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
  #events: Emitter<ClientEvents>;
  #status = new StatusFeed();
  #flows: FlowTracker;
  #connectWaiters = new Set<Pending<number>>();
  #rtts = new Map<string, { pending: Pending<number>; sent: number }>();
  #rttSeq = 0;
  #connectStarted = false;
  #closed = false;
  #lastConnectCode = 0;

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
    const o: ClientOptions = typeof args[0] === "object" && args[0] !== null
      ? args[0] as ClientOptions
      : {
        localClientId: args[0] as number,
        localClientType: args[1] as number,
        masterHost: args[2] as string,
        masterPort: args[3] as number,
        slaverHost: args[4] as string | null | undefined,
        slaverPort: args[5] as number | undefined,
        authorUsr: args[6] as string | null | undefined,
        authorPwd: args[7] as string | null | undefined,
        extInfo: args[8] as string | null | undefined,
        encoding: args[9] as string | undefined,
      };
    const bus = o.bus ?? defaultBus();
    bus._assertOpen("new Client");
    this.bus = bus;
    this.localClientId = v.assertLocalClientId(o.localClientId);
    this.localClientType = v.assertClientType(
      o.localClientType ?? ClientType.NULL,
      "localClientType",
    );
    this.masterHost = hostArg("masterHost", o.masterHost);
    this.masterPort = v.assertPort("masterPort", o.masterPort);
    this.slaverHost = o.slaverHost == null || o.slaverHost === ""
      ? null
      : hostArg("slaverHost", o.slaverHost);
    this.slaverPort = v.assertPort("slaverPort", o.slaverPort ?? NO_SLAVE_PORT);
    this.authorUsr = v.assertString("authorUsr", o.authorUsr ?? null, {
      nullable: true,
    });
    this.authorPwd = v.assertString("authorPwd", o.authorPwd ?? null, {
      nullable: true,
    });
    this.extInfo = v.assertString("extInfo", o.extInfo ?? null, {
      nullable: true,
    });
    this.encoding = normalizeEncoding(o.encoding ?? "utf-8");
    // Encode now so that bad credentials fail here, not at connect().
    this.#connectArgs();
    this.#events = new Emitter(bus.logger);
    this.#flows = new FlowTracker(bus.timers);
    if (!bus._register(this)) throw new AlreadyExistsError(this.localClientId);
  }

  /** The seed's `addr_expr`: `"<unitid> <clientId> <clientType>"`. */
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
    return this.#status.current;
  }
  /** Whether `close()`/`dispose()` has run. */
  get closed(): boolean {
    return this.#closed;
  }
  /** How many awaited flow calls are pending. */
  get pendingFlows(): number {
    return this.#flows.size;
  }

  /** Add a typed listener; returns the function that removes it. */
  on<K extends keyof ClientEvents>(
    event: K,
    listener: (...args: ClientEvents[K]) => unknown,
  ): () => void {
    return this.#events.on(event, listener);
  }

  /** Status changes as an async iterable (starts with the current one, ends on close). */
  status(): AsyncIterableIterator<ConnectionStatus> {
    return this.#status.subscribe();
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
  connect(options: CallOptions = {}): Promise<number> {
    this.#assertOpen("connect");
    const timeoutMs = callTimeout(options, DEFAULT_CALL_TIMEOUT_MS);
    if (!this.#connectStarted) {
      const a = this.#connectArgs();
      const rc = this.bus.backend.createConnect(
        this.localClientId,
        this.localClientType,
        a.master,
        this.masterPort,
        a.slave,
        this.slaverPort,
        a.user,
        a.pwd,
        a.info,
      );
      if (rc < 0) throw new LibraryError("SmartBusNetCli_CreateConnect", rc);
      this.#connectStarted = true;
      this.#status.push({ state: "connecting" });
    }
    const now = this.#status.current;
    if (now.state === "connected") return Promise.resolve(now.unitId);
    const p = new Pending<number>(this.bus.timers, {
      what: `connect of client ${this.localClientId}`,
      timeoutMs,
      signal: options.signal,
      onTimeout: () =>
        new ConnectError(
          `client ${this.localClientId} not connected within ${timeoutMs} ms` +
            (this.#lastConnectCode
              ? ` (last error ${describeCode(this.#lastConnectCode)})`
              : ""),
          this.#lastConnectCode || ErrorCode.TIMEOUT,
        ),
      onSettle: () => this.#connectWaiters.delete(p),
    });
    if (!p.settled) this.#connectWaiters.add(p);
    p.promise.catch(() => {});
    return p.promise;
  }

  /** The seed's `send`: text is encoded and sent with a trailing NUL; bytes as given. */
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
    const dst = destination(dstUnitId, dstClientId, dstClientType);
    const bytes = this.#payload(data, encoding);
    const rc = this.bus.backend.sendData(
      this.localClientId,
      c,
      t,
      dst.unitId,
      dst.clientId,
      dst.clientType,
      bytes,
    );
    if (rc < 0) throw new LibraryError("SmartBusNetCli_SendData", rc);
  }

  /** The seed's `ping`; the answer arrives as received data with cmdType 8. */
  ping(
    dstUnitId: number,
    dstClientId: number,
    dstClientType: number,
    data: string | Uint8Array = "",
    encoding?: string,
  ): void {
    this.#assertOpen("ping");
    const dst = destination(dstUnitId, dstClientId, dstClientType);
    this.#ping(dst, this.#payload(data, encoding));
  }

  /**
   * Ping `dst` and resolve with the round-trip time in ms (on the unit's
   * timers). Its answer is consumed here, not raised as `onReceiveText`.
   */
  rtt(dst: Address, options: CallOptions = {}): Promise<number> {
    this.#assertOpen("rtt");
    const d = destination(dst?.unitId, dst?.clientId, dst?.clientType);
    const timeoutMs = callTimeout(options, DEFAULT_CALL_TIMEOUT_MS);
    const token = `${RTT_PREFIX}${this.localClientId}:${++this.#rttSeq}`;
    const pending = new Pending<number>(this.bus.timers, {
      what: `ping of ${d.unitId} ${d.clientId} ${d.clientType}`,
      timeoutMs,
      signal: options.signal,
      onTimeout: () => new TimeoutError("ping", timeoutMs),
      onSettle: () => this.#rtts.delete(token),
    });
    if (pending.settled) return pending.promise;
    this.#rtts.set(token, { pending, sent: this.bus.timers.now() });
    try {
      this.#ping(d, encodeText(token + "\0", "utf-8"));
    } catch (e) {
      pending.reject(e);
    }
    return pending.promise;
  }

  /**
   * The seed's `invokeFlow`: returns the invoke id at once; the outcome comes
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
    return this.#invoke({
      server,
      process,
      project,
      flow,
      params: parameters,
      wantResult: isNeedReturn,
    }, v.assertTimeoutSeconds("timeout", timeout));
  }

  /**
   * Call a flow and resolve with its result list (`[]` when it returned
   * nothing, or on the acknowledge when `wantResult` is false). Rejects with
   * `FlowTimeoutError`, `FlowNotStartedError` (ack ≠ 1), `FlowError` (its
   * code), `AbortedError`; `timeout` is in ms (default 30 000).
   */
  invoke(call: FlowCall, options: CallOptions = {}): Promise<unknown[]> {
    try {
      this.#assertOpen("invoke");
      const timeoutMs = callTimeout(options, DEFAULT_FLOW_TIMEOUT_MS);
      if (options.signal?.aborted) {
        throw new AbortedError("invoke", { cause: options.signal.reason });
      }
      const id = this.#invoke(call, timeoutMs);
      return this.#flows.track(
        id,
        call.project,
        call.wantResult !== false,
        timeoutMs,
        options.signal,
      );
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The seed's `sendNotify`: `expires` in seconds; returns the invoke id. */
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
    const s = v.assertNodeOrUnitId(server, "server");
    const p = v.assertInteger("process", process, 0, 255);
    const m = v.assertInteger("mode", mode, -2147483648, 2147483647);
    const ms = v.assertTimeoutSeconds("expires", expires);
    const rc = this.bus.backend.sendNotify(
      this.localClientId,
      s,
      p,
      cString(v.assertString("project", project ?? ""), "gbk", "project"),
      cString(v.assertString("title", title), "gbk", "title"),
      m,
      ms,
      cString(v.assertString("param", param), "gbk", "param"),
    );
    if (rc <= 0) {
      throw new LibraryError(
        "SmartBusNetCli_SendNotify",
        rc === 0 ? ErrorCode.OTHER : rc,
      );
    }
    return rc;
  }

  /** The seed's `dispose()`: forget this client (its id can be used again). Same as `close()`. */
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
    this._close("client closed");
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

  // The seed's overridable events. Override in a subclass or assign.
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

  /** @internal */
  _connection(accessUnitId: number, ack: number): void {
    if (this.#closed) return;
    if (ack === 0) {
      this.unitid = accessUnitId;
      this.#lastConnectCode = 0;
      this.#status.push({ state: "connected", unitId: accessUnitId });
      for (const w of [...this.#connectWaiters]) w.resolve(accessUnitId);
      this.#raise("onConnectSuccess", "connectSuccess", [accessUnitId]);
      return;
    }
    this.#lastConnectCode = ack;
    this.#status.push({
      state: "failed",
      code: ack,
      codeName: errorCodeName(ack),
    });
    this.bus.logger.warn(
      `client ${this.localClientId}: connect attempt failed with ${
        describeCode(ack)
      }`,
    );
    if (AUTH_ERROR_CODES.has(ack)) {
      for (const w of [...this.#connectWaiters]) {
        w.reject(
          new ConnectError(
            `client ${this.localClientId}: authentication refused, ${
              describeCode(ack)
            }`,
            ack,
          ),
        );
      }
    }
    this.#raise("onConnectFail", "connectFail", [accessUnitId, ack]);
  }

  /** @internal */
  _disconnect(): void {
    if (this.#closed) return;
    this.#status.push({ state: "disconnected" });
    this.#raise("onDisconnect", "disconnect", []);
  }

  /** @internal */
  _recvData(head: Uint8Array, data: Uint8Array): void {
    if (this.#closed) return;
    const info = PackInfo.fromHead(head, this.bus.backend.longSize);
    const body = stripNuls(data);
    if (info.cmdType === CmdType.PING_ACK && this.#rtts.size > 0) {
      const token = decodeText(body, "utf-8");
      const r = this.#rtts.get(token);
      if (r) {
        r.pending.resolve(this.bus.timers.now() - r.sent);
        return;
      }
    }
    const txt = info.srcUnitClientType === ClientType.IPSC
      ? decodeGbkOrUtf8(body)
      : decodeText(body, this.encoding);
    this.#events.emit("receiveData", info, data);
    this.#raise("onReceiveText", "receiveText", [info, txt]);
  }

  /** @internal */
  _flowAck(
    head: Uint8Array | null,
    project: Uint8Array,
    invokeId: number,
    ack: number,
    msg: Uint8Array,
  ): void {
    if (this.#closed) return;
    const info = head
      ? PackInfo.fromHead(head, this.bus.backend.longSize)
      : null;
    const proj = decodeGbkOrUtf8(project);
    const text = decodeGbkOrUtf8(stripNuls(msg));
    this.#flows.acknowledge(invokeId, proj, ack, text);
    this.#raise("onInvokeFlowAcknowledge", "invokeFlowAcknowledge", [
      info,
      proj,
      invokeId,
      ack,
      text,
    ]);
  }

  /** @internal */
  _flowRet(
    head: Uint8Array | null,
    project: Uint8Array,
    invokeId: number,
    ret: number,
    param: Uint8Array,
  ): void {
    if (this.#closed) return;
    const info = head
      ? PackInfo.fromHead(head, this.bus.backend.longSize)
      : null;
    const proj = decodeGbkOrUtf8(project);
    if (ret === 1) {
      let result: unknown[] | null | Error;
      try {
        result = parseFlowResult(param);
      } catch (e) {
        result = e as Error;
      }
      this.#flows.finish(invokeId, proj, ret, result);
      if (result instanceof Error) {
        this.bus.logger.error(
          `flow ${proj} (invoke id ${invokeId}) returned a result that is not JSON`,
          result,
        );
        this.#raise("onInvokeFlowError", "invokeFlowError", [
          info,
          proj,
          invokeId,
          ErrorCode.OTHER,
        ]);
      } else {
        this.#raise("onInvokeFlowRespond", "invokeFlowRespond", [
          info,
          proj,
          invokeId,
          result,
        ]);
      }
    } else if (ret === ErrorCode.TIMEOUT) {
      this.#flows.finish(invokeId, proj, ret, null);
      this.#raise("onInvokeFlowTimeout", "invokeFlowTimeout", [
        info,
        proj,
        invokeId,
      ]);
    } else {
      this.#flows.finish(invokeId, proj, ret, null);
      this.#raise("onInvokeFlowError", "invokeFlowError", [
        info,
        proj,
        invokeId,
        ret,
      ]);
    }
  }

  /** @internal */
  _close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const aborted = () =>
      new AbortedError(
        `pending call of client ${this.localClientId} (${reason})`,
      );
    for (const w of [...this.#connectWaiters]) w.reject(aborted());
    for (const r of [...this.#rtts.values()]) r.pending.reject(aborted());
    this.#flows.rejectAll(aborted);
    this.#status.push({ state: "closed" });
    this.#events.clear();
    this.bus._unregister(this);
  }

  #assertOpen(what: string): void {
    if (this.#closed) {
      throw new NotInitializedError(
        `${what}: client ${this.localClientId} is disposed and`,
      );
    }
    this.bus._assertOpen(what);
  }

  #raise<K extends keyof ClientEvents>(
    method: HandlerName,
    event: K,
    args: ClientEvents[K],
  ): void {
    const logger = this.bus.logger;
    try {
      const r = (this[method] as (...a: unknown[]) => unknown)(...args);
      if (r && typeof (r as PromiseLike<unknown>).then === "function") {
        (r as PromiseLike<unknown>).then(
          undefined,
          (e) => logger.error(`handler ${method} rejected`, e),
        );
      }
    } catch (e) {
      logger.error(`handler ${method} threw`, e);
    }
    this.#events.emit(event, ...args);
  }

  #ping(dst: Address, bytes: Uint8Array): void {
    const rc = this.bus.backend.sendPing(
      this.localClientId,
      dst.unitId,
      dst.clientId,
      dst.clientType,
      bytes,
    );
    if (rc < 0) throw new LibraryError("SmartBusNetCli_SendPing", rc);
  }

  #payload(
    data: string | Uint8Array,
    encoding: string | undefined,
  ): Uint8Array {
    const b = v.assertBytesOrString("data", data);
    if (typeof b !== "string") return b;
    const enc = encoding === undefined
      ? this.encoding
      : normalizeEncoding(encoding);
    // Peers are C programs reading C strings: the NUL is part of the data.
    return transientCString(b, enc, "data");
  }

  #invoke(call: FlowCall, timeoutMs: number): number {
    if (typeof call !== "object" || call === null) {
      throw new TypeError("invoke: a FlowCall object is required");
    }
    const server = v.assertNodeOrUnitId(call.server, "server");
    const process = v.assertInteger("process", call.process, 0, 255);
    const project = cString(
      v.assertString("project", call.project),
      "gbk",
      "project",
    );
    const flow = cString(v.assertString("flow", call.flow), "gbk", "flow");
    const params = serializeFlowParams(call.params);
    const mode = call.wantResult === false
      ? InvokeMode.FIRE_AND_FORGET
      : InvokeMode.WANT_RESULT;
    const rc = this.bus.backend.remoteInvokeFlow(
      this.localClientId,
      server,
      process,
      project,
      flow,
      mode,
      timeoutMs,
      params,
    );
    if (rc <= 0) {
      throw new LibraryError(
        "SmartBusNetCli_RemoteInvokeFlow",
        rc === 0 ? ErrorCode.OTHER : rc,
      );
    }
    return rc;
  }

  #connectArgs(): {
    master: Uint8Array;
    slave: Uint8Array | null;
    user: Uint8Array | null;
    pwd: Uint8Array | null;
    info: Uint8Array | null;
  } {
    const opt = (arg: string, s: string | null, enc: TextEncodingName) =>
      s === null ? null : cString(s, enc, arg);
    return {
      master: cString(this.masterHost, "utf-8", "masterHost"),
      slave: opt("slaverHost", this.slaverHost, "utf-8"),
      user: opt("authorUsr", this.authorUsr, this.encoding),
      pwd: opt("authorPwd", this.authorPwd, this.encoding),
      info: opt("extInfo", this.extInfo, "gbk"),
    };
  }
}

type HandlerName =
  | "onConnectSuccess"
  | "onConnectFail"
  | "onDisconnect"
  | "onReceiveText"
  | "onInvokeFlowAcknowledge"
  | "onInvokeFlowRespond"
  | "onInvokeFlowTimeout"
  | "onInvokeFlowError";

function hostArg(argument: string, host: unknown): string {
  const h = v.assertString(argument, host);
  if (h.length === 0 || h.length >= 64) {
    throw new InvalidArgumentError(
      argument,
      `must be 1–63 characters, got ${JSON.stringify(h)}`,
    );
  }
  return h;
}

function destination(
  unitId: unknown,
  clientId: unknown,
  clientType: unknown,
): Address {
  return {
    unitId: v.assertNodeOrUnitId(unitId, "dstUnitId"),
    clientId: v.assertInteger("dstClientId", clientId, 0, 255),
    clientType: v.assertClientType(clientType, "dstClientType"),
  };
}

function callTimeout(options: CallOptions, fallback: number): number {
  return options.timeout === undefined
    ? fallback
    : v.assertTimeoutMs("timeout", options.timeout);
}
