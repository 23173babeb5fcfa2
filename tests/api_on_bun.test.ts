/** The shared API suite on the Bun backend (skipped under other runtimes). */
import { describe } from "node:test";
import { apiCases } from "./shared/api_cases.ts";
import { hostileCases } from "./shared/hostile_cases.ts";
import { inputCases } from "./shared/input_cases.ts";
import { observeCases } from "./shared/observe_cases.ts";
import { seedCases } from "./shared/seed_cases.ts";
import { nativeEnv } from "./shared/native_env.ts";

if ("Bun" in globalThis) {
  const env = nativeEnv("bun");
  apiCases("bun", env);
  inputCases("bun", env);
  hostileCases("bun", env);
  seedCases("bun", env);
  observeCases("bun", env);
} else {
  describe.skip("api (bun) - runs under bun test only", () => {});
}
