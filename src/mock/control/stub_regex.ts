/**
 * The `$regex` of a stub, matched in time linear in the text whatever the
 * pattern. `RegExp` backtracks: one stub with `(a+)+$` against 40 `a`s and
 * a `!` held the served mock's only thread for good (its TCP bus, control
 * API and signal handling with it). Here a pattern compiles to a Thompson
 * NFA that is run over the text once, every live state in step (Pike's
 * simulation without captures: a stub only needs yes or no), so a test
 * costs at most (compiled states × text length) steps.
 *
 * The subset is what stubs are written with: literals, `.`, classes with
 * ranges, the escapes `\d \D \w \W \s \S \b \B \t \n \v \f \r \0 \cX \xHH
 * \uHHHH` and escaped punctuation, `^ $`, groups `(...)`, `(?:...)` and
 * `(?<name>...)`, `|`, and the quantifiers `* + ? {m} {m,} {m,n}` (lazy
 * forms too: for yes or no they are the same). The meaning is that of
 * `new RegExp(pattern).test(text)` with no flags: a search anywhere unless
 * anchored, on UTF-16 code units. What cannot be run this way
 * (backreferences, lookaround) or could mean something other than it
 * reads (`\Z`, legacy octal, inline flags) is refused at compile time with
 * a message naming it, as is a pattern past {@link MAX_REGEX_LENGTH} or
 * one that compiles to more than {@link MAX_REGEX_STATES} states.
 *
 * @module
 */

import {
  parseStubRegex,
  type Ranges,
  type RegexNode,
} from "./stub_regex_syntax.ts";

/**
 * The longest `$regex` a stub takes, in UTF-16 code units.
 *
 * @example
 * ```ts
 * import { compileStubRegex, MAX_REGEX_LENGTH } from "./stub_regex.ts";
 * compileStubRegex("a".repeat(MAX_REGEX_LENGTH + 1)); // throws SyntaxError: longer than 1000 characters (1001)
 * ```
 */
export const MAX_REGEX_LENGTH = 1000;

/**
 * The most NFA states a `$regex` may compile to: about one per literal,
 * class or assertion, two per `|`, `*`, `+` or optional copy, and
 * `{m,n}` copies its operand n times (`(ab){300}` is 600). It bounds a
 * test to that many steps per character of the parameter.
 *
 * @example
 * ```ts
 * import { compileStubRegex, MAX_REGEX_STATES } from "./stub_regex.ts";
 * console.log(compileStubRegex("\\d{100}").states <= MAX_REGEX_STATES); // true
 * compileStubRegex("(?:\\d{50}){30}"); // throws SyntaxError: compiles to more than 1000 states …
 * ```
 */
export const MAX_REGEX_STATES = 1000;

/**
 * A compiled stub pattern: `test` answers as `RegExp.prototype.test` would,
 * in linear time.
 *
 * @example
 * ```ts
 * import { compileStubRegex, type StubRegex } from "./stub_regex.ts";
 * const re: StubRegex = compileStubRegex("(a+)+$"); // no backtracking
 * console.log(re.test("xaaa"), re.test("aaaa!")); // true false
 * ```
 */
export interface StubRegex {
  /** The pattern as given. */
  readonly source: string;
  /** Compiled states (at most {@link MAX_REGEX_STATES}). */
  readonly states: number;
  /** Whether the pattern occurs in `text` (anywhere, unless anchored). */
  test(text: string): boolean;
}

/** States `node` compiles to; throws past the cap. */
function sizeOf(node: RegexNode): number {
  let n: number;
  switch (node.k) {
    case "set":
    case "assert":
      n = 1;
      break;
    case "seq":
      n = node.of.reduce((t, o) => t + sizeOf(o), 0);
      break;
    case "alt":
      n = node.of.reduce((t, o) => t + sizeOf(o), 0) +
        2 * (node.of.length - 1);
      break;
    case "rep": {
      const s = sizeOf(node.of);
      // An empty operand still costs a copy, or `(?:){999999999}` would
      // pass the cap and take seconds to emit.
      n = node.min * Math.max(s, 1) +
        (node.max === Infinity ? s + 2 : (node.max - node.min) * (s + 1));
    }
  }
  if (n > MAX_REGEX_STATES) {
    throw new SyntaxError(
      `compiles to more than ${MAX_REGEX_STATES} states ({m,n} copies ` +
        "what it repeats n times)",
    );
  }
  return n;
}

