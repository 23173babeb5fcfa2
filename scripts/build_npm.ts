/**
 * The npm build (stands in for `dnt`, see the design notes): compiles the
 * package with `typescript` from node_modules into `npm/` (ESM + `.d.ts`),
 * writes its package.json, then tests the result:
 *
 * 1. the shared API suites on the Node backend (koffi) against the stand-in,
 *    `node --test` on the built `npm/esm/tests/api_on_node.test.js` (Node cannot
 *    run `.ts`, so the build compiles that test and the shared cases it
 *    imports next to the package; `files` keeps them out of the tarball);
 * 2. `npm pack`, `npm install <tarball>` into a temporary project (offline:
 *    koffi linked from the repo's node_modules), and the smoke suite of
 *    `tests/npm_smoke/` there under Node (`node --test`) and Bun
 *    (`bun test`): mock bus, stand-in over TCP, the `smartbus` bin; and
 *    the package API files under Deno (`deno test`, `mod.js` with the Deno.dlopen backend).
 *
 * Usage: `deno run -A scripts/build_npm.ts [--no-test]` (`deno task
 * build:npm`); needs `build/libbusnetcli.so` (scripts/build_native.sh) for the
 * tests.
 *
 * @module
 */
import { spawnSync, type SpawnSyncOptions } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { BIN_SOURCE, packageJson } from "./build_npm_package.ts";
import { VERSION } from "../src/cli/version.ts";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "npm");
const BIN = join(ROOT, "node_modules", ".bin");
const STANDIN = join(ROOT, "build", "libbusnetcli.so");
/** The vendor's library beside the checkout (`../shared/`), when present. */
const VENDOR = join(
  ROOT,
  "..",
  "shared",
  "reference",
  "smartbus-client-sdk",
  "lib",
  "linux-x64",
  "libbusnetcli.so",
);
const SMOKE = join(ROOT, "tests", "npm_smoke");

/** Entry points compiled into the package (everything they import comes along). */
const ENTRIES = [
  "mod.ts",
  "src/mock/mod.ts",
  "src/cli/main.ts",
];
/**
 * Loaded by Bun only (`bun_load.ts` requires it), so no entry imports it:
 * compiled on its own, against bun-types.
 */
const BUN_ENTRIES = ["src/ffi/bun.ts"];
/** Compiled next to the package for `node --test`, never packed. */
const TEST_ENTRIES = [
  "tests/api_on_node.test.ts",
  "tests/ffi_threads_on_node.test.ts",
  "tests/ffi_units_on_native.test.ts",
  "tests/ffi_exits_on_native.test.ts",
  "tests/api_on_vendor.test.ts",
];

// deno.ts needs Deno's FFI types, which clash with @types/node: the compile
// sees this loose stand-in (nothing from it reaches the emitted .d.ts).
const DENO_SHIM = `declare namespace Deno {
  type PointerValue = unknown;
  type ForeignLibraryInterface = Record<string, unknown>;
  interface UnsafeCallbackDefinition { parameters: readonly unknown[]; result: unknown }
  type UnsafeCallbackFunction<_P = unknown, _R = unknown> = (...args: any[]) => any;
  class UnsafeCallback<_D = UnsafeCallbackDefinition> {
    static threadSafe<D>(def: D, fn: (...args: any[]) => any): UnsafeCallback<D>;
    readonly pointer: unknown;
    ref(): number;
    unref(): number;
    close(): void;
  }
  class UnsafePointerView {
    constructor(p: unknown);
    getUint8(offset?: number): number;
    static copyInto(p: unknown, dest: Uint8Array, offset?: number): void;
    static getCString(p: unknown, offset?: number): string;
  }
  function dlopen<S>(path: string, symbols: S): { symbols: any; close(): void };
  const build: { os: string; arch: string };
  const env: { get(name: string): string | undefined };
  function cwd(): string;
  function unrefTimer(id: number): void;
}
`;

const t0 = performance.now();
const steps: string[] = [];
function step(what: string, since: number): void {
  const line = `${what} (${((performance.now() - since) / 1000).toFixed(1)} s)`;
  steps.push(line);
  console.log(`build_npm: ${line}`);
}

function run(
  cmd: string,
  args: string[],
  options: SpawnSyncOptions = {},
): void {
  const r = spawnSync(cmd, args, { stdio: "inherit", ...options });
  if (r.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")} failed (${
        r.error?.message ?? `exit ${r.status ?? r.signal}`
      })`,
    );
  }
}

function capture(
  cmd: string,
  args: string[],
  options: SpawnSyncOptions = {},
): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", ...options });
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr}`);
  }
  return String(r.stdout);
}

