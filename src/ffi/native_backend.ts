/**
 * The part of the native backends that does not depend on the runtime: the
 * mapping of {@link Backend} methods to C calls, the library's lifecycle
 * (init → release → close), and when the process must be kept alive.
 *
 * Keep-alive policy (shared by Deno and Bun): a native backend holds the
 * process open from the first `createConnect` that returns 0 until
 * `release()` (or `close()`). The library then owns a connection it keeps
 * reconnecting by itself, and connection events or flow results may still
 * arrive, so the program must not exit under it; before any connection, and
 * after `release()`, nothing holds the process and a finished program exits
 * by itself. The library's thread may still raise a callback while nothing
 * holds the process (a trace line after `init`); it is delivered if the
 * program is still running.
 *
 * Exit: while the library is initialized and nothing holds the process, the
 * library's thread may still call back at any moment, and a runtime that
 * tears down while a foreign thread is inside a callback aborts (Deno:
 * "The futex facility returned an unexpected error code"). So when the event
 * loop runs dry with the library still initialized (Deno's `beforeunload`,
 * Bun's and Node's `beforeExit`), the backend closes itself: `Release` (off
 * the JS thread where the runtime can), then the grace period below, during
 * which callbacks already queued still run.
 *
 * Releasing off the JS thread ({@link NativeBackend.releaseAsync}): under
 * Deno a callback holds the library's thread until the JS thread has run it
 * (and the promise continuations it triggers). A library whose `Release`
 * joins that thread therefore deadlocks when `Release` is called on the JS
 * thread while its thread is inside a callback, e.g. right after
 * `await client.ping()`. The stand-in avoids this by not waiting for a
 * running callback; for libraries that do wait, `releaseAsync()` calls
 * `Release` on a worker thread and keeps the JS thread serving callbacks.
 *
 * Unloading: the library may still be inside (or about to return from) a
 * callback when `Release` returns (the stand-in returns at once when a
 * callback is running, because a Deno callback blocks its thread until the JS
 * thread runs it). So `close()` stops forwarding events at once, but frees the
 * native callbacks and unloads the library only after a short grace period
 * (a timer that holds the process that long, so that unloading does happen
 * before a finished program exits); {@link NativeBackend.settled} tells when
 * that is done.
 * @module
 */
import type { Backend, BackendCallbacks, BackendKind } from "../abi/backend.ts";
import { ErrorCode } from "../abi/constants.ts";
import { AlreadyInitializedError, SmartBusError } from "../abi/errors.ts";
import { packetHeadSize } from "../abi/packinfo.ts";
import {
  INVOKEFLOW_ACK_CB_NAME,
  type LibraryFunctions,
} from "../abi/symbols.ts";
import { QueueKind } from "./queue/drain.ts";
import {
  type EventQueue,
  QUEUE_BLOCK_MS,
  type WarnSink,
} from "./queue/process.ts";
import { type CopyOut, type Forwarders, forwarders } from "./forward.ts";
import { onLoopDrained } from "./loop_exit.ts";

/**
 * What a runtime provides: its bound functions (typed from the symbol
 * table), its way of making callbacks, of holding the process, of unloading.
 * `P` is the runtime's pointer type; `C` what its callbacks receive for a
 * pointer argument (the same, except under Bun, whose trampoline has already
 * copied the bytes).
 */
export interface NativeRuntime<P, C = P> {
  /** Which backend this is. */
  kind: BackendKind;
  /** The bound functions. */
  symbols: LibraryFunctions<P>;
  /**
   * The process's native event queue (`queue/process.ts`), when it could be
   * opened: its callbacks are installed instead of {@link installCallbacks}'.
   */
  queue?: EventQueue<P>;
  /** Where warnings go (the queue's dropped events). */
  log?: WarnSink;
  /**
   * The library is the vendor's build (it runs its own libuv), whose
   * `Release`, and exit-time destructor, crash the process once a client
   * was created: see {@link VENDOR_RELEASE}.
   */
  vendorRelease?: {
    /** Make the process's `exit` skip the library's destructor (see `GlibcDl`). */
    skipExitHandlers?: () => void;
  };
  /**
   * Create the native callbacks (once) around `fns` (see `forward.ts`) and
   * install them all in the library: the per-callback path, without a queue.
   */
  installCallbacks(fns: Forwarders<C>): void;
  /** How this runtime copies bytes out of its pointers, for {@link forwarders}. */
  copyOut: CopyOut<C>;
  /** Hold (`true`) or stop holding (`false`) the process open. */
  keepAlive(on: boolean): void;
  /** Free the native callbacks and unload the library; the library is released. */
  dispose(): void;
  /** Call `Release` on another thread, leaving the JS thread free (Deno, Node). */
  releaseOffThread?(): Promise<void>;
}

