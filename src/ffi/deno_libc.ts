/**
 * The C library's `strlen` and `dlopen` for the Deno backend, bound once
 * per process on first use (never on import).
 *
 * `pinLibrary` exists because of how Deno ends a program that failed: on an
 * uncaught error it drops the runtime, and with it every `Deno.dlopen`
 * handle (`dlclose`), before it prints the error and exits. The library's
 * network thread is still running then; with the library unmapped under it
 * the process died of SIGSEGV (exit 139, 10 of 10 runs) and the user's
 * error was never printed. A pinned library (`RTLD_NODELETE`) stays mapped
 * until the process ends, as it would in a C program.
 *
 * `glibcDl` gives glibc's `dlopen` to `deep_bind.ts`, which opens the
 * library deep-bound before `Deno.dlopen` binds it.
 * @module
 */
import { GLIBC_NAME, type GlibcDl, LIBC_DL_SYMBOLS } from "./deep_bind.ts";

type Ptr = Deno.PointerValue;

const LIBC: Record<string, string[]> = {
  linux: ["libc.so.6", "libc.musl-x86_64.so.1", "libc.musl-aarch64.so.1"],
  darwin: ["libSystem.B.dylib"],
  windows: ["ucrtbase.dll", "msvcrt.dll"],
};

// <dlfcn.h>: the same values on glibc and musl; darwin has no RTLD_NOLOAD
// semantics worth relying on here, so only Linux pins.
const RTLD_NOW = 0x2;
const RTLD_NOLOAD = 0x4;
const RTLD_NODELETE = 0x1000;

interface Libc {
  strlen(p: Ptr): number;
  /** Undefined where pinning is not supported. */
  pin?: (path: string) => boolean;
  /** glibc's dlopen; undefined elsewhere. */
  dl?: GlibcDl;
}

let libc: Libc | null | undefined;

const STRLEN = {
  strlen: { parameters: ["pointer"], result: "usize" }, // size_t strlen(const char *s)
} as const;

function openLibc(): Libc | null {
  for (const name of LIBC[Deno.build.os] ?? []) {
    try {
      if (Deno.build.os !== "linux") {
        const { symbols } = Deno.dlopen(name, STRLEN);
        return { strlen: (q) => Number(symbols.strlen(q)) };
      }
      const { symbols } = Deno.dlopen(name, {
        ...STRLEN,
        ...LIBC_DL_SYMBOLS,
      });
      const z = (text: string) => new TextEncoder().encode(text + "\0");
      const open = (path: string, flags: number): Ptr =>
        symbols.dlopen(z(path), flags);
      return {
        strlen: (q) => Number(symbols.strlen(q)),
        pin: (path) =>
          open(path, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE) !== null,
        dl: name !== GLIBC_NAME ? undefined : {
          open,
          has: (handle, sym) => symbols.dlsym(handle as Ptr, z(sym)) !== null,
          exitBeforeEarlierHandlers: () =>
            void symbols.on_exit(symbols.dlsym(null, z("_exit")), null),
          error: () => {
            const p = symbols.dlerror();
            return p === null ? "" : Deno.UnsafePointerView.getCString(p);
          },
        },
      };
    } catch {
      // try the next name
    }
  }
  return null;
}

function getLibc(): Libc | null {
  if (libc === undefined) libc = openLibc();
  return libc;
}

/**
 * Keep the already loaded library at `path` (the name `Deno.dlopen` was
 * given) mapped until the process ends. False where it cannot be done (not
 * Linux, no libc found, not loaded): the library then unloads as before.
 */
export function pinLibrary(path: string): boolean {
  return getLibc()?.pin?.(path) ?? false;
}

/** glibc's `dlopen` and `dlerror`, or undefined without glibc. */
export function glibcDl(): GlibcDl | undefined {
  return getLibc()?.dl;
}

/** The length of the C string at `p` (0 for NULL). */
export function cStringLength(p: Ptr): number {
  if (p === null) return 0;
  // The C library's strlen reads exactly up to the NUL (sanitizers agree, and
  // it is one call); without it, a byte-by-byte scan (~40 ns a byte).
  const c = getLibc();
  if (c) return c.strlen(p);
  const view = new Deno.UnsafePointerView(p);
  let n = 0;
  while (view.getUint8(n) !== 0) n++;
  return n;
}
