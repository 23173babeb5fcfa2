/**
 * The Node driver's entry, bundled for Node by the runner (`bun build
 * --target=node`): the same driver as under Deno and Bun, on the backend the
 * package picks under Node (koffi).
 *
 * ```sh
 * node --expose-gc build/bench/node_driver.mjs send --port P
 * ```
 * @module
 */
import process from "node:process";
import { main } from "./driver.ts";

await main(process.argv.slice(2));
