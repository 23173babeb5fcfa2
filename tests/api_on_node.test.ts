/**
 * The shared API suites on the Node backend (koffi), against the stand-in
 * over TCP. Node cannot run `.ts`: `scripts/build_npm.ts` compiles this file
 * with the package and runs it with `node --test` on the built JS. Skipped
 * under Deno and Bun (they have their own backends and suites).
 */
import process from "node:process";
import { describe } from "node:test";
import { apiCases } from "./shared/api_cases.ts";
import { hostileCases } from "./shared/hostile_cases.ts";
import { inputCases } from "./shared/input_cases.ts";
import { observeCases } from "./shared/observe_cases.ts";
import { seedCases } from "./shared/seed_cases.ts";
import { nativeEnv } from "./shared/native_env.ts";

const isNode = !("Deno" in globalThis) && !("Bun" in globalThis);
// The built copy lives under npm/, away from build/: the build passes the
// stand-in's path in the environment.
const library = process.env.SMARTBUS_TEST_LIBRARY ||
  process.env.SMARTBUS_NODE_STANDIN;

if (isNode) {
  const env = library ? nativeEnv("node", library) : nativeEnv("node");
  apiCases("node", env);
  inputCases("node", env);
  hostileCases("node", env);
  seedCases("node", env);
  observeCases("node", env);
} else {
  describe.skip("api (node) - runs under node --test on the npm build only", () => {});
}
