/**
 * The Deno backend: `Deno.dlopen` and thread-safe `Deno.UnsafeCallback`s.
 *
 * Deno's thread-safe callback blocks the library's thread until the JS
 * function has run (`docs/abi.md`), so the pointers are still valid inside
 * it: each callback copies the packet head, strings and data into fresh
 * `Uint8Array`s before it returns. Callbacks are unref'd so that they do not
 * hold the process open by themselves; the keep-alive policy of `native.ts`
 * refs one of them while a connection exists.
 *
 * @example
 * ```ts
 * import { createDenoBackend } from "./deno.ts";
 * const backend = createDenoBackend({ libraryPath: "./build/libbusnetcli.so" });
 * console.log(backend.kind, backend.longSize);
 * ```
 * @module
 */
import type { BackendCallbacks } from "../abi/backend.ts";
import { SmartBusError } from "../abi/errors.ts";
import {
  CALLBACK_SIGNATURES as CB,
  INVOKEFLOW_ACK_CB_NAME,
  LIBRARY_SYMBOLS,
  packetHeadSize,
} from "../abi/symbols.ts";
import { libraryCandidates, loadFirst } from "./loader.ts";
import {
  createNativeBackend,
  type NativeBackend,
  type NativeSymbols,
  platformLongSize,
} from "./native.ts";

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
} as const;

/** Options of {@link createDenoBackend}. */
export interface DenoBackendOptions {
  /** The library file; else `SMARTBUS_NETCLI_LIB`, else the default search. */
  libraryPath?: string;
}

type Ptr = Deno.PointerValue;

/**
 * Load the library with `Deno.dlopen` and bind it as a {@link Backend}.
 * Throws `LibraryLoadError` (every path tried) when it cannot be loaded.
 *
 * @example
 * ```ts
 * import { createDenoBackend } from "./deno.ts";
 * const b = createDenoBackend();
 * b.init(17);
 * b.release();
 * b.close();
 * ```
 */
export function createDenoBackend(
  options: DenoBackendOptions = {},
): NativeBackend {
  const D = (globalThis as { Deno?: typeof Deno }).Deno;
  if (!D?.dlopen) {
    throw new SmartBusError("the deno backend needs the Deno runtime");
  }
  const { value: lib } = loadFirst(
    libraryCandidates(options),
    (path) => D.dlopen(path, DENO_SYMBOLS),
  );
  const longSize = platformLongSize(D.build.os);
  const headSize = packetHeadSize(longSize);
  const handles: Deno.UnsafeCallback[] = [];
  let keeper: Deno.UnsafeCallback | undefined;

  const installCallbacks = (
    target: () => BackendCallbacks | undefined,
  ): void => {
    const make = <T extends Deno.UnsafeCallbackDefinition>(
      def: T,
      fn: Deno.UnsafeCallbackFunction<T["parameters"], T["result"]>,
    ): Deno.UnsafeCallback<T> => {
      const cb = D.UnsafeCallback.threadSafe(def, fn);
      cb.unref(); // keep-alive is decided by native.ts, not by existence
      handles.push(cb as unknown as Deno.UnsafeCallback);
      return cb;
    };
    const head = (p: Ptr): Uint8Array | null =>
      p === null ? null : copyBytes(p, headSize);
    const conn = make(CB.connection_cb, (_arg, id, unit, ack) => {
      target()?.connection(id, unit, ack);
    });
    const recv = make(CB.recvdata_cb, (_arg, id, h, data, size) => {
      const t = target();
      if (t) t.recvData(id, copyBytes(h, headSize), copyBytes(data, size));
    });
    const disc = make(CB.disconnect_cb, (_arg, id) => {
      target()?.disconnect(id);
    });
    const ack = make(
      CB.invokeflow_ack_cb,
      (_arg, id, h, project, invokeId, code, msg) => {
        const t = target();
        if (t) {
          t.invokeFlowAck(
            id,
            head(h),
            copyCString(project),
            invokeId,
            code,
            copyCString(msg),
          );
        }
      },
    );
    const ret = make(
      CB.invokeflow_ret_cb,
      (_arg, id, h, project, invokeId, code, param) => {
        const t = target();
        if (t) {
          t.invokeFlowRet(
            id,
            head(h),
            copyCString(project),
            invokeId,
            code,
            copyCString(param),
          );
        }
      },
    );
    const glob = make(
      CB.global_connect_cb,
      (_arg, unit, client, type, access, status, info) => {
        const t = target();
        if (t) {
          t.globalConnect(
            unit,
            client,
            type,
            access,
            status,
            copyCString(info),
          );
        }
      },
    );
    const info = make(CB.trace_cb, (msg) => {
      const t = target();
      if (t) t.traceInfo(copyCString(msg));
    });
    const error = make(CB.trace_cb, (msg) => {
      const t = target();
      if (t) t.traceError(copyCString(msg));
    });
    keeper = conn as unknown as Deno.UnsafeCallback;
    const s = lib.symbols;
    s.SmartBusNetCli_SetCallBackFn(
      conn.pointer,
      recv.pointer,
      disc.pointer,
      ret.pointer,
      glob.pointer,
      null,
    );
    s.SmartBusNetCli_SetCallBackFnEx(INVOKEFLOW_ACK_CB_NAME, ack.pointer);
    s.SmartBusNetCli_SetTraceStr(info.pointer, error.pointer);
  };

  return createNativeBackend({
    kind: "deno",
    symbols: lib.symbols as unknown as NativeSymbols,
    installCallbacks,
    keepAlive(on: boolean): void {
      if (on) keeper?.ref();
      else keeper?.unref();
    },
    releaseOffThread(): Promise<void> {
      return lib.symbols.SmartBusNetCli_ReleaseOffThread();
    },
    dispose(): void {
      for (const cb of handles.splice(0)) cb.close();
      keeper = undefined;
      lib.close();
    },
  }, longSize);
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

// The C library's strlen reads exactly up to the NUL (sanitizers agree, and
// it is one call); without it, a byte-by-byte scan (~40 ns a byte).
const LIBC: Record<string, string[]> = {
  linux: ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"],
  darwin: ["libSystem.B.dylib"],
  windows: ["ucrtbase.dll", "msvcrt.dll"],
};
let strlen: ((p: Ptr) => number) | null | undefined;

function cStringLength(p: Ptr): number {
  if (strlen === undefined) {
    strlen = null;
    for (const name of LIBC[Deno.build.os] ?? []) {
      try {
        const libc = Deno.dlopen(name, {
          strlen: { parameters: ["pointer"], result: "usize" },
        });
        strlen = (q) => Number(libc.symbols.strlen(q));
        break;
      } catch {
        // try the next name; the scan below always works
      }
    }
  }
  if (strlen) return strlen(p);
  const view = new Deno.UnsafePointerView(p!);
  let n = 0;
  while (view.getUint8(n) !== 0) n++;
  return n;
}
