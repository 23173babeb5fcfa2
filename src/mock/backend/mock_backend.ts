/**
 * The mock backend: plays `libbusnetcli` for one unit on a mock bus, so the
 * client API runs without any native library. It validates arguments like
 * the library (and like the native stand-in), connects asynchronously with
 * master/slave fallback and reconnects by itself, and times flow calls on
 * the bus clock.
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus, VirtualClock } from "@smartbus/netclient/mock";
 * const bus = new MockBus({ clock: new VirtualClock() });
 * bus.addNode({ unitId: 0, port: 8000 });
 * const backend = new MockBackend(bus, { reconnectIntervalMs: 1000 });
 * console.log(backend.init(17)); // 0
 * ```
 * @module
 */
import {
  ErrorCode,
  MAX_DATA_BYTES,
  MAX_FLOW_PARAMS_BYTES,
} from "../../abi/constants.ts";
import type { Backend, BackendCallbacks } from "../../abi/backend.ts";
import type { Clock } from "../bus/clock.ts";
import type { Logger } from "../../core/logger.ts";
import type { MockBus } from "../mock_bus.ts";
import { BackendContext } from "./backend_context.ts";
import { MockClient } from "./mock_client.ts";
import { stripNuls } from "../../api/text.ts";
import { connectConfig, isInt, strictTargetError } from "./backend_args.ts";

/**
 * C string argument → a view of its bytes without the NUL, for a bus port
 * call: the bus copies what it keeps before the call returns.
 */
const view = (bytes: Uint8Array): Uint8Array => stripNuls(bytes);

/**
 * Options of {@link MockBackend}.
 *
 * @example
 * ```ts
 * import type { MockBackendOptions } from "@smartbus/netclient/mock";
 * const quick: MockBackendOptions = { reconnectIntervalMs: 100 };
 * ```
 */
export interface MockBackendOptions {
  /** Wait between reconnect rounds, in bus-clock ms (default 3000). */
  reconnectIntervalMs?: number;
  /** Width of the size fields of the heads it hands out (default 4: the vendor binary's 20-byte head; 8 gives the SDK header's 28-byte LP64 head). */
  longSize?: 4 | 8;
}

/**
 * A {@link Backend} on a mock bus (`kind` `"mock"`). Codes follow the
 * native stand-in: `init` outside 16–47 → `UNITID_INVALID`, twice →
 * `REGISTERED_REPEAT`; anything before `init` → `NON_INIT`; an unknown
 * local client → `CLIENTID_INVALID`; `createConnect` with a known id →
 * `CLI_EXIST`, a client type outside 0–5 → `CLIENTTYPE_INVALID`, a bad host
 * or port → `ARGUMENT`; sending while not connected → `CONN_NOT_ESTAB`;
 * more than 64 KiB of data or 32 KiB of flow parameters → `MAX_DATASIZE`.
 *
 * Connecting: right after `createConnect` (in a microtask) the master and
 * the slave links log in at once, as the vendor's library does (both may
 * be registered, at two nodes). `connection` reports the first login (0)
 * and a failure (the bus's code, the last access unit or -1) only while no
 * link is registered, once until the next login; a -10 or an unreachable
 * node is tried again every `reconnectIntervalMs`, any other refusal ends
 * that link's tries (the API decides to give up). On a strict bus, a
 * master or slave address no node listens on (a typo) makes
 * `createConnect` throw a `ConnectError` at once, naming the address and
 * the nodes there are (so `client.connect()` fails at once instead of
 * waiting). A registered link that breaks dials again at once; it raises
 * `disconnect` only when the other link is not registered: a failover to
 * a registered slave is silent.
 *
 * Flows: mode 0 calls are timed on the bus clock (`timeoutMs`, 30 s when
 * ≤ 0); without a result by then `invokeFlowRet` gets -25 and no head; a
 * result after that is dropped. An acknowledge does not stop the timer
 * (the library does not read acks), so a refused call still times out
 * later, as with the native library.
 *
 * @example
 * ```ts
 * import { MockBackend, MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * const b = new MockBackend(bus);
 * b.init(17);
 * const host = new TextEncoder().encode("127.0.0.1\0");
 * console.log(b.createConnect(0, 4, host, 8000, null, 0xffff, null, null, null)); // 0
 * b.release();
 * ```
 */
