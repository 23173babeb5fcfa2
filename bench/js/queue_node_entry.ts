/**
 * `queue_recv.ts` for Node, bundled by `bench/queue.ts` (`bun build
 * --target=node`, koffi left external).
 *
 * ```sh
 * node --expose-gc build/bench/queue_node.mjs recv --path queue --port P
 * ```
 * @module
 */
import process from "node:process";
import { main } from "./queue_recv.ts";

await main(process.argv.slice(2));
