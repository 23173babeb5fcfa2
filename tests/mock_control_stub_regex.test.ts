/**
 * The `$regex` of stubs: the linear matcher answers as `RegExp` does (a
 * table of patterns and texts, random ones, every code unit for the
 * classes), refuses what it cannot run in linear time with a message
 * naming it, and answers at once where `RegExp` backtracks for ever.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  compileStubRegex,
  MAX_REGEX_LENGTH,
  MAX_REGEX_STATES,
} from "../src/mock/control/stub_regex.ts";
import { FlowStubs, InvalidStubError, MockBus } from "../src/mock/mod.ts";

const PATTERNS = [
  "",
  "a",
  "abc",
  "^abc$",
  "a|b",
  "^(a|ab)(c|bcd)(d*)$",
  "a*",
  "a+",
  "a?",
  "^a*$",
  "^a+$",
  "a{2}",
  "a{2,}",
  "^a{2,3}$",
  "^a{0}$",
  "^(?:ab){2}$",
  "x*?y",
  "a+?b",
  "a??b",
  "^a{1,2}?c",
  ".",
  "^.$",
  "a.c",
  "[abc]",
  "[^abc]",
  "^[a-z]+$",
  "^[a-z0-9_-]+$",
  "[\\d-]",
  "[\\w.]+@",
  "\\d+",
  "\\D",
  "\\w",
  "\\W",
  "\\s",
  "\\S",
  "\\bfoo\\b",
  "\\Boo\\B",
  "[\\b]",
  "\\.",
  "\\$",
  "\\^",
  "\\(\\)",
  "\\/",
  "a{",
  "a{,2}",
  "a{1",
  "x}",
  "]",
  "[]",
  "[^]",
  "[]a]",
  "\\t\\n",
  "\\x41",
  "\\u0041",
  "\\cJ",
  "\\0",
  "(a+)+$",
  "(a|a)*b",
  "(a*)*$",
  "^(?:a|b)*abb$",
  "^100",
  "^100(\\d+|-\\d{2})$",
  "(?<num>\\d+)-",
  "^$",
  "$",
  "^",
  "a|",
  "|a",
  "()",
  "^(|a)+b",
  "(?:)*x",
  "[😀]",
  "😀",
  ".{3}",
  "[a-c-e]",
  "[-a]",
  "[a-]",
  "[\\d-z]",
  "\\d{3}-\\d{4}",
  "^(\\+86)?1[3-9]\\d{9}$",
  "colou?r",
  "^[^@\\s]+@[^@\\s]+\\.[a-z]{2,}$",
  "\\s*$",
  "^\\s+|\\s+$",
  "^(a(b(c)?)?)?$",
  "(?:a{2}|b{3})+$",
];

const TEXTS = [
  "",
  "a",
  "aa",
  "aaa",
  "ab",
  "abb",
  "aabb",
  "abc",
  "xabcx",
  "abcd",
  "abbcd",
  "abdd",
  "b",
  "aab",
  "bbb",
  "aaaa",
  "xy",
  "xxxy",
  "ac",
  "aac",
  "10086",
  "100-17",
  "100-1",
  "1001",
  "foo bar",
  "food",
  "a{",
  "a{,2}",
  "a{1",
  "x}",
  "]",
  "[]",
  "\n",
  "\t\n",
  "A",
  "\u0001",
  "\0",
  "\b",
  "\n\n",
  "a.c",
  "a\nc",
  "a\u2028c",
  "😀",
  "\ud83d",
  "$^",
  "()",
  "/",
  "+8613812345678",
  "13812345678",
  "12812345678",
  "me@example.com",
  "b@x",
  "colour",
  "color",
  "  x  ",
  "x",
  "a-b",
  "1-2",
  "123-4567",
  "\u2028",
  "\u00a0",
  "\ufeff",
  "_",
  "é",
  "c",
  "d",
  "-",
  "z",
  "12-",
  "w.x@",
];

/** A small seeded generator, so a failure names a case that comes back. */
function random(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) % n);
  };
}

/** A random pattern of the subset over a, b and a space. */
function pattern(pick: (n: number) => number, depth: number): string {
  const atoms = ["a", "b", " ", ".", "[ab]", "[^a]", "\\w", "\\s", "[a-b ]"];
  const quantifiers = ["*", "+", "?", "{2}", "{0,2}", "{1,}", "*?", "+?"];
  const atom = (): string => {
    if (depth > 0 && pick(3) === 0) {
      const group = pick(2) === 0 ? "(" : "(?:";
      return group + pattern(pick, depth - 1) + ")";
    }
    return atoms[pick(atoms.length)];
  };
  const term = (): string => {
    const r = pick(10);
    if (r === 0) return ["^", "$", "\\b", "\\B"][pick(4)];
    const a = atom();
    return r < 5 ? a + quantifiers[pick(quantifiers.length)] : a;
  };
  const alternative = (): string =>
    Array.from({ length: pick(4) }, term).join("");
  return pick(4) === 0 ? `${alternative()}|${alternative()}` : alternative();
}

const agree = (p: string, text: string): void => {
  assert.equal(
    compileStubRegex(p).test(text),
    new RegExp(p).test(text),
    `/${p}/ on ${JSON.stringify(text)}`,
  );
};

