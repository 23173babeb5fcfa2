/**
 * What the child-process suites (`ffi_units_on_native`, `ffi_exits_on_native`) need to start a
 * child of the running runtime: which runtime this is, the module extension
 * (`.ts` from source, `.js` in the npm build, where Node runs them) and the
 * stand-in library's path.
 */
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The running runtime. */
export const runtime: "deno" | "bun" | "node" = "Deno" in globalThis
  ? "deno"
  : "Bun" in globalThis
  ? "bun"
  : "node";

/** `.ts` from source, `.js` in the npm build. */
export const EXT: string = import.meta.url.slice(
  import.meta.url.lastIndexOf("."),
);

/** The stand-in built by `scripts/build_native.sh` (the npm build passes its path). */
export const STANDIN: string = process.env.SMARTBUS_NODE_STANDIN ??
  fileURLToPath(new URL("../../build/libbusnetcli.so", import.meta.url));
