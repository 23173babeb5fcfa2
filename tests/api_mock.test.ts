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
