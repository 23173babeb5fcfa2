/**
 * Loading the Bun backend (`bun.ts`) only under Bun. `bun.ts` imports
 * `bun:ffi`, which neither Deno nor Node can resolve or type-check, so no
 * module reachable from the package's entry imports it statically: Bun's
 * synchronous `import.meta.require` loads it when a Bun backend is created.
 * @module
 */
import { SmartBusError } from "../abi/errors.ts";
import type { NativeFactory } from "./native_backend.ts";

/** What `bun.ts` exports (checked there, against `bun-types`). */
export interface BunBackendModule {
  /** Load the library with `bun:ffi`. */
  createBunBackend: NativeFactory;
  /** Trampoline blocks not yet freed; `undefined` before the first backend. */
  bunTrampolineLive(): number | undefined;
}

/**
 * `bun.ts`, loaded on first use; throws `SmartBusError` outside Bun.
 */
export function loadBunBackend(): BunBackendModule {
  const meta: { url: string; require?: (id: string) => unknown } = import.meta;
  if (!("Bun" in globalThis) || typeof meta.require !== "function") {
    throw new SmartBusError("the bun backend needs the Bun runtime");
  }
  // The same folder and extension as this module: `.ts` from source, `.js`
  // in the npm build.
  const ext = meta.url.slice(meta.url.lastIndexOf("."));
  return meta.require(`./bun${ext}`) as BunBackendModule;
}
