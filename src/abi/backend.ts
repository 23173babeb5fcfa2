/**
 * The one backend interface: a TypeScript mirror of the C ABI of
 * `libbusnetcli` (see `docs/abi.md`), one method per C function, one
 * callbacks object for every C callback. Everything above it (encoding,
 * validation, errors, events, promises) lives in `src/api/` and never knows
 * which backend runs.
 *
 * Buffer ownership, across every backend:
 * - Arguments: C strings are passed as `Uint8Array`s that already end with a
 *   NUL byte (the API encodes them); `null` passes a NULL pointer. The
 *   backend must not keep any argument after the call returns.
 * - Callbacks: every `Uint8Array` handed to a callback is a fresh copy owned
 *   by the receiver (never a view of native memory), with C strings' trailing
 *   NUL removed. The backend copies before the native callback returns,
 *   because the library frees its buffers right after.
 *
 * @example
 * ```ts
 * import type { Backend } from "@smartbus/netclient";
 * function unitOf(backend: Backend): string { return backend.kind; }
 * ```
 * @module
 */
import type { Logger } from "../core/logger.ts";
import type { Timers } from "../core/timers.ts";

/**
 * Which implementation a backend is (`bus.backend.kind`).
 *
 * @example
 * ```ts
 * import type { BackendKind, SmartBus } from "@smartbus/netclient";
 * const native = (bus: SmartBus): boolean => (["deno", "bun", "node"] as BackendKind[]).includes(bus.backend.kind);
 * ```
 */
export type BackendKind = "deno" | "bun" | "node" | "mock";

/**
 * Callbacks the library raises, already copied to JS memory. All run on the
 * JS thread. Exceptions thrown by them are the API's concern: backends call
 * them inside the API's own guard.
 *
 * @example
 * ```ts
 * import type { BackendCallbacks } from "@smartbus/netclient";
 * const noop: Partial<BackendCallbacks> = { disconnect: (id) => console.log(id) };
 * ```
 */
export interface BackendCallbacks {
  /** `connection_cb`: ack 0 connected to `accessUnitId`; ack < 0 this attempt failed. */
  connection(localClientId: number, accessUnitId: number, ack: number): void;
  /** `recvdata_cb`: `head` holds the raw packet head bytes (layout per {@link Backend.longSize}). */
  recvData(localClientId: number, head: Uint8Array, data: Uint8Array): void;
  /** `disconnect_cb`: an established connection broke. */
  disconnect(localClientId: number): void;
  /** `smartbus_invokeflow_ack_cb` installed through `SetCallBackFnEx`. */
  invokeFlowAck(
    localClientId: number,
    head: Uint8Array | null,
    projectId: Uint8Array,
    invokeId: number,
    ack: number,
    msg: Uint8Array,
  ): void;
  /** `invokeflow_ret_cb`: ret 1 result, -25 the library's timer expired, else an error code. */
  invokeFlowRet(
    localClientId: number,
    head: Uint8Array | null,
    projectId: Uint8Array,
    invokeId: number,
    ret: number,
    param: Uint8Array,
  ): void;
  /** `global_connect_cb`: the six-`char` form (signed chars, so -1 for a node's client id). */
  globalConnect(
    unitId: number,
    clientId: number,
    clientType: number,
    accessUnitId: number,
    status: number,
    addInfo: Uint8Array,
  ): void;
  /** `SetTraceStr` info callback: one log line. */
  traceInfo(msg: Uint8Array): void;
  /** `SetTraceStr` error callback: one error log line. */
  traceError(msg: Uint8Array): void;
}

/**
 * One loaded instance of the library (for native backends: the process-wide
 * `libbusnetcli`; for the mock: one unit attached to a mock bus). Return
 * codes are passed through untouched: 0 or a positive id for success, a
 * negative `ErrorCode` for failure.
 *
 * @example
 * ```ts
 * import type { Backend } from "@smartbus/netclient";
 * function start(b: Backend): number { return b.init(17); }
 * ```
 */