/** Creates a native backend for a library path (or the default search). */
export type NativeFactory = (
  options: NativeOptions,
) => NativeBackend;

/** Options of every native backend factory. */
export interface NativeOptions {
  /** The library file; else `SMARTBUS_NETCLI_LIB`, else the default search. */
  readonly libraryPath?: string;
  /** Where the backend's warnings go (default: `console`). */
  readonly logger?: WarnSink;
}

/** How long after `close()` the native callbacks are freed and the library unloaded. */
export const DISPOSE_GRACE_MS = 50;

/**
 * A {@link Backend} over a native library, with two extras.
 *
 * @example
 * ```ts
 * import type { NativeBackend } from "@smartbus/netclient/internal";
 * async function shutdown(b: NativeBackend): Promise<void> {
 *   b.release();
 *   b.close();
 *   await b.settled();
 * }
 * ```
 */
export interface NativeBackend extends Backend {
  /**
   * Resolves once `close()` has freed the native callbacks and unloaded the
   * library (at once when `close()` has not been called). Awaiting it is
   * only needed by code that checks for leaked resources, such as tests.
   */
  settled(): Promise<void>;
  /**
   * `Release` without blocking the JS thread where the runtime can (Deno);
   * resolves once `Release` has returned. Use it instead of `release()` when
   * the library's `Release` waits for its own thread (see the module notes).
   * `init()` throws while it is pending.
   */
  releaseAsync(): Promise<void>;
}

/**
 * The width of the packet head's two size fields in the library: 4 (`int`)
 * on every platform, so the head is 20 bytes. The SDK header declares them
 * `long` (28 bytes on 64-bit Linux), but the vendor's binary was built with
 * `int` (its DWARF: `gdb -batch -ex 'ptype /o struct SMARTBUS_PACKET_HEAD'
 * libbusnetcli.so`), and the binary wins; the stand-in follows it. The one
 * probe every native backend uses.
 */
export function nativeLongSize(): 4 | 8 {
  return 4;
}

/**
 * Why the vendor's `Release` is never called once a client was created
 * (`docs/abi.md`, measured with its x86-64 build from Deno and Python):
 *
 * - `Release` frees every client while the library's own libuv thread still
 *   runs their handles and timers: the process dies of SIGSEGV about 2 s
 *   later, whether the client was connected or not (`finalize()`, then any
 *   program that keeps running).
 * - After a refused login (any registration ack but -10, which it retries)
 *   the library has closed that client's handles already, and `Release`
 *   closes them again: libuv's assertion in `uv_close` aborts the process at
 *   once (exit 134).
 *
 * So `release()` leaves such a library initialized, its links up until the
 * process ends (the JS side stops delivering its events), and refuses
 * another unit in this process. The library's C++ destructor runs `Release`
 * too, when the process exits: that aborted after a refused login and died
 * of SIGSEGV with 48 clients (3 of 3 runs, Deno). So once a client was
 * created the process ends with `_exit` when it exits, with the exit code it
 * was leaving with, and the destructor never runs.
 */
export const VENDOR_RELEASE =
  "the vendor library's Release is unsafe once a client was created";

/**
 * Client slots of the vendor's build per process: its table has 48 entries
 * and a 49th `CreateConnect` returns 0 but writes before the table
 * (memory corruption; later calls on that id return -9). Slots are never
 * freed, since its `Release` is unsafe ({@link VENDOR_RELEASE}), so a 49th
 * distinct client id is refused with -21 (`CLI_TOOMANY`) before the call.
 */
export const VENDOR_MAX_CLIENTS = 48;

/** The native backend whose unit is initialized in this process, if any. */
let unitHolder: { unitId: number; backend: NativeBackend } | undefined;

/**
 * Set when a unit was finalized without `Release` ({@link VENDOR_RELEASE}):
 * the library still holds that unit, so no other can be initialized in this
 * process.
 */
let unreleased: number | undefined;

let exitGuarded = false;

/**
 * From now on, the process ends with `_exit` when it exits (with the status
 * it was exiting with, after the runtime said everything it had to), so
 * that the vendor library's destructor never runs ({@link VENDOR_RELEASE}).
 * Its threads keep running until then: once the runtime starts to exit
 * (Deno's "unload", Node's and Bun's "exit"), `quiesce` stops them from
 * waking JS, which is being torn down (a wake from the library's thread
 * into a dying runtime crashed 11 of 20 CLI runs under load).
 */
