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
}

/**
 * The package.json object.
 *
 * @example
 * ```ts
 * import { packageJson } from "./build_npm_package.ts";
 * console.log(packageJson({ version: "0.1.0", license: "MIT", koffi: "^3.3.4" }).name);
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
    keywords: ["smartbus", "ipsc", "ffi", "koffi", "bun", "deno", "mock"],
    sideEffects: ["./bin/smartbus.js"],
  };
}
