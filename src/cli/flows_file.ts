/**
 * Whether this runtime can load a `--flows` module written in TypeScript:
 * Deno and Bun always can; Node only with type stripping (on by default from
 * 22.18 and 23.6, behind `--experimental-strip-types` from 22.6). On a Node
 * that cannot, the CLI says so in one line before anything starts, instead
 * of Node's `Unknown file extension ".ts"`.
 *
 * @example
 * ```ts
 * import { checkFlowsFile } from "./flows_file.ts";
 * checkFlowsFile("answers.json"); // fine everywhere
 * ```
 * @module
 */
import process from "node:process";
import { detectRuntime } from "../ffi/select.ts";
import { UsageError } from "./exit.ts";

/** The facts about Node that decide; injectable for tests. */
export interface NodeFacts {
  /** `process.versions.node`. */
  version: string;
  /** `process.features.typescript`: "strip", "transform", false, or undefined before Node 22.10. */
  typescript: string | boolean | undefined;
  /** `process.execArgv` plus `NODE_OPTIONS`, where the flag may be. */
  flags: string;
}

const TS_FILE = /\.[cm]?ts$/i;

/** This process's {@link NodeFacts}. */
function currentNode(): NodeFacts {
  const features = process.features as { typescript?: string | boolean };
  return {
    version: process.versions.node ?? "0",
    typescript: features.typescript,
    flags: `${process.execArgv.join(" ")} ${process.env.NODE_OPTIONS ?? ""}`,
  };
}

/**
 * Whether Node with `facts` runs `.ts` files.
 *
 * @example
 * ```ts
 * import { nodeRunsTypeScript } from "./flows_file.ts";
 * console.log(nodeRunsTypeScript({ version: "20.20.2", typescript: undefined, flags: "" })); // false
 * ```
 */
export function nodeRunsTypeScript(facts: NodeFacts): boolean {
  if (facts.typescript !== undefined) return facts.typescript !== false;
  const [major, minor] = facts.version.split(".").map(Number);
  const stripping = major > 22 || (major === 22 && minor >= 6);
  return stripping && /--(experimental-)?strip-types/.test(facts.flags);
}

/**
 * Throw a one-line {@link UsageError} (exit 2) when `file` is TypeScript and
 * this runtime cannot load it; say how to get there.
 *
 * @example
 * ```ts
 * import { checkFlowsFile } from "./flows_file.ts";
 * checkFlowsFile("flows.ts", { version: "20.20.2", typescript: undefined, flags: "" }); // throws
 * ```
 */
export function checkFlowsFile(
  file: string | undefined,
  facts?: NodeFacts,
): void {
  if (file === undefined || !TS_FILE.test(file)) return;
  if (facts === undefined && detectRuntime() !== "node") return;
  const node = facts ?? currentNode();
  if (nodeRunsTypeScript(node)) return;
  throw new UsageError(
    `--flows ${file}: Node ${node.version} cannot load TypeScript; compile it to .js, ` +
      `use Node 22.18+ (22.6+ with NODE_OPTIONS=--experimental-strip-types), or run smartbus with Deno or Bun`,
  );
}
