/**
 * The native property suites (`prop_on_native`: flows, timeouts, data and
 * faults; `prop_failover_on_native`: master/slave failover against the
 * two-link model) on the vendor's own `libbusnetcli.so`, under Deno and Bun
 * (the runtimes those suites run on). A property run opens a unit, and the
 * vendor's library holds one unit per process for good, so each run is a
 * child of its own (`runOnVendor`) with `FC_RUNS=1` and a seed of its own:
 * a failure names the seed that replays it. Without the library (or off
 * Linux x86-64) one line says so and nothing runs.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { runtime } from "./shared/prop_native_world.ts";
import {
  runOnVendor,
  twoAtATime,
  VENDOR_LIB,
  vendorUsable,
} from "./shared/vendor_child.ts";

/** The suites and how many runs (children) each gets per runtime. */
const SUITES: ReadonlyArray<{ file: string; runs: number; skip?: string }> = [
  { file: "prop_on_native.test.ts", runs: 3 },
  // Up to 5 ops a run, each settling 2.5 reconnect intervals (5 s here).
  { file: "prop_failover_on_native.test.ts", runs: 2 },
];

if (!vendorUsable || runtime === undefined) {
  console.log(
    `vendor properties: the vendor's library is not at ${VENDOR_LIB}, ` +
      `or this is not Linux x86-64 under Deno or Bun: not run here`,
  );
} else {
  describe(`native properties on the vendor's library (${runtime})`, () => {
    for (const { file, runs, skip } of SUITES) {
      if (skip) {
        test.skip(`${file} (${skip})`, () => {});
        continue;
      }
      test(`${file}: ${runs} runs, one child process each`, async () => {
        const suite = fileURLToPath(new URL(`./${file}`, import.meta.url));
        // A fresh base each time, printed in every failure: FC_SEED replays.
        const base = Date.now() % 1_000_000_000;
        const seeds = Array.from({ length: runs }, (_, i) => base + i);
        const failed = await twoAtATime(seeds, async (seed) => {
          const env = { FC_RUNS: "1", FC_SEED: String(seed) };
          const r = await runOnVendor(suite, env, 75_000);
          return r.code === 0 && r.out.includes("PROPERTY PASSED")
            ? null
            : `--- ${file}, replay: SMARTBUS_TEST_LIBRARY=${VENDOR_LIB} ` +
              `FC_RUNS=1 FC_SEED=${seed}: exit ${r.code ?? r.signal}\n` +
              r.out.slice(-4000);
        });
        assert.equal(
          failed.length,
          0,
          `${failed.length} of ${runs} failed:\n${failed.join("\n")}`,
        );
      });
    }
  });
}
