/**
 * The event queue's receive benchmark: `js/queue_recv.ts` with `--path
 * today` and `--path queue` under Deno, Node (koffi) and Bun, each against a
 * fresh server with the C flooder (the same protocol as the main receive
 * benchmark), alternating paths. Prints one line per run and a summary.
 *
 * ```sh
 * bash bench/run.sh --bench none    # builds the stand-in and the flooder once
 * deno run -A bench/queue.ts [--runs 3] [--quick] [--only deno,node] [--extra="--capacity 65536"]
 * ```
 * @module
 */
import process from "node:process";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import { countsFor, output, paths } from "./runner/plan.ts";
import { runTcp } from "./runner/tcp.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url)).replace(/\/$/, "");
const P = paths(ROOT);
const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runs: { type: "string", default: "1" },
    quick: { type: "boolean", default: false },
    only: { type: "string", default: "deno,node,bun" },
    extra: { type: "string", default: "" },
  },
});
const counts = countsFor(values.quick!);
const script = `${ROOT}/bench/js/queue_recv.ts`;
const nodeBundle = `${ROOT}/build/bench/queue_node.mjs`;
const runtimes: Record<string, string[]> = {
  deno: [P.deno, "run", "-A", "--v8-flags=--expose-gc", script],
  bun: [P.bun, script],
  node: ["node", "--expose-gc", nodeBundle],
};
const only = values.only!.split(",");
if (only.includes("node")) {
  const built = await output([
    P.bun,
    "build",
    `${ROOT}/bench/js/queue_node_entry.ts`,
    "--target=node",
    "--external",
    "koffi",
    "--outfile",
    nodeBundle,
  ]);
  if (built === null) throw new Error("bundling queue_recv.ts for node failed");
}
const extra = values.extra ? values.extra.split(" ") : [];
for (let r = 0; r < Number(values.runs); r++) {
  for (const rt of only) {
    for (const path of ["today", "queue"]) {
      // runTcp appends "recv" and its options after the command.
      const cmd = [...runtimes[rt], "--path", path, ...extra];
      const o = await runTcp(
        "recv",
        { name: rt as "deno", cmd },
        counts,
        600_000,
      );
      const line = o.ok
        ? (() => {
          const x = o.value as Record<string, number>;
          return `${rt} ${path}: stream ${
            (x.msgs_per_s / 1e3).toFixed(1)
          } k/s ${x.cpu_us_per_msg.toFixed(1)} µs CPU/msg, ` +
            `burst ${(x.burst_msgs_per_s / 1e3).toFixed(1)} k/s ${
              x.burst_cpu_us_per_msg.toFixed(1)
            } µs CPU/msg, ` +
            `RSS +${x.rss_growth_mb.toFixed(1)} MB, heap +${
              x.heap_growth_mb.toFixed(1)
            } MB` +
            (x.queue ? ` ${JSON.stringify(x.queue)}` : "");
        })()
        : `${rt} ${path}: FAILED ${o.error}`;
      console.log(line);
    }
  }
}
