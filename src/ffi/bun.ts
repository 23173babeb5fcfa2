/**
 * The Bun backend: `bun:ffi`'s `dlopen`, plus a copy trampoline compiled at
 * load time with `bun:ffi`'s `cc` (see `bun_trampoline.ts` for why: Bun's
 * thread-safe `JSCallback` runs JS after the library freed its buffers).
 *
 * `bun:ffi` is reached through `import.meta.require` (no static import, so
 * Deno can type-check and load this module); its types are a local subset.
 *
 * The trampoline and its one thread-safe wake `JSCallback` are compiled once
 * per process and never freed: the library's thread may still be inside a
 * trampoline function when `Release` returns. Events are routed to the most
 * recent backend that installed callbacks and is not closed (the library is a
 * process-wide singleton anyway).
 *
 * @example
 * ```ts
 * import { createBunBackend } from "./bun.ts";
 * const backend = createBunBackend({ libraryPath: "./build/libbusnetcli.so" });
 * console.log(backend.kind, backend.longSize);
 * ```
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BackendCallbacks } from "../abi/backend.ts";
import { SmartBusError } from "../abi/errors.ts";
import {
  INVOKEFLOW_ACK_CB_NAME,
  LIBRARY_SYMBOLS,
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
import {
  BlockKind,
  BlockLayout,
  TRAMPOLINE_SOURCE,
  TrampolineFn,
} from "./bun_trampoline.ts";

/** Options of {@link createBunBackend}. */
export interface BunBackendOptions {
  /** The library file; else `SMARTBUS_NETCLI_LIB`, else the default search. */
  libraryPath?: string;
}

// The subset of bun:ffi used here (Bun's pointers are plain numbers).
type BunType = "u8" | "i8" | "u16" | "i32" | "ptr" | "function" | "void";
interface BunFnDef {
  args: BunType[];
  returns: BunType;
}
interface BunLibrary {
  // deno-lint-ignore no-explicit-any
  symbols: Record<string, (...args: any[]) => any>;
  close(): void;
}
interface BunFFI {
  dlopen(path: string, symbols: Record<string, BunFnDef>): BunLibrary;
  cc(options: {
    source: string;
    symbols: Record<string, BunFnDef>;
  }): BunLibrary;
  JSCallback: new (
    fn: () => void,
    def: BunFnDef & { threadsafe: boolean },
  ) => { readonly ptr: number | null; close(): void };
  toArrayBuffer(ptr: number, offset: number, length: number): ArrayBuffer;
}

const BUN_TYPES: Record<NativeType, BunType> = {
  u8: "u8",
  i8: "i8",
  u16: "u16",
  i32: "i32",
  pointer: "ptr",
  buffer: "ptr",
  function: "function",
  void: "void",
};

/** The symbol table in bun:ffi's words. */
function bunSymbols(): Record<string, BunFnDef> {
  const out: Record<string, BunFnDef> = {};
  for (const [name, sig] of Object.entries(LIBRARY_SYMBOLS)) {
    out[name] = {
      args: sig.parameters.map((t) => BUN_TYPES[t]),
      returns: BUN_TYPES[sig.result],
    };
  }
  return out;
}

interface Trampoline {
  lib: BunLibrary;
  headerSize: number;
  /** Where events go: the active backend's target, else dropped (and freed). */
  route: (() => BackendCallbacks | undefined) | undefined;
  /** Pops, copies, frees and dispatches every queued block. */
  drain(): void;
}

let shared: Trampoline | undefined;

function bunFFI(): BunFFI {
  const meta = import.meta as unknown as { require?: (id: string) => unknown };
  if (!("Bun" in globalThis) || typeof meta.require !== "function") {
    throw new SmartBusError("the bun backend needs the Bun runtime");
  }
  return meta.require("bun:ffi") as BunFFI;
}

