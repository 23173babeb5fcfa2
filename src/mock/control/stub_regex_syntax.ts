/**
 * The syntax of a stub's `$regex`: a pattern parsed into a tree of code
 * unit sets, assertions, sequences, alternatives and repeats, read as
 * `RegExp` reads it without flags (Annex B included: a `{` or `]` that
 * opens nothing is a literal). What the linear matcher cannot run, or
 * what would match something other than it reads, is refused here with
 * its position; `new RegExp` has already refused plain syntax errors.
 *
 * @module
 */

/**
 * A set of UTF-16 code units: sorted, disjoint, inclusive `[lo, hi]`
 * pairs, flattened.
 *
 * @example
 * ```ts
 * import { parseStubRegex, type Ranges } from "./stub_regex_syntax.ts";
 * const node = parseStubRegex("[a-cx]");
 * const set: Ranges = node.k === "set" ? node.set : [];
 * console.log(set); // [97, 99, 120, 120]
 * ```
 */
export type Ranges = number[];

/**
 * A parsed pattern: one code unit out of a set, an assertion (`^`, `$`,
 * `\b`, `\B`), a sequence, alternatives, or a repeat (`max` may be
 * `Infinity`). Groups leave no trace: captures do not change yes or no.
 *
 * @example
 * ```ts
 * import { parseStubRegex, type RegexNode } from "./stub_regex_syntax.ts";
 * const tree: RegexNode = parseStubRegex("^(ab|c)*$");
 * console.log(tree.k); // "seq": ^, a repeat of two alternatives, $
 * ```
 */
export type RegexNode =
  | { k: "set"; set: Ranges }
  | { k: "assert"; what: "^" | "$" | "\\b" | "\\B" }
  | { k: "seq"; of: RegexNode[] }
  | { k: "alt"; of: RegexNode[] }
  | { k: "rep"; of: RegexNode; min: number; max: number };

const DIGIT: Ranges = [0x30, 0x39];
const WORD: Ranges = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
// ECMAScript WhiteSpace and LineTerminator (what `\s` is without flags).
const SPACE: Ranges = [
  ...[0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a],
  ...[0x2028, 0x2029, 0x202f, 0x202f, 0x205f, 0x205f, 0x3000, 0x3000],
  ...[0xfeff, 0xfeff],
];
const LINE_END: Ranges = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029];

function normalize(r: Ranges): Ranges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) pairs.push([r[i], r[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last] + 1) out[last] = Math.max(out[last], hi);
    else out.push(lo, hi);
  }
  return out;
}

function complement(r: Ranges): Ranges {
  const n = normalize(r);
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < n.length; i += 2) {
    if (n[i] > next) out.push(next, n[i] - 1);
    next = n[i + 1] + 1;
  }
  if (next <= 0xffff) out.push(next, 0xffff);
  return out;
}

const CLASS_ESCAPES: Record<string, Ranges> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
};
const DOT = complement(LINE_END);
const CONTROL_ESCAPES: Record<string, number> = {
  t: 9,
  n: 10,
  v: 11,
  f: 12,
  r: 13,
};
const BRACED = /\{(\d+)(?:(,)(\d*))?\}/y;
const HEX = /[0-9a-fA-F]+/y;

const refused = (what: string, at: number): never => {
  throw new SyntaxError(
    `${what} at ${at} cannot be matched in linear time; stub patterns ` +
      "have no backreferences or lookaround",
  );
};

/** A recursive-descent parser for the subset (see `stub_regex.ts`). */
class Parser {
  #src: string;
  #i = 0;

  constructor(src: string) {
    this.#src = src;
  }

  parse(): RegexNode {
    const node = this.#disjunction();
    if (this.#i < this.#src.length) this.#fail("unmatched )");
    return node;
  }

  #fail(what: string, at = this.#i): never {
    throw new SyntaxError(`${what} at ${at}`);
  }

