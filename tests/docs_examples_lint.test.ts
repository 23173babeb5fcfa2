/**
 * The `@example` blocks of src/: one per documented thing, none a copy of
 * another, each calling or naming what it documents (no backend: it reads
 * files only).
 *
 * What an example must name (rule (b)), as a whole word of its code:
 * - a top-level declaration (`export function f`, `export class C`, …): its
 *   own name, or a name it is imported or re-exported as (`C as CCore`);
 * - a member of a class, interface or object (`C.m`, `I.field`): the member's
 *   name or the enclosing declaration's name (constructors: the class name),
 *   since `new C(…)` or `c.m(…)` is how a member is reached;
 * - a `@module` block: one of the names the file exports, or the file's own
 *   name when it only re-exports with `export *`.
 *
 * Examples on things nobody outside the file can reach (non-exported
 * declarations, `#private` and `private` members) cannot call them, so they
 * are refused too. Two bodies count as copies when they are equal once runs
 * of whitespace are collapsed.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The .ts files below `dir` (a folder of the root), as `dir/…` paths. */
const tsFiles = (dir: string): string[] =>
  readdirSync(ROOT + dir, { recursive: true, encoding: "utf8" })
    .filter((p) => p.endsWith(".ts"))
    .map((p) => `${dir}/${p.replaceAll("\\", "/")}`)
    .sort();

/** One JSDoc block and what it documents. */
interface Doc {
  /** `file:line` of the block's first line. */
  where: string;
  /** `file` for a module, `name` or `Outer.member` otherwise. */
  symbol: string;
  /** Names any one of which the examples must mention. */
  names: string[];
  /** Whether code outside the file can reach the documented thing. */
  reachable: boolean;
  /** The code of each `@example`, whitespace collapsed. */
  examples: string[];
}

const DECL =
  /^(export\s+)?(?:default\s+)?(?:declare\s+)?(?:abstract\s+)?(?:async\s+)?(?:function\*?|class|interface|type|const|let|var|enum|namespace)\s+([A-Za-z_$][\w$]*)/;

// Member modifiers, then the name (`#x`, `x`, `"x"`, `[Symbol.x]`).
const MEMBER =
  /^((?:(?:public|protected|private|static|readonly|async|override|abstract|declare|get|set|accessor)\s+)*)\*?\s*(#?[A-Za-z_$][\w$]*|"[^"]*"|'[^']*'|\[[^\]]+\])/;

/** The exported names of a file (declarations, `export { … }`). */
function exportedNames(text: string): string[] {
  const names: string[] = [];
  for (const line of text.split("\n")) {
    const m = DECL.exec(line);
    if (m?.[1]) names.push(m[2]);
  }
  for (const m of text.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const part of m[1].split(",")) {
      const name = part.trim().replace(/^type\s+/, "").split(/\s+as\s+/).pop();
      if (name) names.push(name.trim());
    }
  }
  return names;
}

function examplesOf(body: string): string[] {
  const out: string[] = [];
  for (const m of body.matchAll(/@example[^\n]*\n([\s\S]*?)(?=\n@\w|$)/g)) {
    const fenced = /```[^\n]*\n([\s\S]*?)```/.exec(m[1]);
    out.push((fenced ? fenced[1] : m[1]).replace(/\s+/g, " ").trim());
  }
  return out;
}

/** `A as B` of every import and export list: B is another name of A. */
function aliases(files: string[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(ROOT + file, "utf8");
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?\{([^}]*)\}/gm)) {
      for (const part of m[1].split(",")) {
        const a = /^\s*(?:type\s+)?([\w$]+)\s+as\s+([\w$]+)/.exec(part);
        if (a) out.set(a[1], [...(out.get(a[1]) ?? []), a[2]]);
      }
    }
  }
  return out;
}

