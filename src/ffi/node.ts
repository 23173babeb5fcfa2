/**
 * The Node backend: `koffi` (an optional peer dependency of the npm
 * package, loaded lazily here so that Deno and Bun never need it).
 *
 * Events normally come through the process's native event queue
 * (`queue/process.ts`): the library's callbacks copy into it and return at
 * once, and one registered wake (called from the queue's own thread, never
 * unregistered) drains a whole batch per wake on the JS thread.
 *
 * Without the queue (`SMARTBUS_EVENT_QUEUE=off`, or it cannot be loaded):
 * a `koffi.register` callback raised from the library's thread is queued to
 * the JS thread and the C thread **blocks until the JS function has run**
 * (measured: a callback raised while the JS thread was busy for 400 ms held
 * the C thread ~356 ms; the buffer it freed right after was read intact).
 * So, as under Deno, pointers are still valid inside the callback: each one
 * copies the packet head, strings and data (`koffi.decode` returns fresh
 * arrays) before it returns. Registered callbacks do not hold the event loop;
 * the keep-alive policy of `native_backend.ts` holds it with a timer instead.
 *
 * `koffi` is typed through the local {@link KoffiLike} subset, so this module
 * type-checks without it (Deno) and loads it only when a backend is created.
 * @module
 */
import { createRequire } from "node:module";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import process from "node:process";
import { SmartBusError } from "../abi/errors.ts";
import { packetHeadSize } from "../abi/packinfo.ts";
import {
  CALLBACK_SIGNATURES as CB,
  INVOKEFLOW_ACK_CB_NAME,
  LIBRARY_SYMBOLS,
  type LibraryFunctions,
  type NativeSignature,
  type NativeType,
} from "../abi/symbols.ts";
import type { CopyOut } from "./forward.ts";
import { libraryCandidates, loadFirst } from "./loader.ts";
import {
  GLIBC_NAME,
  type GlibcDl,
  glibcOnce,
  LIBC_DL_SYMBOLS,
  openDeepBound,
} from "./deep_bind.ts";
import {
  createNativeBackend,
  type NativeBackend,
  nativeLongSize,
  type NativeOptions,
} from "./native_backend.ts";
import { QUEUE_SYMBOLS, QueueWake } from "./queue/drain.ts";
import {
  processEventQueue,
  type QueueBinder,
  type QueueFunctions,
} from "./queue/process.ts";

/** Options of {@link createNodeBackend}. */
export type NodeBackendOptions = NativeOptions;

/** A koffi function: callable, plus `.async(...args, done)` on a worker thread. */
// deno-lint-ignore no-explicit-any
export type KoffiFn = ((...args: any[]) => any) & {
  // deno-lint-ignore no-explicit-any
  async(...args: any[]): void;
};

/** The subset of koffi (3.x) used here; its pointers are bigints, NULL is `null` or `0n`. */
export interface KoffiLike {
  /** `dlopen`. */
  load(path: string): {
    func(name: string, result: unknown, parameters: unknown[]): KoffiFn;
    unload(): void;
  };
  /** An anonymous C function type. */
  proto(result: string, parameters: string[]): unknown;
  /** A pointer type to `ref`. */
  pointer(ref: unknown): unknown;
  /** A C function pointer calling `fn`, valid until `unregister`. */
  register(fn: (...args: never[]) => void, type: unknown): unknown;
  /** Free a registered callback. */
  unregister(handle: unknown): void;
  /** Copy `len` values (-1: up to the NUL) of `type` at `ptr` into a new array. */
  decode(ptr: unknown, type: string, len: number): Uint8Array;
}

const KOFFI_TYPES: Record<NativeType, string> = {
  u8: "uint8_t",
  i8: "int8_t",
  u16: "uint16_t",
  i32: "int",
  pointer: "void *",
  // koffi passes a Uint8Array's own memory for a `void *` argument (and
  // `null` as NULL); `const` tells it not to copy anything back.
  buffer: "const void *",
  function: "void *",
  void: "void",
};

let koffiModule: KoffiLike | undefined;

