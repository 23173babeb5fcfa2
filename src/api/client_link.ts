/**
 * The library's side of one `Client`: what `SmartBus` routes to a local
 * client id (connection, disconnection, data, flow callbacks) lands here,
 * together with everything those callbacks settle: the connection status,
 * the waiting `connect()` calls, awaited pings and flow calls. `Client` keeps
 * the calls an application makes; closing runs here, once.
 *
 * @module
 */
import { linkTargets } from "./links.ts";
import {
  ClientType,
  CmdType,
  describeCode,
  ErrorCode,
  errorCodeName,
  SystemCmd,
} from "../abi/constants.ts";
import {
  AbortedError,
  InvalidArgumentError,
  LibraryError,
} from "../abi/errors.ts";
import { PackInfo } from "../abi/packinfo.ts";
import { ClientEventHub, type ClientHandlers } from "./client_events.ts";
import type { Address, ClientFields, FlowCall } from "./client_args.ts";
import {
  connectArgs,
  flowCallArgs,
  idOrCode,
  type NotifyArgs,
} from "./library_args.ts";
import { ConnectWaiters } from "./connect_waiters.ts";
import { ClientCounters, countCode } from "./client_stats.ts";
import { FlowCalls } from "./flow_calls.ts";
import { RttTracker } from "./rtt.ts";
import type { ClientSink, SmartBus } from "./smartbus.ts";
import { StatusFeed } from "./status.ts";
import { tracers } from "./tracing.ts";
import { decodeGbkOrUtf8, decodeText, stripNuls } from "./text.ts";

/** What a link needs of its client: its settings, unit and `on*` handlers. */
export interface LinkOwner extends ClientHandlers, Readonly<ClientFields> {
  /** The unit the client belongs to. */
  readonly bus: SmartBus;
  /** Set to the node's unit id on each successful connect. */
  unitid: number | null;
}

/**
 * One client's side facing the library: its calls (with their return-code
 * checks), the callbacks its `SmartBus` routes to it, and the pending state
 * those settle. Registered with the bus.
 */
export class ClientLink implements ClientSink {
  /** The local client id the bus routes by. */
  readonly localClientId: number;
  /** Connection status, fanned out to `client.status()` iterators. */
  readonly status: StatusFeed = new StatusFeed();
  /** The `connect()` calls waiting. */
  readonly connecting: ConnectWaiters;
  /** Awaited pings. */
  readonly rtts: RttTracker;
  /** Flow calls: the protocol and the awaited ones. */
  readonly flows: FlowCalls;
  /** The client's events: its `on*` handlers, then the listeners. */
  readonly events: ClientEventHub;
  /** What `client.stats()` reports. */
  readonly counters: ClientCounters = new ClientCounters();
  #owner: LinkOwner;
  #closed = false;
  #connectStarted = false;

  /** Deadlines on the unit's timers; events go to `owner`. */
  constructor(owner: LinkOwner) {
    const { bus, localClientId } = owner;
    this.#owner = owner;
    this.localClientId = localClientId;
    const events = new ClientEventHub(bus.logger, owner);
    this.events = events;
    this.flows = new FlowCalls(
      bus.timers,
      bus.logger,
      (method, event, args) => events.raise(method, event, args),
      this.counters,
    );
    this.rtts = new RttTracker(bus.timers, `${localClientId}`, this.counters);
    this.connecting = new ConnectWaiters(bus.timers, localClientId);
  }

  /** Whether `_close()` has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Flows in flight (awaited or not). */
  get flowsInFlight(): number {
    return this.flows.inFlight;
  }

  /** `rtt()` pings awaiting their answer. */
  get pingsInFlight(): number {
    return this.rtts.size;
  }