function docsOf(file: string, alias: Map<string, string[]>): Doc[] {
  const text = readFileSync(ROOT + file, "utf8");
  const lines = text.split("\n");
  const exported = exportedNames(text);
  const stem = file.replace(/^.*\//, "").replace(/\.ts$/, "");
  const docs: Doc[] = [];
  for (const m of text.matchAll(/\/\*\*([\s\S]*?)\*\//g)) {
    const start = text.slice(0, m.index).split("\n").length;
    const body = m[1].split("\n").map((l) => l.replace(/^\s*\* ?/, "")).join(
      "\n",
    );
    const examples = examplesOf(body);
    if (examples.length === 0) continue;
    const where = `${file}:${start}`;
    if (/(^|\n)@module\b/.test(body)) {
      const reExportsAll = /^export\s+\*\s+from/m.test(text);
      docs.push({
        where,
        symbol: file,
        names: reExportsAll ? [...exported, stem] : exported,
        reachable: true,
        examples,
      });
      continue;
    }
    const endLine = text.slice(0, m.index! + m[0].length).split("\n").length;
    let i = endLine; // index of the line after the block's last line
    while (i < lines.length && /^\s*(@|$)/.test(lines[i])) i++;
    const next = lines[i] ?? "";
    const top = DECL.exec(next);
    if (top && !/^\s/.test(next)) {
      docs.push({
        where,
        symbol: top[2],
        names: [top[2], ...(alias.get(top[2]) ?? [])],
        reachable: Boolean(top[1]),
        examples,
      });
      continue;
    }
    // A member: its enclosing declaration is the nearest line above that
    // starts at column 0 with a declaration.
    let j = i - 1;
    while (j >= 0 && !(DECL.test(lines[j]) && !/^\s/.test(lines[j]))) j--;
    const outer = j >= 0 ? DECL.exec(lines[j])! : null;
    const member = MEMBER.exec(next.trim());
    const name = member?.[2].replace(/^["'[]|["'\]]$/g, "") ?? "?";
    const isPrivate = name.startsWith("#") ||
      /\bprivate\b/.test(member?.[1] ?? "");
    const outerName = outer?.[2] ?? "?";
    docs.push({
      where,
      symbol: `${outerName}.${name}`,
      names: name === "constructor" ? [outerName] : [outerName, name],
      reachable: Boolean(outer?.[1]) && !isPrivate,
      examples,
    });
  }
  return docs;
}

const mentions = (code: string, name: string) =>
  new RegExp(`(^|[^\\w$])${name.replace(/[$]/g, "\\$")}($|[^\\w$])`).test(
    code,
  );

describe("docs - examples", () => {
  const files = tsFiles("src");
  const alias = aliases([...files, "mod.ts", "internal.ts"]);
  const docs = files.flatMap((f) => docsOf(f, alias));

  test("docs examples - the scan finds the examples of src/", () => {
    const count = docs.reduce((n, d) => n + d.examples.length, 0);
    assert.ok(count > 200, `only ${count} @example blocks found`);
  });

  test("docs examples - no two @example bodies are the same", () => {
    const seen = new Map<string, string>();
    const copies: string[] = [];
    for (const d of docs) {
      for (const code of d.examples) {
        const first = seen.get(code);
        if (first) copies.push(`${d.where} (${d.symbol}) copies ${first}`);
        else seen.set(code, `${d.where} (${d.symbol})`);
      }
    }
    assert.deepEqual(copies, []);
  });

  test("docs examples - each @example names what it documents", () => {
    const off = docs.flatMap((d) =>
      d.examples
        .filter((code) => !d.names.some((n) => mentions(code, n)))
        .map(() => `${d.where} (${d.symbol}): names none of ${d.names}`)
    );
    assert.deepEqual(off, []);
  });

  test("docs examples - at most one @example per symbol", () => {
    const count = new Map<string, number>();
    for (const d of docs) {
      const key = d.symbol.includes("/") ? d.symbol : `${d.where}#${d.symbol}`;
      const k = key.replace(/:\d+#/, "#");
      count.set(k, (count.get(k) ?? 0) + d.examples.length);
    }
    const many = [...count].filter(([, n]) => n > 1).map(([k, n]) =>
      `${k}: ${n}`
    );
    assert.deepEqual(many, []);
  });

  test("docs examples - no example on what only its own file can reach", () => {
    const hidden = docs.filter((d) => !d.reachable).map((d) =>
      `${d.where} (${d.symbol})`
    );
    assert.deepEqual(hidden, []);
  });
});