/** koffi, required lazily (an optional peer dependency of the npm package). */
function loadKoffi(): KoffiLike {
  if (koffiModule) return koffiModule;
  const g = globalThis as { process?: { versions?: { node?: string } } };
  // Deno and Bun define `process.versions.node` too; they have their own FFI.
  if (
    "Deno" in globalThis || "Bun" in globalThis ||
    typeof g.process?.versions?.node !== "string"
  ) {
    throw new SmartBusError("the node backend needs Node.js");
  }
  try {
    const require = createRequire(import.meta.url);
    koffiModule = require("koffi") as KoffiLike;
  } catch (e) {
    throw new SmartBusError(
      "the node backend needs the koffi package (an optional peer dependency of " +
        "@smartbus/netclient): install it with `npm install koffi`",
      0,
      { cause: e },
    );
  }
  return koffiModule;
}

/** koffi's C type names for a signature: result, then parameters. */
function koffiTypes(sig: NativeSignature): [string, string[]] {
  return [KOFFI_TYPES[sig.result], sig.parameters.map((t) => KOFFI_TYPES[t])];
}

/** A pointer as koffi 3 hands it to a callback (NULL: `null`, or `0n`). */
type Ptr = bigint | null;

/** The queue through koffi: its functions, and one registered wake. */
function nodeQueue(koffi: KoffiLike): QueueBinder<Ptr> {
  return {
    open(path): QueueFunctions<Ptr> {
      const q = koffi.load(path);
      const bind = (name: keyof typeof QUEUE_SYMBOLS): KoffiFn =>
        q.func(name, ...koffiTypes(QUEUE_SYMBOLS[name]));
      return {
        eq_fn: bind("eq_fn"),
        eq_configure: bind("eq_configure"),
        eq_set_block: bind("eq_set_block"),
        eq_set_wake: bind("eq_set_wake"),
        eq_drain: bind("eq_drain"),
        eq_stats: bind("eq_stats"),
        eq_wake_listen: bind("eq_wake_listen"),
        eq_wake_accept: bind("eq_wake_accept"),
      };
    },
    // Never unregistered: the queue's thread may call it at any time.
    wake: (fn) =>
      koffi.register(fn, koffi.pointer(koffi.proto("void", []))) as Ptr,
    mode: QueueWake.thread,
    socketDir: () => process.platform === "win32" ? undefined : tmpdir(),
    connectWake(path, onData, onEnd): Promise<void> {
      return new Promise((resolve, reject) => {
        const socket = createConnection({ path });
        socket.once("error", reject);
        socket.once("connect", () => {
          socket.off("error", reject);
          socket.on("error", () => {}); // "close" follows
          socket.unref(); // keep-alive is the backend's (KEEPER_PERIOD_MS)
          resolve();
        });
        socket.on("data", onData);
        socket.once("close", onEnd);
      });
    },
  };
}

/** glibc's `dlopen` through koffi, bound on first use. */
let glibcDlOf: (() => GlibcDl | undefined) | undefined;

function glibcDl(koffi: KoffiLike): GlibcDl | undefined {
  glibcDlOf ??= glibcOnce(() => {
    const libc = koffi.load(GLIBC_NAME);
    const bind = (name: keyof typeof LIBC_DL_SYMBOLS): KoffiFn =>
      libc.func(name, ...koffiTypes(LIBC_DL_SYMBOLS[name]));
    const dlopen = bind("dlopen");
    const dlsym = bind("dlsym");
    const onExit = bind("on_exit");
    // A C string result, decoded by koffi (NULL: null).
    const dlerror = libc.func("dlerror", "const char *", []);
    const z = (text: string) => new TextEncoder().encode(text + "\0");
    const isNull = (p: unknown) => p === null || p === 0n;
    return {
      open: (path, flags) => {
        const h = dlopen(z(path), flags);
        return isNull(h) ? null : h;
      },
      has: (handle, sym) => !isNull(dlsym(handle, z(sym))),
      exitBeforeEarlierHandlers: () =>
        void onExit(dlsym(null, z("_exit")), null),
      error: () => (dlerror() as string | null) ?? "",
    };
  });
  return glibcDlOf();
}

/** Far in the future: the interval exists only to hold the loop. */
const KEEPER_PERIOD_MS = 1 << 30;

/**
 * Load the library with koffi and bind it as a `Backend`. Throws
 * `LibraryLoadError` (every path tried) when it cannot be loaded, and
 * `SmartBusError` when koffi is not installed.
 */