  #disjunction(): RegexNode {
    const alts = [this.#alternative()];
    while (this.#src[this.#i] === "|") {
      this.#i++;
      alts.push(this.#alternative());
    }
    return alts.length === 1 ? alts[0] : { k: "alt", of: alts };
  }

  #alternative(): RegexNode {
    const of: RegexNode[] = [];
    while (this.#i < this.#src.length) {
      const c = this.#src[this.#i];
      if (c === "|" || c === ")") break;
      of.push(this.#term());
    }
    return of.length === 1 ? of[0] : { k: "seq", of };
  }

  #term(): RegexNode {
    const at = this.#i;
    const assertion = this.#assertion();
    if (assertion) {
      if (this.#quantifier()) this.#fail("nothing to repeat", at);
      return assertion;
    }
    const atom = this.#atom();
    const q = this.#quantifier();
    if (!q) return atom;
    if (q[0] > q[1]) this.#fail("numbers out of order in {} quantifier", at);
    return { k: "rep", of: atom, min: q[0], max: q[1] };
  }

  #assertion(): RegexNode | undefined {
    const s = this.#src;
    const c = s[this.#i];
    if (c === "^" || c === "$") {
      this.#i++;
      return { k: "assert", what: c };
    }
    const e = s.slice(this.#i, this.#i + 2);
    if (e !== "\\b" && e !== "\\B") return undefined;
    this.#i += 2;
    return { k: "assert", what: e };
  }

  /** `[min, max]` of a quantifier here (consumed), or undefined. */
  #quantifier(): [number, number] | undefined {
    const c = this.#src[this.#i];
    let q: [number, number] | undefined;
    if (c === "*") q = [0, Infinity];
    else if (c === "+") q = [1, Infinity];
    else if (c === "?") q = [0, 1];
    if (q) this.#i++;
    else if (c === "{") {
      BRACED.lastIndex = this.#i;
      const m = BRACED.exec(this.#src);
      // Annex B: a `{` that opens no quantifier is a literal.
      if (!m) return undefined;
      const min = Number(m[1]);
      q = [min, m[2] ? (m[3] ? Number(m[3]) : Infinity) : min];
      this.#i += m[0].length;
    } else return undefined;
    if (this.#src[this.#i] === "?") this.#i++; // lazy: same yes or no
    return q;
  }

  #atom(): RegexNode {
    const s = this.#src;
    const at = this.#i;
    const c = s[this.#i];
    switch (c) {
      case "(":
        return this.#group();
      case "[":
        return { k: "set", set: this.#class() };
      case ".":
        this.#i++;
        return { k: "set", set: DOT };
      case "\\":
        return { k: "set", set: this.#atomEscape() };
      case "*":
      case "+":
      case "?":
        return this.#fail("nothing to repeat");
      case "{":
        BRACED.lastIndex = at;
        if (BRACED.test(s)) this.#fail("nothing to repeat");
    }
    this.#i++;
    const code = s.charCodeAt(at);
    return { k: "set", set: [code, code] };
  }

  #group(): RegexNode {
    const s = this.#src;
    const at = this.#i;
    this.#i++;
    if (s[this.#i] === "?") {
      const kind = s.slice(this.#i, this.#i + 3);
      if (kind.startsWith("?:")) this.#i += 2;
      else if (kind.startsWith("?=")) refused("lookahead (?=", at);
      else if (kind.startsWith("?!")) refused("negative lookahead (?!", at);
      else if (kind === "?<=") refused("lookbehind (?<=", at);
      else if (kind === "?<!") refused("negative lookbehind (?<!", at);
      else if (kind.startsWith("?<")) {
        const close = s.indexOf(">", this.#i);
        if (close < 0) this.#fail("unterminated group name", at);
        this.#i = close + 1;
      } else {
        this.#fail(
          `group (${kind.slice(0, 2)} is not supported (stub patterns ` +
            "take no flags)",
          at,
        );
      }
    }
    const inner = this.#disjunction();
    if (s[this.#i] !== ")") this.#fail("unterminated group", at);
    this.#i++;
    return inner;
  }

  /** After `\` outside a class: a class escape or one code unit. */
  #atomEscape(): Ranges {
    const at = this.#i;
    const c = this.#src[this.#i + 1];
    if (c === undefined) this.#fail("\\ at end of pattern");
    if (c >= "1" && c <= "9") refused(`backreference \\${c}`, at);
    if (c === "k") refused("named backreference \\k", at);
    return this.#escape(false);
  }

  /** `\` at #i: a class escape's set or one code unit's, consumed. */
  #escape(inClass: boolean): Ranges {
    const s = this.#src;
    const at = this.#i;
    const c = s[at + 1];
    if (c === undefined) this.#fail("\\ at end of pattern");
    this.#i += 2;
    const one = (code: number): Ranges => [code, code];
    if (CLASS_ESCAPES[c]) return CLASS_ESCAPES[c];
    if (c in CONTROL_ESCAPES) return one(CONTROL_ESCAPES[c]);
    if (inClass && c === "b") return one(8);
    if (c === "0") {
      if (/[0-9]/.test(s[this.#i] ?? "")) {
        this.#fail(`legacy octal escape \\0${s[this.#i]} (write \\xHH)`, at);
      }
      return one(0);
    }
    if (c === "c") {
      const l = s.charCodeAt(this.#i);
      if ((l | 0x20) >= 0x61 && (l | 0x20) <= 0x7a) {
        this.#i++;
        return one(l % 32);
      }
      this.#fail("\\c without a letter", at);
    }
    if (c === "x" || c === "u") {
      const n = c === "x" ? 2 : 4;
      HEX.lastIndex = this.#i;
      const m = HEX.exec(s);
      if (!m || m[0].length < n) {
        this.#fail(
          `\\${c} needs ${n} hex digits (no \\u{...} without flags)`,
          at,
        );
      }
      this.#i += n;
      return one(parseInt(m![0].slice(0, n), 16));
    }
    if (/[A-Za-z0-9]/.test(c)) {
      this.#fail(`unknown escape \\${c} (RegExp would read a plain ${c})`, at);
    }
    return one(s.charCodeAt(at + 1));
  }

  #class(): Ranges {
    const s = this.#src;
    const at = this.#i;
    this.#i++;
    const negate = s[this.#i] === "^";
    if (negate) this.#i++;
    const set: Ranges = [];
    while (s[this.#i] !== "]") {
      if (this.#i >= s.length) this.#fail("unterminated character class", at);
      const a = this.#classAtom();
      if (
        s[this.#i] === "-" && this.#i + 1 < s.length && s[this.#i + 1] !== "]"
      ) {
        const dash = this.#i++;
        const b = this.#classAtom();
        if (isCodeUnit(a) && isCodeUnit(b)) {
          if (a[0] > b[0]) this.#fail("range out of order in class", dash);
          set.push(a[0], b[0]);
        } else {
          // Annex B: a class escape at either end makes `-` a literal.
          set.push(...a, 0x2d, 0x2d, ...b);
        }
      } else set.push(...a);
    }
    this.#i++;
    return negate ? complement(set) : normalize(set);
  }

  #classAtom(): Ranges {
    const s = this.#src;
    if (s[this.#i] !== "\\") {
      const code = s.charCodeAt(this.#i++);
      return [code, code];
    }
    const c = s[this.#i + 1];
    if (c >= "1" && c <= "9") {
      this.#fail(`legacy octal escape \\${c} in a class (write \\xHH)`);
    }
    if (c === "-") {
      this.#i += 2;
      return [0x2d, 0x2d];
    }
    return this.#escape(true);
  }
}

// No class escape is a single code unit.
const isCodeUnit = (r: Ranges): boolean => r.length === 2 && r[0] === r[1];

/**
 * The tree of `pattern`; throws `SyntaxError` naming a construct it
 * refuses and where.
 *
 * @example
 * ```ts
 * import { parseStubRegex } from "./stub_regex_syntax.ts";
 * parseStubRegex("^(?=1)"); // throws SyntaxError: lookahead (?= at 1 cannot be matched in linear time …
 * ```
 */
export function parseStubRegex(pattern: string): RegexNode {
  return new Parser(pattern).parse();
}
