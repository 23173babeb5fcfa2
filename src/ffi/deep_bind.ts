/**
 * Opening the library so that its own symbols bind to itself, before a
 * runtime's `dlopen` binds its functions.
 *
 * Why: the vendor's `libbusnetcli.so` links libuv statically and exports its
 * `uv_*` functions. Deno, Node and Bun export `uv_*` functions of their own
 * (Bun's are stubs that panic), and an ordinary `dlopen` binds the library's
 * calls to the runtime's copies: Deno and Node died of SIGSEGV in the first
 * `CreateConnect`, Bun panicked (`unsupported uv function: uv_ip4_addr`).
 * Opened first with glibc's `dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND)`,
 * the library looks its symbols up in itself and its own dependencies before
 * the process's, as it does in a C program. The runtime's `dlopen` of the
 * same file then finds that object already loaded and only binds it.
 * `RTLD_NODELETE` keeps it mapped until the process ends: its thread may run
 * on after a runtime closes its handles (see `deno_libc.ts`).
 *
 * Where glibc's `dlopen` cannot be bound (not Linux, not glibc), the file is
 * loaded as before, unless its ELF export table carries libuv's API: that
 * library would crash the runtime, so it is refused with
 * `UnsafeLibraryError`.
 * @module
 */
import { UnsafeLibraryError } from "../abi/errors.ts";
import type { NativeSignature } from "../abi/symbols.ts";
import { elfExportsWithPrefix } from "./elf_exports.ts";

/** glibc's `libc.so.6` functions this module calls, in the table's vocabulary. */
export const LIBC_DL_SYMBOLS = {
  dlopen: {
    parameters: [
      "buffer", // const char *filename
      "i32", // int flags
    ],
    result: "pointer", // void *handle, NULL on failure
  },
  dlerror: {
    parameters: [],
    result: "pointer", // const char *message (NULL: no error)
  },
  dlsym: {
    parameters: [
      "pointer", // void *handle
      "buffer", // const char *symbol
    ],
    result: "pointer", // void *address, NULL when not found
  },
  on_exit: {
    parameters: [
      "pointer", // void (*function)(int status, void *arg)
      "pointer", // void *arg
    ],
    result: "i32", // 0, or non-zero when it could not register
  },
} as const satisfies Record<string, NativeSignature>;

/** The file name of glibc's C library; musl and other systems have none. */
export const GLIBC_NAME = "libc.so.6";

// <dlfcn.h> on glibc (every Linux architecture).
const RTLD_NOW = 0x2;
const RTLD_LOCAL = 0x0;
const RTLD_DEEPBIND = 0x8;
const RTLD_NODELETE = 0x1000;

/** The flags of the first, isolating `dlopen`. */
export const DEEP_BIND_FLAGS: number = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND |
  RTLD_NODELETE;

/** glibc's `dlopen`, `dlsym` and `dlerror` as a runtime binds them. */
export interface GlibcDl {
  /** `dlopen(path, flags)`: the handle, or null. */
  open(path: string, flags: number): unknown;
  /** Whether `dlsym(handle, name)` finds the symbol. */
  has(handle: unknown, name: string): boolean;
  /** `dlerror()`, or `""` when it reports nothing. */
  error(): string;
  /**
   * From now on, `exit(status)` ends the process with `_exit(status)`
   * before any exit handler registered earlier runs: `on_exit(_exit, NULL)`
   * (an `on_exit` handler gets the status as its first argument, which is
   * `_exit`'s one argument). The runtime has printed and flushed what it
   * had to say by the time it calls `exit`; the library's C++ destructors,
   * registered when it was loaded, never run.
   */
  exitBeforeEarlierHandlers(): void;
}

/**
 * `bind` (a runtime binding `libc.so.6`'s {@link LIBC_DL_SYMBOLS}) run once,
 * on Linux only: the returned function gives its result, or undefined where
 * it threw (no glibc) or off Linux.
 */
export function glibcOnce(bind: () => GlibcDl): () => GlibcDl | undefined {
  let dl: GlibcDl | null | undefined;
  return () => {
    if (dl === undefined) {
      dl = null;
      const g = globalThis as { process?: { platform?: string } };
      if (g.process?.platform === "linux") {
        try {
          dl = bind();
        } catch {
          // not glibc: openDeepBound checks the file instead
        }
      }
    }
    return dl ?? undefined;
  };
}

/** What {@link openDeepBound} learned of the file. */
export interface DeepBoundLibrary {
  /**
   * The library runs its own libuv (the vendor's build): its `Release` is
   * unsafe once a client exists (`VENDOR_RELEASE` in `native_backend.ts`).
   */
  readonly ownLibuv: boolean;
  /** See {@link GlibcDl.exitBeforeEarlierHandlers}, where glibc was bound. */
  readonly skipExitHandlers?: () => void;
}

/** The prefix of the exports that make a library unsafe without deep binding. */
export const LIBUV_PREFIX = "uv_";
/** The libuv function whose presence tells a library runs its own libuv. */
const LIBUV_MARK = "uv_close";

/**
 * Open `path` deep-bound with `dl` (glibc), or, without glibc (`dl`
 * undefined), check that the file does not export libuv's API. Throws an
 * `Error` with the loader's message when the file cannot be opened (the
 * caller tries the next candidate), and `UnsafeLibraryError` when it is a
 * library no runtime can run safely here.
 */
export function openDeepBound(
  path: string,
  dl: GlibcDl | undefined,
): DeepBoundLibrary {
  if (dl) {
    const handle = dl.open(path, DEEP_BIND_FLAGS);
    if (handle === null) {
      throw new Error(dl.error() || `dlopen(${path}) failed`);
    }
    return {
      ownLibuv: dl.has(handle, LIBUV_MARK),
      skipExitHandlers: () => dl.exitBeforeEarlierHandlers(),
    };
  }
  // A bare name is found by the system loader, not by us: nothing to read.
  if (!path.includes("/")) return { ownLibuv: false };
  const uv = elfExportsWithPrefix(path, LIBUV_PREFIX, 3);
  if (uv.length > 0) {
    throw new UnsafeLibraryError(
      path,
      `it exports libuv's functions (${uv.join(", ")}, …), which the ` +
        `JavaScript runtime exports too; without glibc's RTLD_DEEPBIND its ` +
        `calls would bind to the runtime's copies and crash the process`,
    );
  }
  return { ownLibuv: false };
}
