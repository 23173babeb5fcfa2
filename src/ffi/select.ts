import type { Backend } from "./backend.ts";
import { SmartBusError } from "../api/errors.ts";
import { createDenoBackend } from "./deno.ts";
export function createBackend(options: { backend?: Backend | "deno" | "bun" | "node" | "mock"; libraryPath?: string }): Backend {
  const b = options.backend;
  if (b && typeof b === "object") return b;
  if (b === "deno" || (!b && "Deno" in globalThis)) return createDenoBackend({ libraryPath: options.libraryPath });
  throw new SmartBusError("TEMP: backend not available");
}