  /**
   * `CreateConnect` the first time (an immediate failure throws
   * `LibraryError`), then wait until connected.
   */
  connect(timeoutMs: number, signal?: AbortSignal): Promise<number> {
    if (!this.#connectStarted) {
      const o = this.#owner;
      const targets = linkTargets(o);
      const taken = o.bus._links.claim(o.localClientId, targets);
      if (taken) return this.#takeOver(taken.accessUnitId, timeoutMs, signal);
      const a = connectArgs(o);
      const rc = o.bus.backend.createConnect(
        o.localClientId,
        o.localClientType,
        a.master,
        o.masterPort,
        a.slave,
        o.slaverPort,
        a.user,
        a.pwd,
        a.info,
      );
      if (rc < 0) throw new LibraryError("SmartBusNetCli_CreateConnect", rc);
      o.bus._links.made(o.localClientId, targets);
      this.#connectStarted = true;
      this.status.push({ state: "connecting" });
    }
    const now = this.status.current;
    if (now.state === "connected") return Promise.resolve(now.unitId);
    return this.connecting.wait(timeoutMs, signal);
  }

  /**
   * Take over the link a closed client with this id left: it is logged in
   * to `accessUnitId` (or still trying), so report that as a fresh connect
   * would, from a later task, as the library's callback would.
   */
  #takeOver(
    accessUnitId: number | null,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<number> {
    this.#connectStarted = true;
    this.status.push({ state: "connecting" });
    const waiting = this.connecting.wait(timeoutMs, signal);
    if (accessUnitId !== null) {
      queueMicrotask(() => {
        // Unless the library's own event came first.
        if (this.status.current.state === "connecting") {
          this._connection(accessUnitId, 0);
        }
      });
    }
    return waiting;
  }