export function createNodeBackend(
  options: NodeBackendOptions = {},
): NativeBackend {
  const koffi = loadKoffi();
  const { value: { lib, found } } = loadFirst(
    libraryCandidates(options),
    (path) => {
      const found = openDeepBound(path, glibcDl(koffi));
      return { lib: koffi.load(path), found };
    },
  );
  const bind = (name: keyof typeof LIBRARY_SYMBOLS): KoffiFn =>
    lib.func(name, ...koffiTypes(LIBRARY_SYMBOLS[name]));
  // Written out rather than mapped, so that the type checker sees every
  // function of the table bound (koffi's functions take anything).
  const release = bind("SmartBusNetCli_Release");
  const fns: LibraryFunctions<unknown> = {
    SmartBusNetCli_Init: bind("SmartBusNetCli_Init"),
    SmartBusNetCli_Release: release,
    SmartBusNetCli_SetCallBackFn: bind("SmartBusNetCli_SetCallBackFn"),
    SmartBusNetCli_SetCallBackFnEx: bind("SmartBusNetCli_SetCallBackFnEx"),
    SmartBusNetCli_SetTraceStr: bind("SmartBusNetCli_SetTraceStr"),
    SmartBusNetCli_CreateConnect: bind("SmartBusNetCli_CreateConnect"),
    SmartBusNetCli_SendData: bind("SmartBusNetCli_SendData"),
    SmartBusNetCli_SendPing: bind("SmartBusNetCli_SendPing"),
    SmartBusNetCli_RemoteInvokeFlow: bind("SmartBusNetCli_RemoteInvokeFlow"),
    SmartBusNetCli_SendNotify: bind("SmartBusNetCli_SendNotify"),
  };
  const handles: unknown[] = [];
  const log = options.logger ?? console;
  const queue = processEventQueue(
    nodeQueue(koffi),
    log,
    packetHeadSize(nativeLongSize()),
  );
  let keeper: ReturnType<typeof setInterval> | undefined;
  const isNull = (p: Ptr): p is null => p === null || p === 0n;
  const copyOut: CopyOut<Ptr> = {
    isNull,
    bytes: (p, len) =>
      isNull(p) || len <= 0
        ? new Uint8Array(0)
        : koffi.decode(p, "uint8_t", len),
    cString: (p) =>
      isNull(p) ? new Uint8Array(0) : koffi.decode(p, "uint8_t", -1),
  };

  return createNativeBackend<Ptr>({
    kind: "node",
    symbols: fns,
    queue,
    vendorRelease: found.ownLibuv
      ? { skipExitHandlers: found.skipExitHandlers }
      : undefined,
    log,
    copyOut,
    installCallbacks(cbs): void {
      const make = (
        sig: NativeSignature,
        fn: (...args: never[]) => void,
      ): unknown => {
        const [result, parameters] = koffiTypes(sig);
        const handle = koffi.register(
          fn,
          koffi.pointer(koffi.proto(result, parameters)),
        );
        handles.push(handle);
        return handle;
      };
      fns.SmartBusNetCli_SetCallBackFn(
        make(CB.connection_cb, cbs.connection),
        make(CB.recvdata_cb, cbs.recvData),
        make(CB.disconnect_cb, cbs.disconnect),
        make(CB.invokeflow_ret_cb, cbs.invokeFlowRet),
        make(CB.global_connect_cb, cbs.globalConnect),
        null,
      );
      fns.SmartBusNetCli_SetCallBackFnEx(
        INVOKEFLOW_ACK_CB_NAME,
        make(CB.invokeflow_ack_cb, cbs.invokeFlowAck),
      );
      fns.SmartBusNetCli_SetTraceStr(
        make(CB.trace_cb, cbs.traceInfo),
        make(CB.trace_cb, cbs.traceError),
      );
    },
    keepAlive(on: boolean): void {
      // Registered callbacks never hold Node's loop: a ref'd timer does.
      if (on) keeper ??= setInterval(() => {}, KEEPER_PERIOD_MS);
      else if (keeper !== undefined) {
        clearInterval(keeper);
        keeper = undefined;
      }
    },
    releaseOffThread(): Promise<void> {
      // koffi's `.async` runs Release on its worker pool, so the JS thread
      // keeps serving the callbacks a joining Release waits for.
      return new Promise((resolve, reject) => {
        release.async((err: unknown) => {
          if (err) reject(err);
          else resolve();
        });
      });
    },
    dispose(): void {
      for (const h of handles.splice(0)) koffi.unregister(h);
      lib.unload();
    },
  });
}