/** Compile (once per process) the trampoline and its wake callback. */
function trampoline(ffi: BunFFI, headSize: number): Trampoline {
  if (shared) return shared;
  let dir: string;
  try {
    dir = mkdtempSync(join(tmpdir(), "smartbus-ffi-"));
  } catch (e) {
    throw new SmartBusError(
      `the bun backend needs a writable temporary folder to compile its ` +
        `callback trampoline (tried ${tmpdir()}; set TMPDIR)`,
      0,
      { cause: e },
    );
  }
  let lib: BunLibrary;
  try {
    const source = join(dir, "smartbus_trampoline.c");
    writeFileSync(source, TRAMPOLINE_SOURCE);
    lib = ffi.cc({
      source,
      symbols: {
        tramp_fn: { args: ["i32"], returns: "ptr" },
        tramp_set_wake: { args: ["ptr", "i32"], returns: "void" },
        tramp_pop: { args: [], returns: "ptr" },
        tramp_free: { args: ["ptr"], returns: "void" },
        tramp_header_size: { args: [], returns: "i32" },
        tramp_live: { args: [], returns: "i32" },
        tramp_dropped: { args: [], returns: "i32" },
      },
    });
  } catch (e) {
    throw new SmartBusError(
      "the bun backend could not compile its callback trampoline with bun:ffi cc",
      0,
      { cause: e },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const s = lib.symbols;
  const headerSize = s.tramp_header_size() as number;
  const t: Trampoline = {
    lib,
    headerSize,
    route: undefined,
    drain(): void {
      let failure: unknown;
      let failed = false;
      for (;;) {
        const block = s.tramp_pop() as number | null;
        if (!block) break;
        let event: Decoded;
        try {
          event = readBlock(ffi, block, headerSize);
        } finally {
          s.tramp_free(block);
        }
        const cbs = t.route?.();
        try {
          if (cbs) dispatch(event, cbs, headSize);
        } catch (e) {
          // Keep draining: the queue must empty so that the next block wakes
          // JS again; report the first failure afterwards.
          if (!failed) [failed, failure] = [true, e];
        }
      }
      if (failed) throw failure;
    },
  };
  const wake = new ffi.JSCallback(() => t.drain(), {
    args: [],
    returns: "void",
    threadsafe: true,
  });
  s.tramp_set_wake(wake.ptr, headSize);
  shared = t;
  return t;
}

/** One callback's arguments, copied out of a trampoline block. */
interface Decoded {
  kind: number;
  /** The block's six ints. */
  v: number[];
  /** Its three byte fields (`null`: a NULL pointer). */
  f: (Uint8Array | null)[];
}

/** Copy every field of a block into JS memory (the caller frees the block). */
function readBlock(ffi: BunFFI, block: number, headerSize: number): Decoded {
  const head = new DataView(ffi.toArrayBuffer(block, 0, headerSize));
  const int = (at: number): number => head.getInt32(at, true);
  const bytes = new Uint8Array(
    ffi.toArrayBuffer(block, 0, int(BlockLayout.total)),
  );
  const v = [0, 1, 2, 3, 4, 5].map((i) => int(BlockLayout.values + 4 * i));
  const f: (Uint8Array | null)[] = [];
  let at = headerSize;
  for (let i = 0; i < 3; i++) {
    const len = int(BlockLayout.lengths + 4 * i);
    f.push(len < 0 ? null : bytes.slice(at, at + len)); // slice: a copy
    if (len > 0) at += len;
  }
  return { kind: int(BlockLayout.kind), v, f };
}

/** Raise the callback a decoded block stands for. */
function dispatch(e: Decoded, cbs: BackendCallbacks, headSize: number): void {
  const { v, f } = e;
  const text = (b: Uint8Array | null): Uint8Array => b ?? new Uint8Array(0);
  switch (e.kind) {
    case BlockKind.connection:
      return cbs.connection(v[0], v[1], v[2]);
    case BlockKind.recvData:
      return cbs.recvData(v[0], f[0] ?? new Uint8Array(headSize), text(f[1]));
    case BlockKind.disconnect:
      return cbs.disconnect(v[0]);
    case BlockKind.invokeFlowAck:
      return cbs.invokeFlowAck(v[0], f[0], text(f[1]), v[1], v[2], text(f[2]));
    case BlockKind.invokeFlowRet:
      return cbs.invokeFlowRet(v[0], f[0], text(f[1]), v[1], v[2], text(f[2]));
    case BlockKind.globalConnect:
      return cbs.globalConnect(v[0], v[1], v[2], v[3], v[4], text(f[0]));
    case BlockKind.traceInfo:
      return cbs.traceInfo(text(f[0]));
    case BlockKind.traceError:
      return cbs.traceError(text(f[0]));
  }
}

/**
 * Blocks the trampoline has allocated and not yet freed, in this process (0
 * when nothing leaks and nothing is queued); `undefined` before any Bun
 * backend compiled it. For tests.
 *
 * @example
 * ```ts
 * import { bunTrampolineLive } from "./bun.ts";
 * console.log(bunTrampolineLive());
 * ```
 */
export function bunTrampolineLive(): number | undefined {
  return shared?.lib.symbols.tramp_live() as number | undefined;
}

/**
 * Load the library with `bun:ffi` and bind it as a {@link NativeBackend}.
 * Throws `LibraryLoadError` (every path tried) when it cannot be loaded.
 *
 * @example
 * ```ts
 * import { createBunBackend } from "./bun.ts";
 * const b = createBunBackend();
 * b.init(17);
 * b.release();
 * b.close();
 * ```
 */
export function createBunBackend(
  options: BunBackendOptions = {},
): NativeBackend {
  const ffi = bunFFI();
  const { value: lib } = loadFirst(
    libraryCandidates(options),
    (path) => ffi.dlopen(path, bunSymbols()),
  );
  const proc = (globalThis as { process?: { platform?: string } }).process;
  const longSize = platformLongSize(
    proc?.platform === "win32" ? "windows" : "unix",
  );
  const headSize = packetHeadSize(longSize);
  let tramp: Trampoline;
  try {
    tramp = trampoline(ffi, headSize);
  } catch (e) {
    lib.close();
    throw e;
  }
  let route: (() => BackendCallbacks | undefined) | undefined;
  let keeper: ReturnType<typeof setInterval> | undefined;

  return createNativeBackend({
    kind: "bun",
    symbols: lib.symbols as unknown as NativeSymbols,
    installCallbacks(target): void {
      route = target;
      tramp.route = target;
      const fn = (i: number): number => tramp.lib.symbols.tramp_fn(i) as number;
      const s = lib.symbols;
      s.SmartBusNetCli_SetCallBackFn(
        fn(TrampolineFn.connection),
        fn(TrampolineFn.recvdata),
        fn(TrampolineFn.disconnect),
        fn(TrampolineFn.invokeflowRet),
        fn(TrampolineFn.globalConnect),
        null,
      );
      s.SmartBusNetCli_SetCallBackFnEx(
        INVOKEFLOW_ACK_CB_NAME,
        fn(TrampolineFn.invokeflowAck),
      );
      s.SmartBusNetCli_SetTraceStr(
        fn(TrampolineFn.traceInfo),
        fn(TrampolineFn.traceError),
      );
    },
    keepAlive(on: boolean): void {
      // A JSCallback does not hold Bun's event loop: a long idle interval does.
      if (on && keeper === undefined) keeper = setInterval(() => {}, 1 << 30);
      if (!on && keeper !== undefined) {
        clearInterval(keeper);
        keeper = undefined;
      }
    },
    dispose(): void {
      if (tramp.route === route) tramp.route = undefined;
      tramp.drain(); // frees whatever is still queued
      lib.close();
    },
  }, longSize);
}