export class MockBackend implements Backend {
  /** Always `"mock"`. */
  readonly kind = "mock" as const;
  /** `sizeof(long)` of the heads handed to callbacks. */
  readonly longSize: 4 | 8;
  #ctx: BackendContext;
  #clients = new Map<number, MockClient>();
  #nextInvokeId = 1;

  /** A backend for one unit on `bus` (not initialized yet). */
  constructor(bus: MockBus, options: MockBackendOptions = {}) {
    this.longSize = options.longSize ?? 4;
    const reconnectMs = options.reconnectIntervalMs ?? 3000;
    if (!(reconnectMs > 0)) {
      throw new RangeError(
        `reconnectIntervalMs must be > 0, got ${reconnectMs}`,
      );
    }
    this.#ctx = new BackendContext(bus, this.longSize, reconnectMs);
  }

  /**
   * The logger a `SmartBus` on this backend uses when given none: it keeps
   * the lines in the bus's `logs()` instead of printing them.
   */
  get logger(): Logger {
    return this.#ctx.bus.logCapture.logger;
  }

  /**
   * The bus clock: a `SmartBus` on this backend takes it as its timers, so
   * awaited calls time out on the same (possibly virtual) time as the bus.
   */
  get clock(): Clock {
    return this.#ctx.clock;
  }

