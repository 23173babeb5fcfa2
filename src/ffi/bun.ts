/**
 * The Bun backend: `bun:ffi`'s `dlopen`. Bun's thread-safe `JSCallback`
 * runs JS after the library freed its buffers, so events must be copied in
 * the library's thread: by the process's native event queue
 * (`queue/process.ts`, its wake a thread-safe `JSCallback` called directly
 * from the library's thread), or, where the queue cannot be loaded, by a copy
 * trampoline compiled at load time with `bun:ffi`'s `cc`
 * (`bun_trampoline.ts`). Bun never takes a per-callback path that would
 * read the library's pointers late.
 *
 * This file imports `bun:ffi` and is type-checked against `bun-types`
 * (`tsconfig.bun.json`); Deno and Node never load it: `bun_load.ts` requires
 * it lazily when a Bun backend is created under Bun.
 *
 * The trampoline and its one thread-safe wake `JSCallback` are compiled once
 * per process and never freed: the library's thread may still be inside a
 * trampoline function when `Release` returns. Events are routed to the most
 * recent backend that installed callbacks and is not closed (the library is a
 * process-wide singleton anyway).
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  cc,
  CString,
  dlopen,
  type FFIFunction,
  JSCallback,
  type Library,
  type Pointer,
  toArrayBuffer,
} from "bun:ffi";
import { SmartBusError } from "../abi/errors.ts";
import { packetHeadSize } from "../abi/packinfo.ts";
import {
  INVOKEFLOW_ACK_CB_NAME,
  LIBRARY_SYMBOLS,
  type NativeSignature,
  type NativeType,
} from "../abi/symbols.ts";
import type { BunBackendModule } from "./bun_load.ts";
import type { CopyOut, Forwarders } from "./forward.ts";
import { libraryCandidates, loadFirst } from "./loader.ts";
import {
  GLIBC_NAME,
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
import { processEventQueue, type QueueBinder } from "./queue/process.ts";
import {
  BlockKind,
  BlockLayout,
  TRAMPOLINE_SOURCE,
  TrampolineFn,
} from "./bun_trampoline.ts";

/** Options of {@link createBunBackend}. */
export type BunBackendOptions = NativeOptions;

// Bun's pointers are numbers: every pointer kind of the table is its "ptr"
// (which also takes a Uint8Array, or null for NULL).
type BunName<T extends NativeType> = T extends "pointer" | "buffer" | "function"
  ? "ptr"
  : T;
type BunArgs<A extends readonly NativeType[]> = {
  -readonly [I in keyof A]: BunName<A[I]>;
};
type BunDefs<T extends Record<string, NativeSignature>> = {
  [K in keyof T]: {
    readonly args: BunArgs<T[K]["parameters"]>;
    readonly returns: BunName<T[K]["result"]>;
  };
};

const bunName = <T extends NativeType>(t: T): BunName<T> =>
  (t === "pointer" || t === "buffer" || t === "function"
    ? "ptr"
    : t) as BunName<T>;

/** The symbol table in bun:ffi's words, its literal types kept for `dlopen`. */
function bunDefs<T extends Record<string, NativeSignature>>(
  table: T,
): BunDefs<T> {
  const out: Record<string, FFIFunction> = {};
  for (const [name, sig] of Object.entries(table)) {
    out[name] = {
      args: sig.parameters.map(bunName),
      returns: bunName(sig.result),
    };
  }
  return out as BunDefs<T>;
}

const TRAMPOLINE_SYMBOLS = {
  tramp_fn: { args: ["i32"], returns: "ptr" },
  tramp_set_wake: { args: ["ptr", "i32"], returns: "void" },
  tramp_pop: { args: [], returns: "ptr" },
  tramp_free: { args: ["ptr"], returns: "void" },
  tramp_header_size: { args: [], returns: "i32" },
  tramp_live: { args: [], returns: "i32" },
} as const satisfies Record<string, FFIFunction>;

/** A pointer as bun:ffi returns it. */
type Ptr = Pointer | bigint | null;

/** The queue through bun:ffi; its wake is never freed. */
const BUN_QUEUE: QueueBinder<Ptr> = {
  open: (path) => dlopen(path, bunDefs(QUEUE_SYMBOLS)).symbols,
  wake: (fn) =>
    new JSCallback(fn, { args: [], returns: "void", threadsafe: true }).ptr,
  // Bun's thread-safe JSCallback queues the call and returns at once.
  mode: QueueWake.direct,
};

/** A byte field the trampoline copied (`null`: the pointer was NULL). */
type Field = Uint8Array | null;

const EMPTY_FIELD: CopyOut<Field> = {
  isNull: (p) => p === null,
  // The trampoline copied exactly the bytes the callback owns: hand them on.
  bytes: (p) => p ?? new Uint8Array(0),
  cString: (p) => p ?? new Uint8Array(0),
};

interface Trampoline {
  lib: Library<typeof TRAMPOLINE_SYMBOLS>;
  headerSize: number;
  /** Where events go: the active backend's forwarders, else dropped (and freed). */
  route: Forwarders<Field> | undefined;
  /** Pops, copies, frees and dispatches every queued block. */
  drain(): void;
}

let shared: Trampoline | undefined;

/** glibc's `dlopen` through bun:ffi, bound on first use. */
const glibcDl = glibcOnce(() => {
  const { symbols } = dlopen(GLIBC_NAME, bunDefs(LIBC_DL_SYMBOLS));
  const z = (text: string) => new TextEncoder().encode(text + "\0");
  return {
    open: (path, flags) => symbols.dlopen(z(path), flags),
    has: (handle, sym) => symbols.dlsym(handle as Ptr, z(sym)) !== null,
    exitBeforeEarlierHandlers: () =>
      void symbols.on_exit(symbols.dlsym(null, z("_exit")), null),
    error: () => {
      const p = symbols.dlerror();
      return p === null ? "" : new CString(p).toString();
    },
  };
});

