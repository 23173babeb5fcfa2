/**
 * The shared API suites (api, input, hostile input, the original Python
 * package's names, statistics and tracing) on the mock backend: an
 * in-memory bus on a virtual clock, no native library.
 */
import { apiCases } from "./shared/api_cases.ts";
import { hostileCases } from "./shared/hostile_cases.ts";
import { inputCases } from "./shared/input_cases.ts";
import { observeCases } from "./shared/observe_cases.ts";
import { seedCases } from "./shared/seed_cases.ts";
import { mockEnv } from "./shared/mock_env.ts";

apiCases("mock", mockEnv);
inputCases("mock", mockEnv);
hostileCases("mock", mockEnv);
seedCases("mock", mockEnv);
observeCases("mock", mockEnv);
