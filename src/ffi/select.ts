/**
 * Choosing a backend: by runtime, or as the caller says. Nothing is loaded
 * until {@link createBackend} runs.
 *
 * The Node backend (koffi) is not imported from here, so that this module
 * never pulls it into Deno or Bun: the Node entry of the npm build registers
 * it with {@link registerBackend}. Until that happens, asking for `"node"`
 * throws a clear `SmartBusError`.
 *
 * @example
 * ```ts
 * import { createBackend, detectRuntime } from "./select.ts";
 * console.log(detectRuntime());
 * const backend = createBackend({ libraryPath: "./build/libbusnetcli.so" });
 * ```
 * @module
 */
import type { Backend } from "../abi/backend.ts";
import { SmartBusError } from "../abi/errors.ts";
import { createDenoBackend } from "./deno.ts";
import { createBunBackend } from "./bun.ts";

/** The JavaScript runtime this code runs in. */
export type RuntimeName = "deno" | "bun" | "node" | "unknown";

/** What {@link createBackend} accepts. */
export interface BackendChoice {
  /**
   * A backend instance (for example a `MockBackend` on a mock bus), or the
   * name of a native backend; default: the one of the running runtime.
   */
  backend?: "deno" | "bun" | "node" | "mock" | Backend;
  /** The library file for native backends (else `SMARTBUS_NETCLI_LIB`, else the search). */
  libraryPath?: string;
}

/** Creates a native backend for a library path (or the default search). */
export type BackendFactory = (options: { libraryPath?: string }) => Backend;

const registered = new Map<"node", BackendFactory>();

/**
 * Which runtime runs this code. Deno and Bun both define `process` too, so
 * they are recognised first.
 *
 * @example
 * ```ts
 * import { detectRuntime } from "./select.ts";
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
 * Make a native backend available by name; the npm build's Node entry
 * registers the koffi backend as `"node"` this way.
 *
 * @example
 * ```ts
 * import { registerBackend } from "./select.ts";
 * declare const createNodeBackend: (o: { libraryPath?: string }) => import("../abi/backend.ts").Backend;
 * registerBackend("node", createNodeBackend);
 * ```
 */
export function registerBackend(name: "node", factory: BackendFactory): void {
  registered.set(name, factory);
}

/**
 * The backend to use: the instance given, the named one, or the running
 * runtime's. Native backends load the library here (lazily) and throw
 * `LibraryLoadError` listing every path tried when it cannot be loaded.
 *
 * @example
 * ```ts
 * import { createBackend } from "./select.ts";
 * const backend = createBackend({ backend: "deno", libraryPath: "/opt/libbusnetcli.so" });
 * console.log(backend.kind);
 * ```
 */
export function createBackend(options: BackendChoice = {}): Backend {
  const { backend, libraryPath } = options;
  if (backend !== undefined && typeof backend === "object") return backend;
  const name = backend ?? detectRuntime();
  switch (name) {
    case "deno":
      return createDenoBackend({ libraryPath });
    case "bun":
      return createBunBackend({ libraryPath });
    case "node": {
      const factory = registered.get("node");
      if (!factory) {
        throw new SmartBusError(
          "the node backend is not available in this build (it ships with " +
            "the npm package's Node entry); under Deno or Bun use their own backend",
        );
      }
      return factory({ libraryPath });
    }
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
