/**
 * The shared API suites (api, input, hostile input, seed names) on the
 * vendor's own `libbusnetcli.so`, on the running runtime (Deno, Bun; Node
 * runs this file on the npm build), against the mock bus over its TCP front.
 * Each case runs in its own child (`runOnVendor`: the vendor's library holds
 * one unit per process for good): the runtime's test runner on this
 * runtime's suite file, with `SMARTBUS_TEST_CASE` naming the case. Without
 * the library (or off Linux x86-64) one line says so and nothing runs.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { EXT, runtime } from "./shared/child_runtime.ts";
import { caseNames, type EnvFactory } from "./shared/env.ts";
import { apiCases } from "./shared/api_cases.ts";
import { hostileCases } from "./shared/hostile_cases.ts";
import { inputCases } from "./shared/input_cases.ts";
import { observeCases } from "./shared/observe_cases.ts";
import { seedCases } from "./shared/seed_cases.ts";
import {
  runOnVendor,
  twoAtATime,
  VENDOR_LIB,
  vendorUsable,
} from "./shared/vendor_child.ts";

/**
 * Cases whose subject the vendor's library cannot have, and why. Every
 * other case must pass on it as it does on the stand-in.
 */
const NOT_ON_VENDOR: Record<string, string> = {
  "close - await using releases the unit without blocking, once":
    "a second unit in one process: the vendor's Release is unsafe",
  "facade - initialize twice, calls before initialize and after finalize are typed errors":
    "a second unit in one process: the vendor's Release is unsafe",
};

/** This runtime's suite file of the shared cases. */
const SUITE = fileURLToPath(
  new URL(
    runtime === "deno"
      ? "./api_on_deno.test.ts"
      : runtime === "bun"
      ? "./api_on_bun.test.ts"
      : `./api_on_node.test${EXT}`,
    import.meta.url,
  ),
);

if (!vendorUsable) {
  console.log(
    `vendor cases (${runtime}): the vendor's library is not at ${VENDOR_LIB} ` +
      `(or this is not Linux x86-64): not run here`,
  );
} else {
  const none: EnvFactory = () => Promise.reject(new Error("listing only"));
  const names = caseNames(() => {
    apiCases(runtime, none);
    inputCases(runtime, none);
    hostileCases(runtime, none);
    seedCases(runtime, none);
    observeCases(runtime, none);
  });
  describe(`shared cases on the vendor's library (${runtime})`, () => {
    for (const [name, why] of Object.entries(NOT_ON_VENDOR)) {
      test.skip(`${name} (${why})`, () => {});
    }
    test(`all ${names.length} cases, one child process each`, async () => {
      const todo = names.filter((n) => !(n in NOT_ON_VENDOR));
      const failed = await twoAtATime(todo, async (name) => {
        const r = await runOnVendor(SUITE, { SMARTBUS_TEST_CASE: name });
        return r.code === 0 && r.out.includes(`CASE PASSED: ${name}`)
          ? null
          : `--- ${name}: exit ${r.code ?? r.signal}\n${r.out.slice(-3000)}`;
      });
      assert.equal(
        failed.length,
        0,
        `${failed.length} of ${todo.length} failed:\n${failed.join("\n")}`,
      );
    });
  });
}