const OP_SET = 0;
const OP_ASSERT = 1;
const OP_SPLIT = 2;
const OP_JUMP = 3;
const OP_MATCH = 4;

const ASSERT_START = 0;
const ASSERT_END = 1;
const ASSERT_WORD = 2;
const ASSERT_NOT_WORD = 3;
const ASSERTIONS = {
  "^": ASSERT_START,
  "$": ASSERT_END,
  "\\b": ASSERT_WORD,
  "\\B": ASSERT_NOT_WORD,
};

/**
 * The NFA: state i is `op[i]` with `arg[i]` (a set or an assertion), going
 * on to `x[i]` (and `y[i]` for a split). 16 bits hold any state number
 * under the cap.
 */
interface Program {
  op: Uint8Array;
  arg: Uint16Array;
  x: Uint16Array;
  y: Uint16Array;
  /** Each set's code units from 128 up: `[lo, hi]` pairs. */
  sets: Uint16Array[];
  /** Each set's code units below 128: four 32-bit words per set. */
  ascii: Uint32Array;
  /** States emitted (an empty group costs nothing here). */
  size: number;
}

function emit(root: RegexNode, states: number): Program {
  const p: Program = {
    op: new Uint8Array(states + 1),
    arg: new Uint16Array(states + 1),
    x: new Uint16Array(states + 1),
    y: new Uint16Array(states + 1),
    sets: [],
    ascii: new Uint32Array(0),
    size: 0,
  };
  const setIndex = new Map<Ranges, number>();
  let pc = 0;
  const put = (op: number, arg = 0): number => {
    p.op[pc] = op;
    p.arg[pc] = arg;
    p.x[pc] = pc + 1;
    return pc++;
  };
  const walk = (node: RegexNode): void => {
    switch (node.k) {
      case "set": {
        let i = setIndex.get(node.set);
        if (i === undefined) {
          setIndex.set(node.set, i = p.sets.length);
          p.sets.push(Uint16Array.from(node.set));
        }
        put(OP_SET, i);
        return;
      }
      case "assert":
        put(OP_ASSERT, ASSERTIONS[node.what]);
        return;
      case "seq":
        return node.of.forEach(walk);
      case "alt": {
        const jumps: number[] = [];
        node.of.forEach((o, j) => {
          if (j === node.of.length - 1) return walk(o);
          const split = put(OP_SPLIT);
          walk(o);
          jumps.push(put(OP_JUMP));
          p.y[split] = pc;
        });
        for (const j of jumps) p.x[j] = pc;
        return;
      }
      case "rep": {
        for (let j = 0; j < node.min; j++) walk(node.of);
        if (node.max === Infinity) {
          const loop = put(OP_SPLIT);
          walk(node.of);
          p.x[put(OP_JUMP)] = loop;
          p.y[loop] = pc;
          return;
        }
        const splits: number[] = [];
        for (let j = node.min; j < node.max; j++) {
          splits.push(put(OP_SPLIT));
          walk(node.of);
        }
        for (const s of splits) p.y[s] = pc;
      }
    }
  };
  walk(root);
  put(OP_MATCH);
  p.size = pc;
  p.ascii = new Uint32Array(4 * p.sets.length);
  p.sets.forEach((r, k) => {
    for (let i = 0; i < r.length; i += 2) {
      for (let c = r[i]; c <= Math.min(r[i + 1], 127); c++) {
        p.ascii[(k << 2) | (c >> 5)] |= 1 << (c & 31);
      }
    }
  });
  return p;
}

/** Whether `set` holds `c` (128 or above). */
function inRanges(r: Uint16Array, c: number): boolean {
  let lo = 0;
  let hi = (r.length >> 1) - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (c < r[2 * mid]) hi = mid - 1;
    else if (c > r[2 * mid + 1]) lo = mid + 1;
    else return true;
  }
  return false;
}

