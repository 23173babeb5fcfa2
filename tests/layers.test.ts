/**
 * The layers of `src/`: which folder may import which. Parses every import
 * and export specifier of src/**\/*.ts and checks it against the allowed
 * directions, so that no two folders ever import each other again.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const SRC = join(ROOT, "src");

/**
 * What each folder of src/ may import besides itself. `core` holds the
 * shapes every layer is handed (logger, timers), knows nobody and may be
 * imported from anywhere; `abi` is the ABI's vocabulary; `api` and `ffi`
 * stand on it side by side; `entry` wires backends into the API; the mock
 * and the CLI sit on top. Files at the root (mod.ts) may import anything.
 */
const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  abi: ["core"],
  api: ["core", "abi"],
  ffi: ["core", "abi"],
  entry: ["core", "abi", "api", "ffi"],
  mock: ["core", "abi", "api"],
  cli: ["core", "abi", "api", "ffi", "entry", "mock"],
};

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? sources(join(dir, e.name))
      : e.name.endsWith(".ts")
      ? [join(dir, e.name)]
      : []
  );
}

function allFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allFiles(join(dir, e.name)) : [join(dir, e.name)]
  );
}

// Static imports and re-exports (`import … from "x"`, `export … from "x"`,
// `import "x"`), dynamic `import("x")` with a literal, and import types.
const SPECIFIER =
  /(?:^|[\s;])(?:import|export)\s[^"'`;]*?\bfrom\s*["']([^"']+)["']|(?:^|[\s;])import\s*["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']\s*\)/gm;

/** Relative specifiers of a file's imports, comments and examples removed. */
function importsOf(file: string): string[] {
  const code = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const out: string[] = [];
  for (const m of code.matchAll(SPECIFIER)) {
    const spec = m[1] ?? m[2] ?? m[3];
    if (spec.startsWith(".")) out.push(spec);
  }
  return out;
}

/** The src/ folder a path lies in ("" for files outside src/ folders). */
function layerOf(path: string): string {
  const rel = relative(SRC, path);
  if (rel.startsWith("..")) return "";
  const parts = rel.split(sep);
  return parts.length > 1 ? parts[0] : "";
}

describe("layers", () => {
  const files = sources(SRC);

  test("layers - src/ has files and every folder has a rule", () => {
    assert.ok(files.length > 20, `only ${files.length} files under src/`);
    for (const f of files) {
      const layer = layerOf(f);
      assert.ok(
        layer in ALLOWED,
        `${relative(ROOT, f)}: no rule for "${layer}"`,
      );
    }
  });

  test("layers - every import of src/ points down the allowed directions", () => {
    const wrong: string[] = [];
    for (const f of files) {
      const from = layerOf(f);
      for (const spec of importsOf(f)) {
        const target = resolve(dirname(f), spec);
        const to = layerOf(target);
        if (to === from) continue;
        if (to === "" || !ALLOWED[from].includes(to)) {
          wrong.push(
            `${relative(ROOT, f)} imports ${spec} (${from} → ${
              to || "outside src/"
            })`,
          );
        }
      }
    }
    assert.deepEqual(wrong, []);
  });

  test("layers - no two files of src/ share a name (mod.ts, internal.ts aside)", () => {
    // A name says what a file holds only if it is the only file called so:
    // `client.ts` in three folders sent readers to the wrong one.
    const ENTRY_POINTS = new Set(["mod.ts", "internal.ts"]);
    const seen = new Map<string, string[]>();
    for (const f of allFiles(SRC)) {
      const name = basename(f);
      if (ENTRY_POINTS.has(name)) continue;
      seen.set(name, [...(seen.get(name) ?? []), relative(ROOT, f)]);
    }
    const shared = [...seen.values()].filter((paths) => paths.length > 1);
    assert.deepEqual(shared, []);
  });

  test("layers - no two folders import each other", () => {
    for (const [a, deps] of Object.entries(ALLOWED)) {
      for (const b of deps) {
        assert.ok(
          !ALLOWED[b].includes(a),
          `${a} and ${b} may import each other`,
        );
      }
    }
  });

  test("layers - the checker sees the kinds of import it must see", () => {
    const sample = [
      'import { a } from "../api/x.ts";',
      'export { b } from "../ffi/y.ts";',
      'import type { C } from "../abi/z.ts";',
      'import "./side.ts";',
      'const m = await import("../mock/w.ts");',
      '// import { no } from "../cli/commented.ts";',
    ].join("\n");
    const found = [...sample.replace(/^\s*\/\/.*$/gm, "").matchAll(SPECIFIER)]
      .map((m) => m[1] ?? m[2] ?? m[3]);
    assert.deepEqual(found, [
      "../api/x.ts",
      "../ffi/y.ts",
      "../abi/z.ts",
      "./side.ts",
      "../mock/w.ts",
    ]);
  });
});
