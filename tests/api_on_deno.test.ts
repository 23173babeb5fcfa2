/** The shared API suite on the Deno backend (skipped under other runtimes). */
import { describe } from "node:test";
import { apiCases } from "./shared/api_cases.ts";
import { hostileCases } from "./shared/hostile_cases.ts";
import { inputCases } from "./shared/input_cases.ts";
import { observeCases } from "./shared/observe_cases.ts";
import { seedCases } from "./shared/seed_cases.ts";
import { nativeEnv } from "./shared/native_env.ts";

if ("Deno" in globalThis) {
  const env = nativeEnv("deno");
  apiCases("deno", env);
  inputCases("deno", env);
  hostileCases("deno", env);
  seedCases("deno", env);
  observeCases("deno", env);
} else {
  describe.skip("api (deno) - runs under deno test only", () => {});
}
