/**
 * The shared API suites (api, input, hostile input, seed names) on the
 * vendor's own `libbusnetcli.so`, on the running runtime (Deno, Bun; Node
 * runs this file on the npm build), against the mock bus over its TCP front.
 * The vendor's library holds one unit per process for good (its Release is
 * unsafe once a client exists), so each case runs in its own child: the
 * runtime's test runner on this runtime's suite file, with
 * `SMARTBUS_TEST_CASE` naming the case and `SMARTBUS_TEST_LIBRARY` the
 * library. The library is read from `../shared/reference/`, never copied;
 * without it (or off Linux x86-64) one line says so and nothing runs.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { EXT, runtime } from "./shared/child_runtime.ts";
import { caseNames, type EnvFactory } from "./shared/env.ts";
import { apiCases } from "./shared/api_cases.ts";
import { hostileCases } from "./shared/hostile_cases.ts";
import { inputCases } from "./shared/input_cases.ts";
import { seedCases } from "./shared/seed_cases.ts";

/** The vendor's build this package is tested with (SDK commit ce9d0c0). */
const VENDOR = process.env.SMARTBUS_VENDOR_LIB ??
  fileURLToPath(
    new URL(
      "../../shared/reference/smartbus-client-sdk/lib/linux-x64/libbusnetcli.so",
      import.meta.url,
    ),
  );

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

/** This runtime's suite file and how its test runner runs it. */
function runner(): { cmd: string; args: string[] } {
  const suite = fileURLToPath(
    new URL(
      runtime === "deno"
        ? "./api_deno.test.ts"
        : runtime === "bun"
        ? "./api_bun.test.ts"
        : `./ffi_node.test${EXT}`,
      import.meta.url,
    ),
  );
  if (runtime === "deno") {
    return { cmd: process.execPath, args: ["test", "-A", "--no-check", suite] };
  }
  if (runtime === "bun") {
    return {
      cmd: process.execPath,
      args: ["test", "--timeout", "60000", suite],
    };
  }
  // Run as a plain script: under `node --test` a child that inherits
  // NODE_TEST_CONTEXT would skip its tests (see `runCase`).
  return { cmd: process.execPath, args: [suite] };
}

/** Runs case `name` in a child; resolves its exit status and output. */
function runCase(
  name: string,
): Promise<{ code: number | null; signal: string | null; out: string }> {
  const { cmd, args } = runner();
  return new Promise((resolve) => {
    const { NODE_TEST_CONTEXT: _, ...parentEnv } = process.env;
    const p = spawn(cmd, args, {
      env: {
        ...parentEnv,
        SMARTBUS_TEST_CASE: name,
        SMARTBUS_TEST_LIBRARY: VENDOR,
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    p.stdout.on("data", (b) => out += b);
    p.stderr.on("data", (b) => out += b);
    const timer = setTimeout(() => p.kill("SIGKILL"), 90_000);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

const usable = process.platform === "linux" && process.arch === "x64" &&
  existsSync(VENDOR);

if (!usable) {
  console.log(
    `vendor cases (${runtime}): the vendor's library is not at ${VENDOR} ` +
      `(or this is not Linux x86-64): not run here`,
  );
} else {
  const none: EnvFactory = () => Promise.reject(new Error("listing only"));
  const names = caseNames(() => {
    apiCases(runtime, none);
    inputCases(runtime, none);
    hostileCases(runtime, none);
    seedCases(runtime, none);
  });
  describe(`shared cases on the vendor's library (${runtime})`, () => {
    for (const [name, why] of Object.entries(NOT_ON_VENDOR)) {
      test.skip(`${name} (${why})`, () => {});
    }
    test(`all ${names.length} cases, one child process each`, async () => {
      const todo = names.filter((n) => !(n in NOT_ON_VENDOR));
      const failed: string[] = [];
      let next = 0;
      // Two children at a time: each is a runtime, a mock bus and the library.
      const worker = async (): Promise<void> => {
        while (next < todo.length) {
          const name = todo[next++];
          const r = await runCase(name);
          if (r.code !== 0 || !r.out.includes(`CASE PASSED: ${name}`)) {
            failed.push(
              `--- ${name}: exit ${r.code ?? r.signal}\n${r.out.slice(-3000)}`,
            );
          }
        }
      };
      await Promise.all([worker(), worker()]);
      assert.equal(
        failed.length,
        0,
        `${failed.length} of ${todo.length} failed:\n${failed.join("\n")}`,
      );
    });
  });
}
