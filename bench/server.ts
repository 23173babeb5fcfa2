/**
 * The benchmark's TCP mock bus, run in its own process so that every driver
 * (Deno, Bun, Node, Python, C) faces the same server: one node (unit 0) on a
 * free loopback port and one mock IPSC (unit 0, process 0) with the flow
 * `bench`/`echo`, which returns its parameters.
 *
 * Prints one JSON line, `{"port":P,"pid":N}`, once it listens, and exits
 * when its stdin closes (the runner keeps a pipe open) or on SIGTERM/SIGINT.
 * Its one argument names the library the drivers load (`standin`, the
 * default, or `vendor`).
 *
 * ```sh
 * deno run -A bench/server.ts [vendor]     # or: bun bench/server.ts
 * ```
 * @module
 */
import process from "node:process";
import { MockBus, serveTcp } from "../src/mock/mod.ts";

/** The IPSC address the drivers call and ping: unit 0, process 0. */
export const IPSC = { unitId: 0, clientId: 0, clientType: 2 } as const;

async function main(library: string): Promise<void> {
  if (library !== "standin" && library !== "vendor") {
    throw new TypeError(`unknown library ${library}: standin or vendor`);
  }
  const bus = new MockBus({ logger: () => {} });
  // The bus knows the node as 127.0.0.1:8000; the front listens on a free port.
  bus.addNode({ unitId: 0, host: "127.0.0.1", port: 8000 });
  bus.addIpsc({ unitId: IPSC.unitId, processIndex: IPSC.clientId, node: 0 })
    .flow("bench", "echo", (params) => params);
  const front = await serveTcp(bus, [{
    unitId: 0,
    host: "127.0.0.1",
    port: 8000,
    listenPort: 0,
  }], {
    logger: { warn: (m) => console.error(`[server] ${m}`) },
    // The stand-in records a call before sending it, so its round trips are
    // measured as fast as the bus answers. The vendor's build records it
    // after, and drops an answer that comes back sooner (one call in about
    // 60,000 timed out with no guard): it gets the mock's default guard.
    flowAnswerMinMs: library === "standin" ? 0 : undefined,
  });
  const stop = async (): Promise<void> => {
    await front.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.on("close", stop);
  process.stdin.resume();
  console.log(
    JSON.stringify({ port: front.addresses[0].port, pid: process.pid }),
  );
}

await main(process.argv[2] ?? "standin");
