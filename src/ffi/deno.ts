/**
 * The Deno backend: `Deno.dlopen` and thread-safe `Deno.UnsafeCallback`s.
 *
 * Events normally come through the process's native event queue
 * (`queue/process.ts`): the library's callbacks copy into it and return at
 * once, and one thread-safe wake callback (called from the queue's own
 * thread) drains a whole batch per wake. Its wake is unref'd; the keep-alive
 * policy of `native_backend.ts` refs it while a connection exists.
 *
 * Without the queue (`SMARTBUS_EVENT_QUEUE=off`, or it cannot be loaded):
 * Deno's thread-safe callback blocks the library's thread until the JS
 * function has run (`docs/abi.md`), so the pointers are still valid inside
 * it: each callback copies the packet head, strings and data into fresh
 * `Uint8Array`s before it returns. Callbacks are unref'd so that they do not
 * hold the process open by themselves; the keep-alive policy refs one of them
 * while a connection exists.
 * @module
 */
import { SmartBusError } from "../abi/errors.ts";
import { packetHeadSize } from "../abi/packinfo.ts";
import {
  CALLBACK_SIGNATURES as CB,
  INVOKEFLOW_ACK_CB_NAME,
  LIBRARY_SYMBOLS,
} from "../abi/symbols.ts";
import type { CopyOut } from "./forward.ts";
import { cStringLength, glibcDl, pinLibrary } from "./deno_libc.ts";
import { openDeepBound } from "./deep_bind.ts";
import { libraryCandidates, loadFirst } from "./loader.ts";
import {
  createNativeBackend,
  type NativeBackend,
  nativeLongSize,
  type NativeOptions,
} from "./native_backend.ts";
import { QUEUE_SYMBOLS, QueueWake } from "./queue/drain.ts";
import {
  type EventQueue,
  processEventQueue,
  type QueueBinder,
} from "./queue/process.ts";

// The shared table, plus Release as a nonblocking call (run on a worker
// thread, resolved as a promise) for releaseAsync().
const DENO_SYMBOLS = {
  ...LIBRARY_SYMBOLS,
  SmartBusNetCli_ReleaseOffThread: {
    name: "SmartBusNetCli_Release",
    parameters: [],
    result: "void",
    nonblocking: true,
  },
} as const satisfies Deno.ForeignLibraryInterface;

/** Options of {@link createDenoBackend}. */
export type DenoBackendOptions = NativeOptions;

type Ptr = Deno.PointerValue;

/** The queue's wake: created once per process, never closed. */
let queueWake: Deno.UnsafeCallback | undefined;

const DENO_QUEUE: QueueBinder<Ptr> = {
  open(path) {
    const { symbols } = Deno.dlopen(path, QUEUE_SYMBOLS);
    pinLibrary(path); // the library's thread calls into it until the very end
    return symbols;
  },
  wake(fn): Ptr {
    const cb = Deno.UnsafeCallback.threadSafe(
      { parameters: [], result: "void" },
      fn,
    );
    cb.unref(); // held only while a connection exists (keepAlive)
    queueWake = cb as unknown as Deno.UnsafeCallback;
    return cb.pointer;
  },
  mode: QueueWake.thread,
  // No socket wake (QueueBinder.connectWake) here: it cost a third less CPU
  // per flow round trip at 1 in flight, but Deno's reads of a Unix socket
  // grew the process's RSS by 21 MB over 1,000,000 received messages
  // (0.8 MB with this callback wake; heap flat in both), native memory
  // that Deno keeps. Memory stays flat first.
};

const DENO_COPY: CopyOut<Ptr> = {
  isNull: (p) => p === null,
  bytes: copyBytes,
  cString: copyCString,
};

/**
 * Load the library with `Deno.dlopen` and bind it as a `Backend`.
 * Throws `LibraryLoadError` (every path tried) when it cannot be loaded.
 */