const isWordCode = (c: number): boolean =>
  (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || c === 0x5f ||
  (c >= 0x61 && c <= 0x7a);

function holds(what: number, text: string, pos: number): boolean {
  switch (what) {
    case ASSERT_START:
      return pos === 0;
    case ASSERT_END:
      return pos === text.length;
    default: {
      const before = pos > 0 && isWordCode(text.charCodeAt(pos - 1));
      const after = pos < text.length && isWordCode(text.charCodeAt(pos));
      return (before !== after) === (what === ASSERT_WORD);
    }
  }
}

// The scratch of a run, shared by every pattern: a test runs to its end
// before the next one starts, and memory then grows with the programs
// only. `mark[s] === step` says state s is already in this step's list.
const SCRATCH = MAX_REGEX_STATES + 1;
const lists = [new Uint16Array(SCRATCH), new Uint16Array(SCRATCH)];
const stack = new Uint16Array(SCRATCH);
const mark = new Uint32Array(SCRATCH);
let step = 0;

/**
 * Add to `list` (holding `n`) the states that consume a character reached
 * from `s` at `pos` without consuming one: the new length, or -1 when the
 * match state is among them.
 */
function follow(
  p: Program,
  s: number,
  text: string,
  pos: number,
  list: Uint16Array,
  n: number,
): number {
  if (mark[s] === step) return n;
  mark[s] = step;
  let sp = 0;
  stack[sp++] = s;
  while (sp > 0) {
    const t = stack[--sp];
    let go = -1;
    let also = -1;
    switch (p.op[t]) {
      case OP_MATCH:
        return -1;
      case OP_SET:
        list[n++] = t;
        break;
      case OP_JUMP:
        go = p.x[t];
        break;
      case OP_SPLIT:
        go = p.x[t];
        also = p.y[t];
        break;
      case OP_ASSERT:
        if (holds(p.arg[t], text, pos)) go = p.x[t];
    }
    if (go >= 0 && mark[go] !== step) {
      mark[go] = step;
      stack[sp++] = go;
    }
    if (also >= 0 && mark[also] !== step) {
      mark[also] = step;
      stack[sp++] = also;
    }
  }
  return n;
}

/** Whether `p` matches somewhere in `text`: one pass, all states in step. */
function run(p: Program, text: string): boolean {
  if (step > 0xffff_fff0 - text.length) {
    mark.fill(0);
    step = 0;
  }
  let now = lists[0];
  let next = lists[1];
  step++;
  let count = follow(p, 0, text, 0, now, 0);
  const { op, arg, x, sets, ascii } = p;
  for (let i = 0; i < text.length && count >= 0; i++) {
    const c = text.charCodeAt(i);
    const word = c >> 5;
    const bit = 1 << (c & 31);
    step++;
    let n = 0;
    for (let j = 0; j < count && n >= 0; j++) {
      const s = now[j];
      const k = arg[s];
      if (
        c < 128 ? (ascii[(k << 2) | word] & bit) === 0 : !inRanges(sets[k], c)
      ) continue;
      const t = x[s];
      if (mark[t] === step) continue;
      // The common case inline: the next state consumes a character too.
      if (op[t] === OP_SET) {
        mark[t] = step;
        next[n++] = t;
      } else n = follow(p, t, text, i + 1, next, n);
    }
    // A search: a match may also start at every position.
    if (n >= 0) n = follow(p, 0, text, i + 1, next, n);
    const was = now;
    now = next;
    next = was;
    count = n;
  }
  return count < 0;
}

/**
 * Compile a stub's `$regex`; throws `SyntaxError` naming what it refuses
 * (see the module doc).
 *
 * @example
 * ```ts
 * import { compileStubRegex } from "./stub_regex.ts";
 * console.log(compileStubRegex("^1\\d+").test("123")); // true
 * compileStubRegex("(a)\\1"); // throws SyntaxError: a backreference
 * ```
 */
export function compileStubRegex(pattern: string): StubRegex {
  if (pattern.length > MAX_REGEX_LENGTH) {
    throw new SyntaxError(
      `longer than ${MAX_REGEX_LENGTH} characters (${pattern.length})`,
    );
  }
  // RegExp's own parser first, for its word on plain syntax errors.
  new RegExp(pattern);
  const root = parseStubRegex(pattern);
  const p = emit(root, sizeOf(root));
  return {
    source: pattern,
    states: p.size - 1,
    test: (text) => run(p, text),
  };
}