  /** `SmartBusNetCli_Init`. */
  init(unitId: number): number {
    if (!Number.isInteger(unitId) || unitId < 16 || unitId > 47) {
      return ErrorCode.UNITID_INVALID;
    }
    if (this.#ctx.unitId !== null) return ErrorCode.REGISTERED_REPEAT;
    this.#ctx.unitId = unitId;
    this.#ctx.trace(`mock libbusnetcli initialised, unit id ${unitId}`);
    return ErrorCode.OK;
  }

  /** `SmartBusNetCli_Release`: every connection leaves, every timer stops. */
  release(): void {
    if (this.#ctx.unitId === null) return;
    for (const c of this.#clients.values()) c.dispose();
    this.#clients.clear();
    this.#ctx.flows.clear();
    this.#ctx.unitId = null;
  }

  /** Install every callback at once. */
  setCallbacks(callbacks: BackendCallbacks): void {
    if (!this.#ctx.closed) this.#ctx.callbacks = callbacks;
  }

  /** `SmartBusNetCli_CreateConnect`. */
  createConnect(
    localClientId: number,
    localClientType: number,
    masterIp: Uint8Array,
    masterPort: number,
    slaveIp: Uint8Array | null,
    slavePort: number,
    user: Uint8Array | null,
    password: Uint8Array | null,
    addInfo: Uint8Array | null,
  ): number {
    if (this.#ctx.unitId === null) return ErrorCode.NON_INIT;
    const config = connectConfig(
      localClientId,
      localClientType,
      masterIp,
      masterPort,
      slaveIp,
      slavePort,
      user,
      password,
      addInfo,
    );
    if (typeof config === "number") return config;
    if (this.#clients.has(localClientId)) return ErrorCode.CLI_EXIST;
    const typo = strictTargetError(this.#ctx.bus, config);
    if (typo) throw typo;
    const client = new MockClient(this.#ctx, config);
    this.#clients.set(localClientId, client);
    const [{ host: master }, slave] = config.targets;
    const hasSlave = slave !== undefined;
    this.#ctx.trace(
      `client ${localClientId}: created (type ${localClientType}, master ${master}:${masterPort}${
        hasSlave ? ", with slave" : ""
      })`,
    );
    queueMicrotask(() => client.connect());
    return ErrorCode.OK;
  }

  /** `SmartBusNetCli_SendData`. */
  sendData(
    localClientId: number,
    cmd: number,
    cmdType: number,
    dstUnitId: number,
    dstClientId: number,
    dstClientType: number,
    data: Uint8Array,
  ): number {
    const c = this.#ready(localClientId, data.length > MAX_DATA_BYTES);
    if (typeof c === "number") return c;
    if (!isInt(cmd, 0, 255) || !isInt(cmdType, 0, 255)) {
      return ErrorCode.ARGUMENT;
    }
    const dst = {
      unitId: dstUnitId,
      clientId: dstClientId,
      clientType: dstClientType,
    };
    // The bus copies the data before `send` returns.
    return c.send(cmd, cmdType, dst, data);
  }

  /** `SmartBusNetCli_SendPing`. */
  sendPing(
    localClientId: number,
    dstUnitId: number,
    dstClientId: number,
    dstClientType: number,
    data: Uint8Array,
  ): number {
    const c = this.#ready(localClientId, data.length > MAX_DATA_BYTES);
    if (typeof c === "number") return c;
    const dst = {
      unitId: dstUnitId,
      clientId: dstClientId,
      clientType: dstClientType,
    };
    return c.ping(dst, data);
  }

  /** `SmartBusNetCli_RemoteInvokeFlow`: the invoke id (> 0) or an error. */
  remoteInvokeFlow(
    localClientId: number,
    serverUnitId: number,
    ipscIndex: number,
    projectId: Uint8Array,
    flowId: Uint8Array,
    mode: number,
    timeoutMs: number,
    valueList: Uint8Array,
  ): number {
    const params = view(valueList);
    const c = this.#ready(localClientId, params.length > MAX_FLOW_PARAMS_BYTES);
    if (typeof c === "number") return c;
    if (mode !== 0 && mode !== 1) return ErrorCode.ARGUMENT;
    const invokeId = this.#takeInvokeId();
    const project = view(projectId);
    const rc = c.invokeFlow(serverUnitId, ipscIndex, {
      invokeId,
      projectId: project,
      flowId: view(flowId),
      mode,
      timeoutMs,
      params,
    });
    if (rc < 0) return rc;
    this.#ctx.flows.add(invokeId, localClientId, project, timeoutMs, mode);
    return invokeId;
  }

  /** `SmartBusNetCli_SendNotify`: the invoke id (> 0) or an error. */
  sendNotify(
    localClientId: number,
    serverUnitId: number,
    processIndex: number,
    projectId: Uint8Array,
    title: Uint8Array,
    mode: number,
    expiresMs: number,
    param: Uint8Array,
  ): number {
    const c = this.#ready(localClientId, false);
    if (typeof c === "number") return c;
    const invokeId = this.#takeInvokeId();
    const rc = c.notify(serverUnitId, processIndex, {
      invokeId,
      projectId: view(projectId),
      title: view(title),
      mode,
      expiresMs,
      param: view(param),
    });
    return rc < 0 ? rc : invokeId;
  }

  /** Drop the callbacks; nothing is raised afterwards. Idempotent. */
  close(): void {
    this.#ctx.closed = true;
    this.#ctx.callbacks = null;
  }

  #ready(id: number, tooBig: boolean): MockClient | number {
    if (this.#ctx.unitId === null) return ErrorCode.NON_INIT;
    const c = this.#clients.get(id);
    if (!c) return ErrorCode.CLIENTID_INVALID;
    if (tooBig) return ErrorCode.MAX_DATASIZE;
    return c.connected ? c : ErrorCode.CONN_NOT_ESTAB;
  }

  #takeInvokeId(): number {
    const id = this.#nextInvokeId;
    this.#nextInvokeId = id === 0x7fffffff ? 1 : id + 1;
    return id;
  }
}