/** Compile (once per process) the trampoline and its wake callback. */
function trampoline(headSize: number): Trampoline {
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
  let lib: Library<typeof TRAMPOLINE_SYMBOLS>;
  try {
    const source = join(dir, "smartbus_trampoline.c");
    writeFileSync(source, TRAMPOLINE_SOURCE);
    lib = cc({ source, symbols: TRAMPOLINE_SYMBOLS });
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
  const headerSize = s.tramp_header_size();
  const t: Trampoline = {
    lib,
    headerSize,
    route: undefined,
    drain(): void {
      let failure: unknown;
      let failed = false;
      for (;;) {
        const block = s.tramp_pop();
        if (!block) break;
        let event: Decoded;
        try {
          event = readBlock(block, headerSize);
        } finally {
          s.tramp_free(block);
        }
        const fns = t.route;
        try {
          if (fns) dispatch(event, fns);
        } catch (e) {
          // Keep draining: the queue must empty so that the next block wakes
          // JS again; report the first failure afterwards.
          if (!failed) [failed, failure] = [true, e];
        }
      }
      if (failed) throw failure;
    },
  };
  const wake = new JSCallback(() => t.drain(), {
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
  f: Field[];
}

/** Copy every field of a block into JS memory (the caller frees the block). */
function readBlock(block: NonNullable<Ptr>, headerSize: number): Decoded {
  const head = new DataView(toArrayBuffer(block, 0, headerSize));
  const int = (at: number): number => head.getInt32(at, true);
  const bytes = new Uint8Array(
    toArrayBuffer(block, 0, int(BlockLayout.total)),
  );
  const v = [0, 1, 2, 3, 4, 5].map((i) => int(BlockLayout.values + 4 * i));
  const f: Field[] = [];
  let at = headerSize;
  for (let i = 0; i < 3; i++) {
    const len = int(BlockLayout.lengths + 4 * i);
    f.push(len < 0 ? null : bytes.slice(at, at + len)); // slice: a copy
    if (len > 0) at += len;
  }
  return { kind: int(BlockLayout.kind), v, f };
}

/** Raise the callback a decoded block stands for (the C callback's own arguments). */
function dispatch(e: Decoded, fns: Forwarders<Field>): void {
  const { v, f } = e;
  switch (e.kind) {
    case BlockKind.connection:
      return fns.connection(null, v[0], v[1], v[2]);
    case BlockKind.recvData:
      return fns.recvData(null, v[0], f[0], f[1], v[1]);
    case BlockKind.disconnect:
      return fns.disconnect(null, v[0]);
    case BlockKind.invokeFlowAck:
      return fns.invokeFlowAck(null, v[0], f[0], f[1], v[1], v[2], f[2]);
    case BlockKind.invokeFlowRet:
      return fns.invokeFlowRet(null, v[0], f[0], f[1], v[1], v[2], f[2]);
    case BlockKind.globalConnect:
      return fns.globalConnect(null, v[0], v[1], v[2], v[3], v[4], f[0]);
    case BlockKind.traceInfo:
      return fns.traceInfo(f[0]);
    case BlockKind.traceError:
      return fns.traceError(f[0]);
  }
}

/**
 * Blocks the trampoline has allocated and not yet freed, in this process (0
 * when nothing leaks and nothing is queued); `undefined` before any Bun
 * backend compiled it. For tests.
 */
export function bunTrampolineLive(): number | undefined {
  return shared?.lib.symbols.tramp_live();
}

/**
 * Load the library with `bun:ffi` and bind it as a `Backend`.
 * Throws `LibraryLoadError` (every path tried) when it cannot be loaded.
 */
export function createBunBackend(
  options: BunBackendOptions = {},
): NativeBackend {
  const { value: { lib, found } } = loadFirst(
    libraryCandidates(options),
    (path) => {
      const found = openDeepBound(path, glibcDl());
      return { lib: dlopen(path, bunDefs(LIBRARY_SYMBOLS)), found };
    },
  );
  const log = options.logger ?? console;
  const headSize = packetHeadSize(nativeLongSize());
  const queue = processEventQueue(BUN_QUEUE, log, headSize);
  let tramp: Trampoline | undefined;
  try {
    if (!queue) tramp = trampoline(headSize);
  } catch (e) {
    lib.close();
    throw e;
  }
  let route: Forwarders<Field> | undefined;
  let keeper: ReturnType<typeof setInterval> | undefined;

  return createNativeBackend<Ptr, Field>({
    kind: "bun",
    symbols: lib.symbols,
    queue,
    vendorRelease: found.ownLibuv
      ? { skipExitHandlers: found.skipExitHandlers }
      : undefined,
    log,
    copyOut: EMPTY_FIELD,
    installCallbacks(fns): void {
      if (!tramp) return; // the queue is installed instead
      const t = tramp;
      route = fns;
      t.route = fns;
      const fn = (i: number): Ptr => t.lib.symbols.tramp_fn(i);
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
      if (tramp) {
        if (tramp.route === route) tramp.route = undefined;
        tramp.drain(); // frees whatever is still queued
      }
      lib.close();
    },
  });
}

// What bun_load.ts expects of this module, checked here against bun-types.
({ createBunBackend, bunTrampolineLive }) satisfies BunBackendModule;