  /** `SendData` of checked arguments. */
  sendData(
    cmd: number,
    cmdType: number,
    dst: Address,
    bytes: Uint8Array,
  ): void {
    this.#notOwnUnit(dst);
    const rc = this.#owner.bus.backend.sendData(
      this.localClientId,
      cmd,
      cmdType,
      dst.unitId,
      dst.clientId,
      dst.clientType,
      bytes,
    );
    const c = this.counters;
    if (rc < 0) {
      c.dataErrors++;
      throw new LibraryError("SmartBusNetCli_SendData", rc);
    }
    c.dataSent++;
    c.dataSentBytes += bytes.byteLength;
  }

  /** `SendPing` of checked arguments. */
  sendPing(dst: Address, bytes: Uint8Array): void {
    this.#notOwnUnit(dst);
    const rc = this.#owner.bus.backend.sendPing(
      this.localClientId,
      dst.unitId,
      dst.clientId,
      dst.clientType,
      bytes,
    );
    const c = this.counters;
    if (rc < 0) {
      c.pingErrors++;
      throw new LibraryError("SmartBusNetCli_SendPing", rc);
    }
    c.pingsSent++;
    c.pingsSentBytes += bytes.byteLength;
  }

  /**
   * The vendor's library sends nothing to its own unit (-11, "Can't be sent
   * to their own"): not even to another local client of this process.
   */
  #notOwnUnit(dst: Address): void {
    const own = this.#owner.bus.unitId;
    if (dst.unitId !== own) return;
    throw new InvalidArgumentError(
      "dstUnitId",
      `${own} is this process's own unit: the library sends nothing to it, not even to another local client`,
      { code: ErrorCode.SEND_OWN },
    );
  }

  /** `RemoteInvokeFlow` of `call` (checked here); returns the invoke id. */
  invokeFlow(call: FlowCall, timeoutMs: number): number {
    const a = flowCallArgs(call);
    const rc = this.#owner.bus.backend.remoteInvokeFlow(
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
      this.counters.flowErrors++;
      throw new LibraryError("SmartBusNetCli_RemoteInvokeFlow", idOrCode(rc));
    }
    return rc;
  }

  /** `SendNotify` of checked arguments; returns the invoke id. */
  sendNotify(a: NotifyArgs): number {
    const rc = this.#owner.bus.backend.sendNotify(
      this.localClientId,
      a.server,
      a.process,
      a.project,
      a.title,
      a.mode,
      a.expiresMs,
      a.param,
    );
    if (rc <= 0) {
      this.counters.notifyErrors++;
      throw new LibraryError("SmartBusNetCli_SendNotify", idOrCode(rc));
    }
    this.counters.notifySent++;
    return rc;
  }

  /** @internal */
  _connection(accessUnitId: number, ack: number): void {
    if (this.#closed) return;
    const owner = this.#owner;
    if (ack === 0) {
      this.counters.connects++;
      if (tracers.connected.hasSubscribers) {
        tracers.connected.publish({
          unitId: owner.bus.unitId,
          localClientId: this.localClientId,
          accessUnitId,
        });
      }
      owner.unitid = accessUnitId;
      this.status.push({ state: "connected", unitId: accessUnitId });
      this.connecting.connected(accessUnitId);
      this.events.raise("onConnectSuccess", "connectSuccess", [accessUnitId]);
      return;
    }
    countCode(this.counters.connectFailures, ack);
    if (tracers.connectFailed.hasSubscribers) {
      tracers.connectFailed.publish({
        unitId: owner.bus.unitId,
        localClientId: this.localClientId,
        accessUnitId,
        code: ack,
      });
    }
    this.status.push({
      state: "failed",
      code: ack,
      codeName: errorCodeName(ack),
    });
    owner.bus.logger.warn(
      `client ${this.localClientId}: connect attempt failed with ${
        describeCode(ack)
      }`,
    );
    this.connecting.failed(ack);
    this.events.raise("onConnectFail", "connectFail", [accessUnitId, ack]);
  }

  /** @internal */
  _disconnect(): void {
    if (this.#closed) return;
    this.counters.disconnects++;
    if (tracers.disconnected.hasSubscribers) {
      tracers.disconnected.publish({
        unitId: this.#owner.bus.unitId,
        localClientId: this.localClientId,
      });
    }
    this.status.push({ state: "disconnected" });
    this.events.raise("onDisconnect", "disconnect", []);
  }

  /** @internal */
  _recvData(head: Uint8Array, data: Uint8Array): void {
    if (this.#closed) return;
    const info = this.#packInfo(head);
    const body = stripNuls(data);
    const pingAnswer = info.cmd === SystemCmd.PING_ANSWER &&
      info.cmdType === CmdType.SYSTEM;
    const c = this.counters;
    if (pingAnswer) {
      c.pingsReceived++;
      c.pingsReceivedBytes += data.byteLength;
      if (this.rtts.answer(body)) return;
    } else {
      c.dataReceived++;
      c.dataReceivedBytes += data.byteLength;
    }
    const owner = this.#owner;
    const txt = info.srcUnitClientType === ClientType.IPSC
      ? decodeGbkOrUtf8(body)
      : decodeText(body, owner.encoding);
    this.events.emit("receiveData", info, data);
    this.events.raise("onReceiveText", "receiveText", [info, txt]);
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
    this.flows.acknowledged(info, project, invokeId, ack, msg);
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
    this.flows.returned(info, project, invokeId, ret, param);
  }

  /**
   * Forget the client: pending calls reject with `AbortedError`, status
   * iterators end, listeners are dropped, the bus lets the id go. Once.
   * @internal
   */
  _close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    const aborted = () =>
      new AbortedError(
        `pending call of client ${this.localClientId} (${reason})`,
      );
    this.connecting.rejectAll(aborted);
    this.rtts.rejectAll(aborted);
    this.flows.rejectAll(aborted);
    this.status.push({ state: "closed" });
    this.events.clear();
    this.#owner.bus._unregister(this);
  }

  #packInfo(head: Uint8Array): PackInfo {
    return PackInfo.fromHead(head, this.#owner.bus.backend.longSize);
  }
}