describe("stub regex - the same answers as RegExp", () => {
  test("stub regex - a table of patterns and texts", () => {
    for (const p of PATTERNS) for (const t of TEXTS) agree(p, t);
  });

  test("stub regex - 3,000 random patterns on random texts", () => {
    const pick = random(19);
    for (let i = 0; i < 3000; i++) {
      const p = pattern(pick, 2);
      for (let j = 0; j < 4; j++) {
        const text = Array.from(
          { length: pick(8) },
          () => "ab x"[pick(4)],
        ).join("");
        agree(p, text);
      }
    }
  });

  test("stub regex - classes and escapes on every UTF-16 code unit", () => {
    for (
      const p of ["^.$", "^\\s$", "^\\S$", "^\\w$", "^\\W$", "^\\d$", "^\\D$"]
        .concat(["^[^\\s\\d]$", "^[\\s\\w]$", "^[^a-zé]$", "\\b"])
    ) {
      const ours = compileStubRegex(p);
      const theirs = new RegExp(p);
      for (let c = 0; c <= 0xffff; c++) {
        const t = String.fromCharCode(c);
        if (ours.test(t) !== theirs.test(t)) {
          assert.fail(`/${p}/ on U+${c.toString(16)}`);
        }
      }
    }
  });
});

describe("stub regex - bounded whatever the pattern", () => {
  test("stub regex - patterns that make RegExp backtrack answer at once on 40,000 characters", () => {
    const as = "a".repeat(40_000);
    const cases: [string, string, boolean][] = [
      ["(a+)+$", as + "!", false],
      ["(a|aa)+$", as + "!", false],
      ["(a*)*b", as, false],
      ["^(\\w+\\s?)*$", as + "!", false],
      ["(x+x+)+y", "x".repeat(40_000), false],
      ["(a+)+$", as, true],
      ["^(a|a?)+$", as, true],
    ];
    for (const [p, text, expected] of cases) {
      // RegExp agrees where it can answer in time.
      agree(p, text.slice(-12));
      const started = performance.now();
      assert.equal(compileStubRegex(p).test(text), expected, p);
      const ms = performance.now() - started;
      assert.ok(ms < 1000, `/${p}/ took ${ms.toFixed(0)} ms`);
    }
  });

  test("stub regex - what cannot run in linear time, or reads as something else, is refused by name", () => {
    const refused: [string, RegExp][] = [
      ["(a)\\1", /backreference \\1 at 3 cannot be matched in linear time/],
      ["(?<x>a)\\k<x>", /named backreference \\k/],
      ["a(?=b)", /lookahead \(\?= at 1/],
      ["a(?!b)", /negative lookahead \(\?!/],
      ["(?<=a)b", /lookbehind \(\?<=/],
      ["(?<!a)b", /negative lookbehind \(\?<!/],
      ["\\Z", /unknown escape \\Z/],
      ["\\01", /legacy octal escape/],
      ["[\\1]", /legacy octal escape/],
      ["\\u{41}", /needs 4 hex digits/],
      ["(", /Unterminated group|missing \)/i],
      ["a**", /Nothing to repeat/i],
      ["a".repeat(MAX_REGEX_LENGTH + 1), /longer than 1000 characters/],
      [`a{${MAX_REGEX_STATES + 1}}`, /compiles to more than 1000 states/],
      ["(?:\\d{50}){30}", /more than 1000 states/],
      ["(?:){999999999}", /more than 1000 states/],
      ["(?:a{0,499}){0,999}", /more than 1000 states/],
    ];
    for (const [p, message] of refused) {
      assert.throws(() => compileStubRegex(p), message, p);
    }
    // At the cap exactly is fine.
    const atCap = compileStubRegex(`a{${MAX_REGEX_STATES}}`);
    assert.equal(atCap.states, MAX_REGEX_STATES);
    assert.equal(atCap.test("a".repeat(MAX_REGEX_STATES)), true);
  });

  test("stub regex - a stub with such a pattern is refused in process with InvalidStubError naming the field", () => {
    const bus = new MockBus();
    bus.addNode({ unitId: 0, port: 8000 });
    bus.addIpsc({ unitId: 0, processIndex: 0 });
    const stubs = new FlowStubs(bus);
    const add = (want: unknown): unknown =>
      stubs.add({
        project: "p",
        flow: "f",
        match: { paramsAt: { 2: want } },
        reply: { result: [] },
      });
    assert.throws(
      () => add({ $regex: "(a)\\1" }),
      (e: Error) =>
        e instanceof InvalidStubError &&
        /^stub: match\.paramsAt\.2\.\$regex: backreference \\1/.test(
          e.message,
        ),
    );
    assert.throws(
      () => add({ $regex: 5 }),
      /match\.paramsAt\.2\.\$regex must be a string \(a pattern\), got 5/,
    );
    assert.throws(
      () => add({ $regex: "^1", $options: "i" }),
      /"\$options" is not an operator \(only \$regex and \$text\)/,
    );
    assert.throws(
      () => add({ $regex: "^1", other: 1 }),
      /"other" next to \$regex/,
    );
    assert.throws(() => add({ $regx: "^1" }), /"\$regx" is not an operator/);
    assert.equal(stubs.list().length, 0);
    // An object without `$` keys is still a value compared as it is.
    add({ plain: "object" });
    assert.equal(stubs.list().length, 1);
  });
});