function skipLibraryDestructor(
  skipExitHandlers: () => void,
  quiesce: () => void,
): void {
  if (exitGuarded) return;
  exitGuarded = true;
  skipExitHandlers();
  const g = globalThis as unknown as {
    Deno?: unknown;
    process?: { on(event: string, fn: () => void): void };
  };
  if (g.Deno) globalThis.addEventListener("unload", quiesce);
  else g.process?.on("exit", quiesce);
}

/**
 * Throws `AlreadyInitializedError` naming the open unit when a native unit
 * is initialized in this process (by a backend other than `except`). The
 * library's callbacks are process-wide: a second unit would replace the
 * first one's (and its `Init` fails anyway), so it is refused before
 * anything touches the library.
 */
export function assertNoNativeUnit(except?: NativeBackend): void {
  if (unitHolder && unitHolder.backend !== except) {
    throw new AlreadyInitializedError(unitHolder.unitId);
  }
}

/**
 * Build a {@link Backend} over a runtime's bound library.
 */
export function createNativeBackend<P, C = P>(
  runtime: NativeRuntime<P, C>,
): NativeBackend {
  const s = runtime.symbols;
  const longSize = nativeLongSize();
  let callbacks: BackendCallbacks | undefined;
  let installed = false;
  let initialized = false;
  let holding = false;
  let closed = false;
  let disposed: Promise<void> = Promise.resolve();
  let stopWatchingExit: (() => void) | undefined;
  let releasing: Promise<void> | undefined;
  const queue = runtime.queue;
  // The queue is the process's: its drops before this backend are not ours.
  let dropsBefore = 0;
  // Local client ids passed to CreateConnect since Init (even a failed call
  // may have taken a slot in the library).
  const clientIds = new Set<number>();
  const route = (): BackendCallbacks | undefined =>
    closed ? undefined : callbacks;
  // Before Release: a library thread waiting for room in the queue must
  // not hold it up.
  const unblock = (): void => queue?.setBlock(0);
  const letGo = (): void => {
    if (unitHolder?.backend === backend) unitHolder = undefined;
  };

  const open = (what: string): void => {
    if (closed) {
      throw new SmartBusError(
        `${what}: the ${runtime.kind} backend is closed`,
      );
    }
  };
  const mustNotRelease = (): boolean =>
    runtime.vendorRelease !== undefined && clientIds.size > 0;
  const hold = (on: boolean): void => {
    if (holding === on) return;
    holding = on;
    runtime.keepAlive(on);
  };

  const backend: NativeBackend = {
    kind: runtime.kind,
    longSize,
    init(unitId: number): number {
      open("init");
      if (releasing) {
        throw new SmartBusError(
          "init: the library is still being released; await releaseAsync() first",
        );
      }
      assertNoNativeUnit(backend);
      if (unreleased !== undefined) {
        throw new SmartBusError(
          `init: unit ${unreleased} was finalized without the library's ` +
            `Release (${VENDOR_RELEASE}: it crashes the process), so the ` +
            `library still holds it; another unit needs a new process`,
        );
      }
      const rc = s.SmartBusNetCli_Init(unitId);
      if (rc === 0) {
        initialized = true;
        unitHolder = { unitId, backend };
        queue?.setBlock(QUEUE_BLOCK_MS);
        stopWatchingExit ??= onLoopDrained(() => {
          if (!initialized) return backend.close();
          backend.releaseAsync().finally(() => backend.close());
        });
      }
      return rc;
    },
    release(): void {
      open("release");
      unblock();
      if (initialized && mustNotRelease()) {
        unreleased = unitHolder?.unitId;
      } else s.SmartBusNetCli_Release();
      letGo();
      initialized = false;
      hold(false);
    },
    releaseAsync(): Promise<void> {
      open("releaseAsync");
      if (!initialized) return releasing ?? Promise.resolve();
      if (!runtime.releaseOffThread || mustNotRelease()) {
        backend.release();
        return Promise.resolve();
      }
      initialized = false;
      hold(false);
      unblock();
      // The unit stays taken until Release has returned on its thread.
      const done = runtime.releaseOffThread().finally(() => {
        releasing = undefined;
        letGo();
      });
      releasing = done;
      return done;
    },
    setCallbacks(cbs: BackendCallbacks): void {
      open("setCallbacks");
      assertNoNativeUnit(backend);
      callbacks = cbs;
      if (!installed && queue) {
        dropsBefore = queue.stats().dropped;
        queue.attach(route, runtime.log ?? console);
        installQueue(s, queue);
        installed = true;
      } else if (!installed) {
        // Callbacks read `callbacks` at call time: installing once is enough,
        // and native handles never change under the library's feet.
        runtime.installCallbacks(
          forwarders(
            route,
            packetHeadSize(longSize),
            runtime.copyOut,
          ),
        );
        installed = true;
      }
    },
    createConnect(
      id,
      type,
      masterIp,
      masterPort,
      slaveIp,
      slavePort,
      user,
      password,
      addInfo,
    ) {
      open("createConnect");
      if (
        runtime.vendorRelease && !clientIds.has(id) &&
        clientIds.size >= VENDOR_MAX_CLIENTS
      ) return ErrorCode.CLI_TOOMANY;
      clientIds.add(id);
      const skip = runtime.vendorRelease?.skipExitHandlers;
      if (skip) {
        skipLibraryDestructor(skip, () => {
          queue?.setBlock(0);
          queue?.pauseWakes();
        });
      }
      const rc = s.SmartBusNetCli_CreateConnect(
        id,
        type,
        masterIp,
        masterPort,
        slaveIp,
        slavePort,
        user,
        password,
        addInfo,
      );
      if (rc === 0) hold(true);
      return rc;
    },
    sendData(id, cmd, cmdType, dstUnitId, dstClientId, dstClientType, data) {
      open("sendData");
      return s.SmartBusNetCli_SendData(
        id,
        cmd,
        cmdType,
        dstUnitId,
        dstClientId,
        dstClientType,
        data,
        data.byteLength,
      );
    },
    sendPing(id, dstUnitId, dstClientId, dstClientType, data) {
      open("sendPing");
      return s.SmartBusNetCli_SendPing(
        id,
        dstUnitId,
        dstClientId,
        dstClientType,
        data,
        data.byteLength,
      );
    },
    remoteInvokeFlow(
      id,
      server,
      ipsc,
      projectId,
      flowId,
      mode,
      timeoutMs,
      valueList,
    ) {
      open("remoteInvokeFlow");
      return s.SmartBusNetCli_RemoteInvokeFlow(
        id,
        server,
        ipsc,
        projectId,
        flowId,
        mode,
        timeoutMs,
        valueList,
      );
    },
    sendNotify(
      id,
      server,
      processIndex,
      projectId,
      title,
      mode,
      expiresMs,
      param,
    ) {
      open("sendNotify");
      return s.SmartBusNetCli_SendNotify(
        id,
        server,
        processIndex,
        projectId,
        title,
        mode,
        expiresMs,
        param,
      );
    },
    close(): void {
      if (closed) return;
      // Freeing callbacks the library may still call would crash the
      // process: release first when the API did not.
      if (initialized) backend.release();
      closed = true;
      stopWatchingExit?.();
      stopWatchingExit = undefined;
      hold(false);
      const grace = (): Promise<void> =>
        new Promise((resolve, reject) => {
          setTimeout(() => {
            try {
              queue?.detach(route); // what is still queued is discarded
              runtime.dispose();
              resolve();
            } catch (e) {
              reject(e);
            }
          }, DISPOSE_GRACE_MS);
        });
      // An off-thread Release still running must return before unloading.
      disposed = releasing ? releasing.then(grace) : grace();
      // A failing unload must not surface as an unhandled rejection when
      // nobody awaits settled().
      disposed.catch(() => {});
    },
    settled(): Promise<void> {
      return disposed;
    },
  };
  if (queue) {
    backend.droppedEvents = () => queue.stats().dropped - dropsBefore;
  }
  return backend;
}

/** Give the library the queue's callbacks (all eight). */
function installQueue<P>(s: LibraryFunctions<P>, q: EventQueue<P>): void {
  s.SmartBusNetCli_SetCallBackFn(
    q.fn(QueueKind.connection),
    q.fn(QueueKind.recvData),
    q.fn(QueueKind.disconnect),
    q.fn(QueueKind.invokeFlowRet),
    q.fn(QueueKind.globalConnect),
    null as P, // every runtime takes null for a NULL pointer
  );
  s.SmartBusNetCli_SetCallBackFnEx(
    INVOKEFLOW_ACK_CB_NAME,
    q.fn(QueueKind.invokeFlowAck),
  );
  s.SmartBusNetCli_SetTraceStr(
    q.fn(QueueKind.traceInfo),
    q.fn(QueueKind.traceError),
  );
}
