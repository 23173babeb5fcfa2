/**
 * docs/source-map.md lists every TypeScript file of `src/api` and
 * `src/mock`, and no file that is gone (no backend: it reads files only).
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

function tsFiles(dir: string): string[] {
  return readdirSync(ROOT + dir).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(ROOT + path).isDirectory()) return tsFiles(path);
    return name.endsWith(".ts") ? [path] : [];
  });
}

describe("docs - source map", () => {
  test("docs source map - every file of src/api and src/mock is listed, and only those", () => {
    const doc = readFileSync(ROOT + "docs/source-map.md", "utf8");
    const listed = [...doc.matchAll(/^\| `(src\/[^`]+\.ts)`\s*\|/gm)].map((m) =>
      m[1]
    );
    const files = [...tsFiles("src/api"), ...tsFiles("src/mock")];
    assert.deepEqual(
      files.filter((f) => !listed.includes(f)),
      [],
      "files missing from docs/source-map.md",
    );
    assert.deepEqual(
      listed.filter((f) => !files.includes(f)),
      [],
      "docs/source-map.md lists files that are gone",
    );
  });
});