/** Compile sources and the Node test into npm/esm with tsc. */
function compile(): void {
  const since = performance.now();
  const work = join(ROOT, "build", "npm_tsc");
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, "deno_shim.d.ts"), DENO_SHIM);
  const config = {
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ESNext", "DOM"],
      types: ["node"],
      typeRoots: [join(ROOT, "node_modules", "@types")],
      strict: true,
      skipLibCheck: true,
      declaration: true,
      rewriteRelativeImportExtensions: true,
      rootDir: ROOT,
      outDir: join(OUT, "esm"),
      noEmitOnError: true,
      newLine: "lf",
    },
    files: [
      join(work, "deno_shim.d.ts"),
      ...[...ENTRIES, ...TEST_ENTRIES].map((f) => join(ROOT, f)),
    ],
  };
  const tsconfig = join(work, "tsconfig.json");
  writeFileSync(tsconfig, JSON.stringify(config, null, 2));
  run(join(BIN, "tsc"), ["-p", tsconfig], { cwd: ROOT });
  const bunConfig = {
    compilerOptions: {
      ...config.compilerOptions,
      types: ["bun-types"],
      typeRoots: [join(ROOT, "node_modules")],
    },
    files: BUN_ENTRIES.map((f) => join(ROOT, f)),
  };
  const bunTsconfig = join(work, "tsconfig.bun.json");
  writeFileSync(bunTsconfig, JSON.stringify(bunConfig, null, 2));
  run(join(BIN, "tsc"), ["-p", bunTsconfig], { cwd: ROOT });
  rewriteDeclarations(join(OUT, "esm"));
  step("tsc: ESM + .d.ts in npm/esm", since);
}

// tsc rewrites `.ts` specifiers in the JS it emits but not in `.d.ts` files,
// where consumers would look for sources that are not shipped.
const TS_SPECIFIER =
  /((?:from|import)\s*\(?\s*["'])(\.{1,2}\/[^"']*?)\.ts(["'])/g;

function rewriteDeclarations(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) rewriteDeclarations(path);
    else if (entry.name.endsWith(".d.ts")) {
      const text = readFileSync(path, "utf8");
      const fixed = text.replace(TS_SPECIFIER, "$1$2.js$3");
      if (fixed !== text) writeFileSync(path, fixed);
    }
  }
}

/** package.json, README, LICENSE and the bin wrapper. */
function assemble(version: string): void {
  const deno = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  const dev = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  const pkg = packageJson({
    version,
    license: deno.license,
    koffi: dev.devDependencies.koffi,
    repository: dev.repository,
    homepage: dev.homepage,
  });
  writeFileSync(join(OUT, "package.json"), JSON.stringify(pkg, null, 2) + "\n");
  // Installers get their own README (the repository's is about the clone).
  copyFileSync(join(ROOT, "docs", "npm-README.md"), join(OUT, "README.md"));
  copyFileSync(join(ROOT, "LICENSE"), join(OUT, "LICENSE"));
  mkdirSync(join(OUT, "bin"), { recursive: true });
  const bin = join(OUT, "bin", "smartbus.js");
  writeFileSync(bin, BIN_SOURCE);
  chmodSync(bin, 0o755);
}

/** The shared suites on the built Node backend. */
function testNodeBackend(): void {
  const since = performance.now();
  const tests = TEST_ENTRIES.map((f) =>
    join(OUT, "esm", f.replace(/\.ts$/, ".js"))
  );
  run("node", ["--test", ...tests], {
    cwd: ROOT,
    env: {
      ...process.env,
      SMARTBUS_NODE_STANDIN: STANDIN,
      SMARTBUS_VENDOR_LIB: VENDOR,
    },
  });
  step(
    "node --test: shared API suites and koffi facts on the Node backend",
    since,
  );
}

// What an app written in TypeScript for Node does with the package: the
// .d.ts files must type-check under strict settings without skipLibCheck,
// with Node's types and no Deno or Bun types around.
const CONSUMER_TS =
  `import { type Backend, Client, FlowTimeoutError, SmartBus } from "@smartbus/netclient";
import { MockBackend, MockBus, startMockServer } from "@smartbus/netclient/mock";
const mock = new MockBus({ strict: true });
const backend: Backend = new MockBackend(mock);
const bus = new SmartBus({ unitId: 17, backend });
const client = new Client({ bus, localClientId: 1, masterHost: "127.0.0.1", masterPort: 8000 });
export const result: Promise<unknown[]> = client.invoke({ server: 0, process: 0, project: "p", flow: "f" });
export const isTimeout = (e: unknown): boolean => e instanceof FlowTimeoutError;
export const server: typeof startMockServer = startMockServer;
`;

