/**
 * The package.json of the built npm package (`scripts/build_npm.ts`).
 *
 * Entry: `mod.js` under every runtime; it picks the runtime's backend when a
 * `SmartBus` is created (koffi under Node, `bun:ffi` under Bun, `Deno.dlopen`
 * under Deno), loading only that runtime's FFI. koffi is an
 * optional peer dependency, so that Bun and Deno users never download it;
 * Node users that load the native library install it next to the package
 * (the backend says so when it is missing). The mock bus needs nothing.
 *
 * @module
 */

/** What the build knows about the package. */
export interface PackageFacts {
  /** From deno.json. */
  version: string;
  /** From deno.json. */
  license: string;
  /** The koffi range the Node backend is written for. */
  koffi: string;
  /** From the workspace package.json. */
  repository: unknown;
  /** From the workspace package.json. */
  homepage: string;
}

/**
 * The `smartbus` bin. Its shebang runs Node, and so do `bunx` and `bun x`
 * (they honour shebangs); Bun's users expect Bun's own FFI backend, without
 * koffi, so when Bun launched it (its user agent, its binary in
 * npm_execpath) the bin hands over to Bun. Under Deno or Bun it runs as it is.
 */
export const BIN_SOURCE = `#!/usr/bin/env node
import process from "node:process";

const env = process.env;
// bunx sets npm_lifecycle_event=bunx even under another tool's scripts, which
// may have set the user agent and npm_execpath already.
const byBun = env.npm_lifecycle_event === "bunx" ||
  (env.npm_config_user_agent ?? "").startsWith("bun/");
const here = globalThis.Bun ? "bun" : globalThis.Deno ? "deno" : "node";
const BUN = /(^|[\\\\/])bunx?(\\.exe)?$/;

async function bunBinary() {
  if (BUN.test(env.npm_execpath ?? "")) return env.npm_execpath;
  try {
    // Linux: Bun started this Node (through the shebang) and is its parent.
    const { readlinkSync } = await import("node:fs");
    const parent = readlinkSync(\`/proc/\${process.ppid}/exe\`);
    if (BUN.test(parent)) return parent;
  } catch {
    // no /proc: fall back to the PATH
  }
  return "bun";
}

if (here === "node" && byBun && !env.SMARTBUS_BIN_NODE) {
  const launcher = await bunBinary();
  const { spawn } = await import("node:child_process");
  const { fileURLToPath } = await import("node:url");
  const self = fileURLToPath(import.meta.url);
  // argv0 "bun": npm_execpath may be bunx, which would treat the path as a package.
  const child = spawn(launcher, [self, ...process.argv.slice(2)], {
    stdio: "inherit",
    argv0: "bun",
  });
  // Ctrl-C reaches the child from the terminal itself; a second copy would
  // count as the "second interrupt" that ends it without cleaning up.
  process.on("SIGINT", () => {});
  process.on("SIGTERM", () => child.kill("SIGTERM"));
  child.on("error", (e) => {
    process.stderr.write(\`cannot start Bun (\${launcher}): \${e.message}\\n\`);
    process.exit(1);
  });
  child.on("exit", (code, signal) => {
    if (signal) {
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
    }
    else process.exit(code ?? 1);
  });
} else {
  await import("../esm/src/cli/main.js");
}
`;

/**
 * The package.json object.
 *
 * @example
 * ```ts
 * import { packageJson } from "./build_npm_package.ts";
 * console.log(packageJson({
 *   version: "0.1.0",
 *   license: "MIT",
 *   koffi: "^3.3.4",
 *   repository: { type: "git", url: "git+https://example.org/netclient.git" },
 *   homepage: "https://example.org/netclient",
 * }).name);
 * ```
 */
export function packageJson(facts: PackageFacts): Record<string, unknown> {
  const types = "./esm/mod.d.ts";
  return {
    name: "@smartbus/netclient",
    version: facts.version,
    description:
      "Drive the SmartBus network client library (libbusnetcli) from Node, " +
      "Bun and Deno, with a mock bus for tests",
    license: facts.license,
    type: "module",
    main: "./esm/mod.js",
    types,
    exports: {
      ".": {
        types,
        default: "./esm/mod.js",
      },
      "./mock": {
        types: "./esm/src/mock/mod.d.ts",
        default: "./esm/src/mock/mod.js",
      },
      "./package.json": "./package.json",
    },
    bin: { smartbus: "./bin/smartbus.js" },
    files: [
      "esm/mod.js",
      "esm/mod.d.ts",
      "esm/src/",
      "bin/",
      "README.md",
      "LICENSE",
    ],
    engines: { node: ">=20" },
    peerDependencies: { koffi: facts.koffi },
    peerDependenciesMeta: { koffi: { optional: true } },
    keywords: [
      "smartbus",
      "busnetcli",
      "ipsc",
      "ivr",
      "ffi",
      "koffi",
      "bun",
      "deno",
      "mock",
      "cli",
    ],
    repository: facts.repository,
    homepage: facts.homepage,
    sideEffects: ["./bin/smartbus.js"],
  };
}
