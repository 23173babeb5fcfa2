/**
 * The Node backend: `koffi` (an optional peer dependency of the npm
 * package, loaded lazily here so that Deno and Bun never need it).
 *
 * A `koffi.register` callback raised from the library's thread is queued to
 * the JS thread and the C thread **blocks until the JS function has run**
 * (measured: a callback raised while the JS thread was busy for 400 ms held
 * the C thread ~356 ms; the buffer it freed right after was read intact).
 * So, as under Deno, pointers are still valid inside the callback: each one
 * copies the packet head, strings and data (`koffi.decode` returns fresh
 * arrays) before it returns. Registered callbacks do not hold the event loop;
 * the keep-alive policy of `native.ts` holds it with a timer instead.
 *
 * `koffi` is typed through the local {@link KoffiLike} subset, so this module
 * type-checks without it (Deno) and loads it only when a backend is created.
 *
 * @example
 * ```ts
 * import { createNodeBackend } from "./node.ts";
 * const backend = createNodeBackend({ libraryPath: "./build/libbusnetcli.so" });
 * console.log(backend.kind, backend.longSize);
 * ```
 * @module
 */
import { createRequire } from "node:module";
import type { BackendCallbacks } from "../abi/backend.ts";
import { SmartBusError } from "../abi/errors.ts";
import {
  CALLBACK_SIGNATURES as CB,
  INVOKEFLOW_ACK_CB_NAME,
  LIBRARY_SYMBOLS,
  type NativeSignature,
  type NativeType,
  packetHeadSize,
} from "../abi/symbols.ts";
import { libraryCandidates, loadFirst } from "./loader.ts";
import {
  createNativeBackend,
  type NativeBackend,
  type NativeSymbols,
  platformLongSize,
} from "./native.ts";

export type { NativeBackend };

/** Options of {@link createNodeBackend}. */
export interface NodeBackendOptions {
  /** The library file; else `SMARTBUS_NETCLI_LIB`, else the default search. */
  libraryPath?: string;
}

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
  if (typeof g.process?.versions?.node !== "string") {
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

/** Bind one function of the table (callback-typed parameters as `void *`). */
function bind(
  lib: ReturnType<KoffiLike["load"]>,
  name: string,
  sig: NativeSignature,
): KoffiFn {
  return lib.func(
    name,
    KOFFI_TYPES[sig.result],
    sig.parameters.map((t) => KOFFI_TYPES[t]),
  );
}

/**
 * Load the library with koffi and bind it as a {@link Backend}. Throws
 * `LibraryLoadError` (every path tried) when it cannot be loaded, and
 * `SmartBusError` when koffi is not installed.
 *
 * @example
 * ```ts
 * import { createNodeBackend } from "./node.ts";
 * const b = createNodeBackend();
 * b.init(17);
 * b.release();
 * b.close();
 * ```
 */
export function createNodeBackend(
  options: NodeBackendOptions = {},
): NativeBackend {
  const koffi = loadKoffi();
  const { value: lib } = loadFirst(
    libraryCandidates(options),
    (path) => koffi.load(path),
  );
  const fns: Record<string, KoffiFn> = {};
  for (const [name, sig] of Object.entries(LIBRARY_SYMBOLS)) {
    fns[name] = bind(lib, name, sig);
  }
  const platform = (globalThis as { process?: { platform?: string } })
    .process?.platform;
  const longSize = platformLongSize(platform === "win32" ? "windows" : "");
  const headSize = packetHeadSize(longSize);
  const handles: unknown[] = [];
  let keeper: ReturnType<typeof setInterval> | undefined;

  const installCallbacks = (
    target: () => BackendCallbacks | undefined,
  ): void => {
    const make = (
      sig: NativeSignature,
      fn: (...args: never[]) => void,
    ): unknown => {
      const type = koffi.pointer(
        koffi.proto(
          KOFFI_TYPES[sig.result],
          sig.parameters.map((t) => KOFFI_TYPES[t]),
        ),
      );
      const handle = koffi.register(fn, type);
      handles.push(handle);
      return handle;
    };
    const bytes = (p: Ptr, len: number): Uint8Array =>
      isNull(p) || len <= 0
        ? new Uint8Array(0)
        : koffi.decode(p, "uint8_t", len);
    const cstr = (p: Ptr): Uint8Array =>
      isNull(p) ? new Uint8Array(0) : koffi.decode(p, "uint8_t", -1);
    const head = (p: Ptr): Uint8Array | null =>
      isNull(p) ? null : bytes(p, headSize);

    const conn = make(
      CB.connection_cb,
      (_a: Ptr, id: number, u: number, ack: number) => {
        target()?.connection(id, u, ack);
      },
    );
    const recv = make(
      CB.recvdata_cb,
      (_a: Ptr, id: number, h: Ptr, data: Ptr, size: number) => {
        const t = target();
        if (t) {
          t.recvData(
            id,
            head(h) ?? new Uint8Array(headSize),
            bytes(data, size),
          );
        }
      },
    );
    const disc = make(CB.disconnect_cb, (_a: Ptr, id: number) => {
      target()?.disconnect(id);
    });
    type FlowFn = (
      _a: Ptr,
      id: number,
      h: Ptr,
      project: Ptr,
      invokeId: number,
      code: number,
      text: Ptr,
    ) => void;
    const flow =
      (which: "invokeFlowAck" | "invokeFlowRet"): FlowFn =>
      (_a, id, h, project, invokeId, code, text) => {
        const t = target();
        if (t) t[which](id, head(h), cstr(project), invokeId, code, cstr(text));
      };
    const ack = make(CB.invokeflow_ack_cb, flow("invokeFlowAck"));
    const ret = make(CB.invokeflow_ret_cb, flow("invokeFlowRet"));
    const glob = make(
      CB.global_connect_cb,
      (
        _a: Ptr,
        unit: number,
        client: number,
        type: number,
        access: number,
        status: number,
        info: Ptr,
      ) => {
        const t = target();
        if (t) t.globalConnect(unit, client, type, access, status, cstr(info));
      },
    );
    const info = make(CB.trace_cb, (msg: Ptr) => {
      const t = target();
      if (t) t.traceInfo(cstr(msg));
    });
    const error = make(CB.trace_cb, (msg: Ptr) => {
      const t = target();
      if (t) t.traceError(cstr(msg));
    });
    fns.SmartBusNetCli_SetCallBackFn(conn, recv, disc, ret, glob, null);
    fns.SmartBusNetCli_SetCallBackFnEx(INVOKEFLOW_ACK_CB_NAME, ack);
    fns.SmartBusNetCli_SetTraceStr(info, error);
  };

  return createNativeBackend({
    kind: "node",
    symbols: fns as unknown as NativeSymbols,
    installCallbacks,
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
        fns.SmartBusNetCli_Release.async((err: unknown) => {
          if (err) reject(err);
          else resolve();
        });
      });
    },
    dispose(): void {
      for (const h of handles.splice(0)) koffi.unregister(h);
      lib.unload();
    },
  }, longSize);
}

/** A pointer as koffi 3 hands it to a callback. */
type Ptr = bigint | null;

/** Far in the future: the interval exists only to hold the loop. */
const KEEPER_PERIOD_MS = 1 << 30;

function isNull(p: Ptr): p is null {
  return p === null || p === 0n;
}