function checkConsumerTypes(project: string): void {
  writeFileSync(join(project, "consumer.ts"), CONSUMER_TS);
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        module: "NodeNext",
        moduleResolution: "NodeNext",
        target: "ES2022",
        noEmit: true,
        types: ["node"],
        typeRoots: [join(ROOT, "node_modules", "@types")],
      },
      files: ["consumer.ts"],
    }),
  );
  run(join(BIN, "tsc"), ["-p", project], { cwd: project });
}

/** npm pack → install into a temp project → smoke suite under Node and Bun. */
function smoke(): void {
  let since = performance.now();
  const dir = mkdtempSync(join(tmpdir(), "smartbus-npm-"));
  try {
    const packed = JSON.parse(
      capture("npm", ["pack", "--json", "--pack-destination", dir], {
        cwd: OUT,
      }),
    )[0];
    console.log(
      `build_npm: ${packed.filename}: ${packed.entryCount} files, ` +
        `${(packed.size / 1024).toFixed(1)} kB packed, ` +
        `${(packed.unpackedSize / 1024).toFixed(1)} kB unpacked`,
    );
    const project = join(dir, "project");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "smoke", private: true, type: "module" }),
    );
    // koffi is linked from the repo's node_modules (a fresh CI cache holds
    // its tarball but not the registry metadata an offline install needs);
    // it finds its prebuilt binary package next to its real path.
    run("npm", [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      join(dir, packed.filename),
      join(ROOT, "node_modules", "koffi"),
    ], { cwd: project });
    step("npm pack + install into a temporary project", since);

    since = performance.now();
    checkConsumerTypes(project);
    step(
      "a TypeScript consumer type-checks against the package (tsc, strict)",
      since,
    );

    const files = readdirSync(SMOKE).filter((f) => f.endsWith(".mjs"));
    for (const f of files) copyFileSync(join(SMOKE, f), join(project, f));
    const tests = files.filter((f) => f.endsWith(".smoke.mjs"));
    // Without files, both runners would go looking for tests on their own.
    if (tests.length === 0) throw new Error(`no *.smoke.mjs in ${SMOKE}`);
    const env = {
      ...process.env,
      SMARTBUS_STANDIN: STANDIN,
      SMARTBUS_STANDIN_RECONNECT_MS: "100",
      SMARTBUS_BUN: join(BIN, "bun"),
      PATH: `${join(project, "node_modules", ".bin")}:${process.env.PATH}`,
    };
    since = performance.now();
    run("node", ["--test", ...tests], { cwd: project, env });
    step("smoke suite under Node", since);
    since = performance.now();
    run(join(BIN, "bun"), [
      "test",
      "--timeout",
      "30000",
      ...tests.map((t) => `./${t}`),
    ], {
      cwd: project,
      env,
    });
    step("smoke suite under Bun", since);
    since = performance.now();
    // Deno reads the project's package.json and node_modules and picks the
    // package entry (mod.js, which picks the Deno.dlopen backend).
    const denoTests = tests.filter((t) => !t.startsWith("bin."));
    // --no-check: Deno would type-check the package's .d.ts against
    // @types/node, which a manual node_modules does not hold (Deno installs
    // it by itself with `npm:` specifiers); the types are checked by tsc.
    run(join(BIN, "deno"), [
      "test",
      "-A",
      "--quiet",
      "--no-check",
      ...denoTests,
    ], {
      cwd: project,
      env: { ...env, DENO_NO_UPDATE_CHECK: "1" },
    });
    step("smoke suite under Deno (package API, no bin)", since);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const version =
  JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).version;
if (version !== VERSION) {
  throw new Error(
    `deno.json says version ${version}, src/cli/version.ts says ${VERSION}: make them agree`,
  );
}
rmSync(OUT, { recursive: true, force: true });
compile();
assemble(version);
if (!process.argv.includes("--no-test")) {
  if (!existsSync(STANDIN)) {
    throw new Error(`${STANDIN} is missing: run scripts/build_native.sh first`);
  }
  testNodeBackend();
  smoke();
}
console.log(
  `build_npm: @smartbus/netclient ${version} in npm/ — ${steps.length} steps, ` +
    `${((performance.now() - t0) / 1000).toFixed(1)} s in all`,
);
