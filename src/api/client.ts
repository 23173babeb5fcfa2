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
  ClientType,
  CmdType,
  describeCode,
  ErrorCode,
  errorCodeName,
  NO_SLAVE_PORT,
} from "../abi/constants.ts";
import {
  AbortedError,
  AlreadyExistsError,
  LibraryError,
  NotInitializedError,
} from "../abi/errors.ts";
import {
  defaultBus,
  finalize,
  getUnitId,
  initialize,
  isInitialized,
} from "./facade.ts";
import { FlowTracker } from "./flows.ts";
import { PackInfo } from "../abi/packinfo.ts";
import { parseFlowResult } from "./params.ts";
import type { SmartBus } from "./smartbus.ts";
import { type ConnectionStatus, StatusFeed } from "./status.ts";
import {
  cString,
  decodeGbkOrUtf8,
  decodeText,
  normalizeEncoding,
  stripNuls,
  type TextEncodingName,
  transientCString,
} from "./text.ts";
import * as v from "./validate.ts";
import { ClientEventSource } from "./client_events.ts";
import {
  type Address,
  type CallOptions,
  callTimeout,
  type ClientOptions,
  clientOptionsFrom,
  connectArgs,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_FLOW_TIMEOUT_MS,
  destination,
  type FlowCall,
  flowCallArgs,
  hostArg,
  idOrCode,
} from "./client_args.ts";
import { RttTracker } from "./rtt.ts";
import { ConnectWaiters } from "./connect_waiters.ts";

export {
  type Address,
  type CallOptions,
  type ClientOptions,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_FLOW_TIMEOUT_MS,
  type FlowCall,
} from "./client_args.ts";

/**
 * A SmartBus network client. Create it with an options object (or the seed's
 * positional parameters against the process-wide unit), `connect()`, then
 * send, ping and invoke flows. Events come both as overridable `on*` methods
 * (the seed's) and as typed listeners through `on(event, fn)`.
 */
export class Client extends ClientEventSource {
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
  #status = new StatusFeed();
  #flows: FlowTracker;
  #connecting: ConnectWaiters;
  #rtts: RttTracker;
  #connectStarted = false;
  #closed = false;

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
    const bus = o.bus ?? defaultBus();
    super(bus.logger);
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
    connectArgs(this);
    this.#flows = new FlowTracker(bus.timers);
    this.#rtts = new RttTracker(bus.timers, `${this.localClientId}`);
    this.#connecting = new ConnectWaiters(bus.timers, this.localClientId);
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
      const a = connectArgs(this);
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
    return this.#connecting.wait(timeoutMs, options.signal);
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
    return this.#rtts.start(
      (payload) => this.#ping(d, payload),
      `ping of ${d.unitId} ${d.clientId} ${d.clientType}`,
      timeoutMs,
      options.signal,
    );
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
      throw new LibraryError("SmartBusNetCli_SendNotify", idOrCode(rc));
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

  /** @internal */
  _connection(accessUnitId: number, ack: number): void {
    if (this.#closed) return;
    if (ack === 0) {
      this.unitid = accessUnitId;
      this.#status.push({ state: "connected", unitId: accessUnitId });
      this.#connecting.connected(accessUnitId);
      this._raise("onConnectSuccess", "connectSuccess", [accessUnitId]);
      return;
    }
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
    this.#connecting.failed(ack);
    this._raise("onConnectFail", "connectFail", [accessUnitId, ack]);
  }

  /** @internal */
  _disconnect(): void {
    if (this.#closed) return;
    this.#status.push({ state: "disconnected" });
    this._raise("onDisconnect", "disconnect", []);
  }

  /** @internal */
  _recvData(head: Uint8Array, data: Uint8Array): void {
    if (this.#closed) return;
    const info = this.#packInfo(head);
    const body = stripNuls(data);
    if (info.cmdType === CmdType.PING_ACK && this.#rtts.answer(body)) return;
    const txt = info.srcUnitClientType === ClientType.IPSC
      ? decodeGbkOrUtf8(body)
      : decodeText(body, this.encoding);
    this._emit("receiveData", info, data);
    this._raise("onReceiveText", "receiveText", [info, txt]);
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
    const info = head ? this.#packInfo(head) : null;
    const proj = decodeGbkOrUtf8(project);
    const text = decodeGbkOrUtf8(stripNuls(msg));
    this.#flows.acknowledge(invokeId, proj, ack, text);
    this._raise("onInvokeFlowAcknowledge", "invokeFlowAcknowledge", [
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
    const info = head ? this.#packInfo(head) : null;
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
        this._raise("onInvokeFlowError", "invokeFlowError", [
          info,
          proj,
          invokeId,
          ErrorCode.OTHER,
        ]);
      } else {
        this._raise("onInvokeFlowRespond", "invokeFlowRespond", [
          info,
          proj,
          invokeId,
          result,
        ]);
      }
    } else if (ret === ErrorCode.TIMEOUT) {
      this.#flows.finish(invokeId, proj, ret, null);
      this._raise("onInvokeFlowTimeout", "invokeFlowTimeout", [
        info,
        proj,
        invokeId,
      ]);
    } else {
      this.#flows.finish(invokeId, proj, ret, null);
      this._raise("onInvokeFlowError", "invokeFlowError", [
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
    this.#connecting.rejectAll(aborted);
    this.#rtts.rejectAll(aborted);
    this.#flows.rejectAll(aborted);
    this.#status.push({ state: "closed" });
    this._clearListeners();
    this.bus._unregister(this);
  }

  #packInfo(head: Uint8Array): PackInfo {
    return PackInfo.fromHead(head, this.bus.backend.longSize);
  }

  #assertOpen(what: string): void {
    if (this.#closed) {
      throw new NotInitializedError(
        `${what}: client ${this.localClientId} is disposed and`,
      );
    }
    this.bus._assertOpen(what);
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
    const a = flowCallArgs(call);
    const rc = this.bus.backend.remoteInvokeFlow(
      this.localClientId,
      a.server,
      a.process,
      a.project,
      a.flow,
      a.mode,
      timeoutMs,
      a.params,
    );
    if (rc <= 0) {
      throw new LibraryError("SmartBusNetCli_RemoteInvokeFlow", idOrCode(rc));
    }
    return rc;
  }
}