export function createDenoBackend(
  options: DenoBackendOptions = {},
): NativeBackend {
  const D = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!D?.dlopen) {
    throw new SmartBusError("the deno backend needs the Deno runtime");
  }
  const { value: { lib, found }, path } = loadFirst(
    libraryCandidates(options),
    (path) => {
      const found = openDeepBound(path, glibcDl());
      return { lib: D.dlopen(path, DENO_SYMBOLS), found };
    },
  );
  // Its thread outlives the runtime when a program dies of an uncaught
  // error: see deno_libc.ts.
  pinLibrary(path);
  const closers: (() => void)[] = [];
  let keeper: { ref(): number; unref(): number } | undefined;
  const log = options.logger ?? console;
  const queue = processEventQueue(
    DENO_QUEUE,
    log,
    packetHeadSize(nativeLongSize()),
  );
  if (queue) {
    keeper = queueWake;
    guardFatalErrors(queue);
  }

  return createNativeBackend<Ptr>({
    kind: "deno",
    symbols: lib.symbols,
    queue,
    vendorRelease: found.ownLibuv
      ? { skipExitHandlers: found.skipExitHandlers }
      : undefined,
    log,
    copyOut: DENO_COPY,
    installCallbacks(fns): void {
      const make = <T extends Deno.UnsafeCallbackDefinition>(
        def: T,
        fn: Deno.UnsafeCallbackFunction<T["parameters"], T["result"]>,
      ): Deno.UnsafeCallback<T> => {
        const cb = D.UnsafeCallback.threadSafe(def, fn);
        cb.unref(); // keep-alive is decided by native_backend.ts, not by existence
        closers.push(() => cb.close());
        return cb;
      };
      const conn = make(CB.connection_cb, fns.connection);
      keeper = conn;
      const s = lib.symbols;
      s.SmartBusNetCli_SetCallBackFn(
        conn.pointer,
        make(CB.recvdata_cb, fns.recvData).pointer,
        make(CB.disconnect_cb, fns.disconnect).pointer,
        make(CB.invokeflow_ret_cb, fns.invokeFlowRet).pointer,
        make(CB.global_connect_cb, fns.globalConnect).pointer,
        null,
      );
      s.SmartBusNetCli_SetCallBackFnEx(
        INVOKEFLOW_ACK_CB_NAME,
        make(CB.invokeflow_ack_cb, fns.invokeFlowAck).pointer,
      );
      s.SmartBusNetCli_SetTraceStr(
        make(CB.trace_cb, fns.traceInfo).pointer,
        make(CB.trace_cb, fns.traceError).pointer,
      );
    },
    keepAlive(on: boolean): void {
      if (on) keeper?.ref();
      else keeper?.unref();
    },
    releaseOffThread(): Promise<void> {
      return lib.symbols.SmartBusNetCli_ReleaseOffThread();
    },
    dispose(): void {
      for (const close of closers.splice(0)) close();
      lib.close();
    },
  });
}

let guarded = false;

/**
 * When a program dies of an uncaught error, Deno frees its callbacks before
 * it exits, while the library's threads run on: the queue's thread calling
 * the freed wake crashed the process (SIGSEGV, the error unprinted, in 2 of
 * 10 runs once the libraries were pinned). So wakes pause while an error
 * nobody has handled yet is dispatched, and resume on the next task, which
 * only runs if a later listener handled it and the program goes on.
 */
function guardFatalErrors(queue: EventQueue<Ptr>): void {
  if (guarded) return;
  guarded = true;
  const onFatal = (e: Event): void => {
    if (e.defaultPrevented) return;
    setTimeout(queue.pauseWakes(), 0);
  };
  globalThis.addEventListener("error", onFatal);
  globalThis.addEventListener("unhandledrejection", onFatal);
}

/** A fresh copy of `len` bytes at `p` (empty for NULL or len <= 0). */
function copyBytes(p: Ptr, len: number): Uint8Array {
  const out = new Uint8Array(len > 0 ? len : 0);
  if (p !== null && len > 0) Deno.UnsafePointerView.copyInto(p, out);
  return out;
}

/** A fresh copy of the C string at `p`, without its NUL (empty for NULL). */
function copyCString(p: Ptr): Uint8Array {
  if (p === null) return new Uint8Array(0);
  return copyBytes(p, cStringLength(p));
}
