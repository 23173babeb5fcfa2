/**
 * Choosing a native backend: by runtime, or as the caller says. The package's
 * entry point hands {@link resolveBackend} to every `SmartBus` it creates;
 * nothing is loaded until a backend is asked for, and each runtime's FFI is
 * only touched under that runtime (koffi is required lazily by `node.ts`,
 * `bun:ffi` by `bun_load.ts`).
 * @module
 */
import type { Backend, BackendChoice } from "../abi/backend.ts";
import { SmartBusError } from "../abi/errors.ts";
import { loadBunBackend } from "./bun_load.ts";
import { createDenoBackend } from "./deno.ts";
import { assertNoNativeUnit } from "./native_backend.ts";
import { createNodeBackend } from "./node.ts";

/**
 * The JavaScript runtime this code runs in.
 *
 * @example
 * ```ts
 * import { detectRuntime, type RuntimeName } from "@smartbus/netclient/internal";
 * const runtime: RuntimeName = detectRuntime();
 * ```
 */
export type RuntimeName = "deno" | "bun" | "node" | "unknown";

/**
 * Which runtime runs this code. Deno and Bun both define `process` too, so
 * they are recognised first.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "@smartbus/netclient/internal";
 * if (detectRuntime() === "bun") console.log("bun:ffi it is");
 * ```
 */
export function detectRuntime(): RuntimeName {
  const g = globalThis as {
    Deno?: { version?: { deno?: string } };
    Bun?: unknown;
    process?: { versions?: { node?: string } };
  };
  if (typeof g.Deno?.version?.deno === "string") return "deno";
  if (g.Bun !== undefined) return "bun";
  if (typeof g.process?.versions?.node === "string") return "node";
  return "unknown";
}

/**
 * The backend to use: the instance given, the named one, or the running
 * runtime's. Native backends load the library here (lazily) and throw
 * `LibraryLoadError` listing every path tried when it cannot be loaded.
 *
 * @example
 * ```ts
 * import { SmartBusCore } from "@smartbus/netclient";
 * import { resolveBackend } from "@smartbus/netclient/internal";
 * // What SmartBus does: a SmartBusCore with the package's resolver.
 * const bus = new SmartBusCore({ unitId: 17, backend: "deno" }, resolveBackend);
 * console.log(bus.backend.kind); // deno
 * ```
 */
export function resolveBackend(
  choice: BackendChoice | undefined,
  options: {
    readonly libraryPath?: string;
    /** Where the backend's warnings go (default: `console`). */
    readonly logger?: { warn(message: string): void };
  } = {},
): Backend {
  if (choice !== undefined && typeof choice === "object") return choice;
  const name: string = choice ?? detectRuntime();
  const { libraryPath, logger } = options;
  if (name === "deno" || name === "bun" || name === "node") {
    // One native unit per process, refused before the library is loaded.
    assertNoNativeUnit();
  }
  switch (name) {
    case "deno":
      return createDenoBackend({ libraryPath, logger });
    case "bun":
      return loadBunBackend().createBunBackend({ libraryPath, logger });
    case "node":
      return createNodeBackend({ libraryPath, logger });
    case "mock":
      throw new SmartBusError(
        'backend "mock" needs a bus: create one and pass the instance, e.g. ' +
          "`new MockBackend(bus)` from @smartbus/netclient/mock, as `backend`",
      );
    default:
      throw new SmartBusError(
        "no native backend for this JavaScript runtime (Deno, Bun and Node " +
          "are supported); pass a backend instance as `backend`",
      );
  }
}
