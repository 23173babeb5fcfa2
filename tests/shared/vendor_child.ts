/**
 * Running a suite file on the vendor's `libbusnetcli.so` in a child process
 * of the running runtime (Deno, Bun; Node runs the npm build's `.js`). The
 * vendor's library holds one unit per process for good (its Release is
 * unsafe once a client exists), so a case or a property run that opens a
 * unit of its own needs a process of its own. The library is read from
 * `../shared/reference/`, never copied.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtime } from "./child_runtime.ts";

/** The vendor's build this package is tested with (SDK commit ce9d0c0). */
export const VENDOR_LIB: string = process.env.SMARTBUS_VENDOR_LIB ??
  fileURLToPath(
    new URL(
      "../../../shared/reference/smartbus-client-sdk/lib/linux-x64/libbusnetcli.so",
      import.meta.url,
    ),
  );

/** Whether the vendor's library can run here (it is an x86-64 Linux build). */
export const vendorUsable: boolean = process.platform === "linux" &&
  process.arch === "x64" && existsSync(VENDOR_LIB);

/** How this runtime's test runner runs one suite file. */
function runner(suite: string): { cmd: string; args: string[] } {
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
  // NODE_TEST_CONTEXT would skip its tests (see `runOnVendor`).
  return { cmd: process.execPath, args: [suite] };
}

/** A child's exit and everything it printed. */
export interface ChildRun {
  code: number | null;
  signal: string | null;
  out: string;
}

/**
 * Runs the suite file `suite` on the vendor's library, with `env` added to
 * the environment; killed after `timeoutMs`.
 */
export function runOnVendor(
  suite: string,
  env: Record<string, string>,
  timeoutMs = 90_000,
): Promise<ChildRun> {
  const { cmd, args } = runner(suite);
  return new Promise((resolve) => {
    const { NODE_TEST_CONTEXT: _, ...parentEnv } = process.env;
    const p = spawn(cmd, args, {
      env: {
        ...parentEnv,
        ...env,
        SMARTBUS_TEST_LIBRARY: VENDOR_LIB,
        NO_COLOR: "1",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    p.stdout.on("data", (b) => out += b);
    p.stderr.on("data", (b) => out += b);
    const timer = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

/**
 * Runs `jobs` two at a time (each child is a runtime, a mock bus and the
 * library; the machine has 2 cores); resolves the failures' reports.
 */
export async function twoAtATime<T>(
  jobs: readonly T[],
  run: (job: T) => Promise<string | null>,
): Promise<string[]> {
  const failed: string[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const report = await run(jobs[next++]);
      if (report !== null) failed.push(report);
    }
  };
  await Promise.all([worker(), worker()]);
  return failed;
}
