/**
 * The Node driver's entry, bundled for Node by the runner (`bun build
 * --target=node`): the package's Node entry registers the koffi backend, then
 * the same driver as under Deno and Bun runs.
 *
 * ```sh
 * node --expose-gc build/bench/node_driver.mjs send --port P
 * ```
 * @module
 */
import process from "node:process";
import "../../src/ffi/node_entry.ts";
import { main } from "./driver.ts";

await main(process.argv.slice(2));
