/**
 * The npm package's entry under Node: everything `mod.ts` exports, with the
 * koffi backend registered as `"node"` (see `select.ts`: the other entries
 * never import koffi). The package's `exports` map picks this file with the
 * `node` condition; Deno and Bun get `mod.ts` as it is.
 *
 * @example
 * ```ts
 * import { Client, initialize } from "./node_entry.ts";
 * initialize(17); // under Node: the koffi backend
 * const client = new Client(1, 0, "127.0.0.1", 8000);
 * ```
 * @module
 */
import { registerBackend } from "./select.ts";
import { createNodeBackend } from "./node.ts";

registerBackend("node", createNodeBackend);

export * from "../../mod.ts";