export interface Backend {
  /** Which implementation this is. */
  readonly kind: BackendKind;
  /** Width of the packet head's size fields: 4 for the vendor's binary on every platform (20-byte head); 8 for a build from the SDK header's `long` on LP64 (28 bytes). */
  readonly longSize: 4 | 8;
  /**
   * The clock the backend's events run on, when it is not real time (the
   * mock bus's virtual clock): `SmartBus` then times its own deadlines on it.
   */
  readonly clock?: Timers;
  /**
   * Events the native event queue dropped (its ring stayed full) since
   * this backend set its callbacks; absent where the backend has no such
   * queue (the mock, a native backend on its per-callback path).
   */
  droppedEvents?(): number;
  /** `SmartBusNetCli_Init(u8 unitid)`. */
  init(unitId: number): number;
  /** `SmartBusNetCli_Release()`. */
  release(): void;
  /**
   * `SmartBusNetCli_Release()` without blocking the JS thread where the
   * runtime can (native backends: a worker thread); resolves once it has
   * returned. `SmartBus.closeAsync()` prefers it to `release()`.
   */
  releaseAsync?(): Promise<void>;
  /**
   * The logger a `SmartBus` on this backend uses when its options name
   * none (the mock's keeps the lines for the test to read).
   */
  readonly logger?: Logger;
  /**
   * `SmartBusNetCli_SetCallBackFn` for the five core callbacks, then
   * `SmartBusNetCli_SetCallBackFnEx("smartbus_invokeflow_ack_cb", …)` and
   * `SmartBusNetCli_SetTraceStr(info, error)`: every callback at once, so
   * that none is ever left unset. `SetCallBackFnArg` is not needed (each
   * backend owns its own callbacks) and the variadic `SetTrace` cannot be
   * bound from JS.
   */
  setCallbacks(callbacks: BackendCallbacks): void;
  /** `SmartBusNetCli_CreateConnect`. Returns at once; the outcome arrives as `connection`. */
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
  ): number;
  /** `SmartBusNetCli_SendData`; `size` is `data.byteLength`. */
  sendData(
    localClientId: number,
    cmd: number,
    cmdType: number,
    dstUnitId: number,
    dstClientId: number,
    dstClientType: number,
    data: Uint8Array,
  ): number;
  /** `SmartBusNetCli_SendPing`; `size` is `data.byteLength`. */
  sendPing(
    localClientId: number,
    dstUnitId: number,
    dstClientId: number,
    dstClientType: number,
    data: Uint8Array,
  ): number;
  /** `SmartBusNetCli_RemoteInvokeFlow`: > 0 invoke id, < 0 error. */
  remoteInvokeFlow(
    localClientId: number,
    serverUnitId: number,
    ipscIndex: number,
    projectId: Uint8Array,
    flowId: Uint8Array,
    mode: number,
    timeoutMs: number,
    valueList: Uint8Array,
  ): number;
  /** `SmartBusNetCli_SendNotify`: > 0 invoke id, < 0 error. */
  sendNotify(
    localClientId: number,
    serverUnitId: number,
    processIndex: number,
    projectId: Uint8Array,
    title: Uint8Array,
    mode: number,
    expiresMs: number,
    param: Uint8Array,
  ): number;
  /**
   * Free everything the backend holds for callbacks (native callback
   * handles, trampolines, queues). Called by the API after `release()`;
   * idempotent. After it no callback is raised.
   */
  close(): void;
}

/**
 * What `SmartBusOptions.backend` accepts: a backend instance (a
 * `MockBackend`, or one you built), or the name of a native backend to load.
 *
 * @example
 * ```ts
 * import { type BackendChoice, SmartBus } from "@smartbus/netclient";
 * const choice: BackendChoice = "deno";
 * const bus = new SmartBus({ unitId: 17, backend: choice });
 * ```
 */
export type BackendChoice = Backend | "deno" | "bun" | "node";

/**
 * Turns a {@link BackendChoice} (or none: the running runtime's) into a
 * backend, loading the native library when it names one. The package's entry
 * point hands one to each `SmartBus` it creates; the API itself never knows
 * which backends exist.
 *
 * @example
 * ```ts
 * import type { BackendResolver } from "@smartbus/netclient";
 * const instancesOnly: BackendResolver = (choice) => {
 *   if (typeof choice === "object") return choice;
 *   throw new Error("pass a backend instance");
 * };
 * ```
 */
export type BackendResolver = (
  choice: BackendChoice | undefined,
  options: {
    readonly libraryPath?: string;
    /** Where a native backend's warnings go (the unit's logger). */
    readonly logger?: { warn(message: string): void };
  },
) => Backend;
