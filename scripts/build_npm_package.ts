/**
 * The package.json of the built npm package (`scripts/build_npm.ts`).
 *
 * Entries: under Node the `node` condition picks `node_entry.js` (the API
 * with the koffi backend registered); Bun and Deno match their own condition
 * first and get `mod.js`, whose backends need no dependency. koffi is an
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
        bun: "./esm/mod.js",
        deno: "./esm/mod.js",
        node: "./esm/src/ffi/node_entry.js",
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
    sideEffects: ["./esm/src/ffi/node_entry.js", "./bin/smartbus.js"],
  };
}
