/**
 * What a flow stub is made of (the JSON the control API takes and the
 * objects `FlowStubs.add` takes), and the one validator both go through,
 * so a bad stub gets the same clear message in process and over HTTP.
 *
 * @example
 * ```ts
 * import type { StubSpec } from "@smartbus/netclient/mock";
 * const busyThenOk: StubSpec = {
 *   project: "ivr",
 *   flow: "callout",
 *   match: { params: ["10086"] },
 *   replies: [{ notStarted: -1, message: "line busy" }, { result: ["ok"] }],
 * };
 * ```
 * @module
 */
import type { BusAddress } from "../bus/contract.ts";
import { checkInt, isObject, refuseWith } from "./body_checks.ts";
import { compileStubRegex, type StubRegex } from "./stub_regex.ts";

/**
 * One answer of a stub: a result list, a flow failure, not started (`ack`
 * ≠ 1), acknowledged but never answered, or nothing at all. A failure
 * (`error` < 1) goes in the acknowledge, as a refusal with that code: the
 * vendor's result frame carries no code. `delayMs` (bus time) delays a
 * result; an `error` with a delay is acknowledged, then never answered (the
 * caller times out). A refusal is sent at once.
 *
 * @example
 * ```ts
 * import type { StubReply } from "@smartbus/netclient/mock";
 * const replies: StubReply[] = [
 *   { result: ["ok", 1] },
 *   { result: ["slow"], delayMs: 200 },
 *   { error: -3 },
 *   { notStarted: -1, message: "busy" },
 *   { noAnswer: true },
 *   { noAck: true },
 * ];
 * ```
 */
export type StubReply =
  | { result: unknown[]; delayMs?: number }
  | { error: number; delayMs?: number }
  | { notStarted: number; message?: string }
  | { noAnswer: true }
  | { noAck: true };

/**
 * Which calls a stub takes: every field given must hold. `params` compares
 * the whole parameter list (deep equality); `paramsAt` compares single
 * positions, a value `{ "$regex": "..." }` matching a string parameter
 * against a regular expression (as `RegExp.prototype.test` without flags,
 * in linear time: no backreferences or lookaround, at most 1,000
 * characters), and `{ "$text": "10086" }` either the string "10086" or the
 * number 10086; `from` matches the caller's address.
 *
 * @example
 * ```ts
 * import type { StubMatch } from "@smartbus/netclient/mock";
 * const to100: StubMatch = { paramsAt: { 0: { $regex: "^100" } }, from: { unitId: 30 } };
 * ```
 */
export interface StubMatch {
  /** The whole parameter list, deep-equal. */
  params?: unknown[];
  /**
   * Position → value (deep-equal), `{ $regex }` for a string parameter, or
   * `{ $text }` for a string or number of that text.
   */
  paramsAt?: Record<string, unknown>;
  /** Fields of the caller's address. */
  from?: Partial<BusAddress>;
}

/**
 * A flow stub: on the IPSC `ipsc` (default: the bus's first), calls of
 * `project`/`flow` that `match` get `reply`, or the n-th such call gets
 * `replies[n]` (the last one repeats; `cycle` starts over instead). When
 * several stubs take a call, the lowest `priority` wins (default 5), then
 * the newest. Calls no stub takes go to the flow registered on the IPSC,
 * if any.
 *
 * @example
 * ```ts
 * import type { StubSpec } from "@smartbus/netclient/mock";
 * const fixed: StubSpec = { project: "ivr", flow: "hello", reply: { result: ["hi"] } };
 * ```
 */
export interface StubSpec {
  /** Your name for it (default: one is given); `PUT /stubs/{id}` and `replace` use it. */
  id?: string;
  /** The IPSC (default: the bus's first). */
  ipsc?: { unitId: number; processIndex: number };
  /** Project id. */
  project: string;
  /** Flow name. */
  flow: string;
  /** Which calls it takes (default: all). */
  match?: StubMatch;
  /** The answer to every call it takes. */
  reply?: StubReply;
  /** Answers in turn: the n-th call gets `replies[n]`. */
  replies?: StubReply[];
  /** After the last reply start over (default: repeat the last). */
  cycle?: boolean;
  /** Lower wins (default 5), then the newest. */
  priority?: number;
}

/**
 * A stub as listed: its spec (with its id and IPSC filled in) and how many
 * calls it took.
 *
 * @example
 * ```ts
 * import type { StubInfo } from "@smartbus/netclient/mock";
 * const used = (s: StubInfo): boolean => s.calls > 0;
 * ```
 */
export interface StubInfo extends StubSpec {
  /** Given or assigned. */
  id: string;
  /** The IPSC it answers for. */
  ipsc: { unitId: number; processIndex: number };
  /** Calls taken since added (or since the last reset). */
  calls: number;
}

/**
 * A stub that cannot be used, with what is wrong (`InvalidStubError`,
 * HTTP 400 `invalid_stub`).
 *
 * @example
 * ```ts
 * import { FlowStubs, InvalidStubError, MockBus } from "@smartbus/netclient/mock";
 * const bus = new MockBus();
 * bus.addNode({ unitId: 0, port: 8000 });
 * bus.addIpsc({ unitId: 0, processIndex: 0 });
 * try {
 *   new FlowStubs(bus).add({ project: "p", flow: "f" });
 * } catch (e) {
 *   console.log(e instanceof InvalidStubError); // true: no reply
 * }
 * ```
 */
export class InvalidStubError extends Error {
  /** `"InvalidStubError"`. */
  override name = "InvalidStubError";
}

const bad: (what: string) => never = refuseWith((what) =>
  new InvalidStubError(`stub: ${what}`)
);

const REPLY_KINDS = ["result", "error", "notStarted", "noAnswer", "noAck"];

function checkReply(v: unknown, where: string): StubReply {
  if (!isObject(v)) return bad(`${where} must be an object`);
  const kinds = REPLY_KINDS.filter((k) => k in v);
  if (kinds.length !== 1) {
    bad(`${where} needs exactly one of ${REPLY_KINDS.join(", ")}`);
  }
  const known = new Set([...kinds, "delayMs", "message"]);
  for (const k of Object.keys(v)) {
    if (!known.has(k)) bad(`${where}: unknown field ${JSON.stringify(k)}`);
  }
  const delay = v.delayMs;
  if (delay !== undefined) {
    if (kinds[0] !== "result" && kinds[0] !== "error") {
      bad(`${where}: delayMs applies to result and error only`);
    }
    checkInt(delay, `${where}.delayMs`, 0, 3_600_000, bad);
  }
  if (v.message !== undefined && kinds[0] !== "notStarted") {
    bad(`${where}: message applies to notStarted only`);
  }
  switch (kinds[0]) {
    case "result":
      if (!Array.isArray(v.result)) bad(`${where}.result must be a list`);
      break;
    case "error":
      checkInt(v.error, `${where}.error`, -(2 ** 31), 0, bad);
      break;
    case "notStarted":
      if (v.notStarted === 1) bad(`${where}.notStarted must not be 1 (ok)`);
      checkInt(
        v.notStarted,
        `${where}.notStarted`,
        -(2 ** 31),
        2 ** 31 - 1,
        bad,
      );
      if (v.message !== undefined && typeof v.message !== "string") {
        bad(`${where}.message must be a string`);
      }
      break;
    default:
      if (v[kinds[0]] !== true) bad(`${where}.${kinds[0]} must be true`);
  }
  return structuredClone(v) as StubReply;
}

function checkMatch(v: unknown): StubMatch {
  if (!isObject(v)) return bad("match must be an object");
  for (const k of Object.keys(v)) {
    if (!["params", "paramsAt", "from"].includes(k)) {
      bad(`match: unknown field ${JSON.stringify(k)}`);
    }
  }
  if (v.params !== undefined && !Array.isArray(v.params)) {
    bad("match.params must be a list");
  }
  if (v.paramsAt !== undefined) {
    if (!isObject(v.paramsAt)) bad("match.paramsAt must be an object");
    for (const k of Object.keys(v.paramsAt as object)) {
      if (!/^\d+$/.test(k)) bad(`match.paramsAt: ${k} is not a position`);
    }
    paramRegexes(v.paramsAt as Record<string, unknown>);
  }
  if (v.from !== undefined) {
    if (!isObject(v.from)) bad("match.from must be an object");
    for (const [k, n] of Object.entries(v.from as object)) {
      if (!["unitId", "clientId", "clientType"].includes(k)) {
        bad(`match.from: unknown field ${JSON.stringify(k)}`);
      }
      checkInt(n, `match.from.${k}`, -1, 255, bad);
    }
  }
  return structuredClone(v) as StubMatch;
}

/**
 * The `{ "$text": "..." }` of each position of `paramsAt`: it matches a
 * string parameter of that text or a number whose text it is (`"10086"`
 * takes both `"10086"` and `10086`), for callers that send either.
 *
 * @example
 * ```ts
 * import { paramTexts } from "./stub_spec.ts";
 * console.log(paramTexts({ 0: { $text: "10086" } }).get(0)); // "10086"
 * ```
 */
export function paramTexts(
  paramsAt: Record<string, unknown> | undefined,
): Map<number, string> {
  const out = new Map<number, string>();
  for (const [k, want] of Object.entries(paramsAt ?? {})) {
    if (isObject(want) && typeof want.$text === "string") {
      out.set(Number(k), want.$text);
    }
  }
  return out;
}

/**
 * The compiled `{ "$regex": "..." }` of each position of `paramsAt` (other
 * positions compare by value); throws {@link InvalidStubError} on a pattern
 * that is not a string, an operator object with other fields, or a pattern
 * the linear matcher refuses (see `stub_regex.ts`).
 *
 * @example
 * ```ts
 * import { paramRegexes } from "./stub_spec.ts";
 * const res = paramRegexes({ 0: { $regex: "^100" }, 1: { exact: "value" } });
 * console.log([...res.keys()], res.get(0)?.test("10086")); // [0] true
 * ```
 */
export function paramRegexes(
  paramsAt: Record<string, unknown> | undefined,
): Map<number, StubRegex> {
  const out = new Map<number, StubRegex>();
  for (const [k, want] of Object.entries(paramsAt ?? {})) {
    if (!isObject(want)) continue;
    const where = `match.paramsAt.${k}`;
    // `$` keys are operators: a typo must not become a value never equal.
    if (!Object.keys(want).some((f) => f.startsWith("$"))) continue;
    const ops = Object.keys(want);
    if (ops.length === 1 && ops[0] === "$text") {
      if (typeof want.$text !== "string") {
        bad(
          `${where}.$text must be a string (a number's or a string's text), got ${
            JSON.stringify(want.$text)
          }`,
        );
      }
      continue;
    }
    for (const f of ops) {
      if (f !== "$regex") {
        bad(
          `${where}: ${JSON.stringify(f)} ${
            f.startsWith("$")
              ? "is not an operator (only $regex and $text)"
              : "next to $regex"
          }; { "$regex": "pattern" } and { "$text": "10086" } take no other field`,
        );
      }
    }
    const pattern = want.$regex;
    if (typeof pattern !== "string") {
      bad(
        `${where}.$regex must be a string (a pattern), got ${
          JSON.stringify(pattern)
        }`,
      );
    }
    try {
      out.set(Number(k), compileStubRegex(pattern as string));
    } catch (e) {
      bad(`${where}.$regex: ${(e as Error).message}`);
    }
  }
  return out;
}

const SPEC_FIELDS = new Set([
  "id",
  "ipsc",
  "project",
  "flow",
  "match",
  "reply",
  "replies",
  "cycle",
  "priority",
  // listed stubs can be sent back as they are
  "calls",
]);

/**
 * Check `v` as a {@link StubSpec} and return a copy without `calls`;
 * throws {@link InvalidStubError} saying what is wrong.
 *
 * @example
 * ```ts
 * import { checkStubSpec } from "./stub_spec.ts";
 * const spec = checkStubSpec({ project: "p", flow: "f", reply: { error: -3 }, calls: 2 });
 * console.log("calls" in spec); // false
 * checkStubSpec({ project: "p", flow: "" }); // throws InvalidStubError: flow must be a non-empty string
 * ```
 */
export function checkStubSpec(v: unknown): StubSpec {
  if (!isObject(v)) return bad("a stub must be a JSON object");
  for (const k of Object.keys(v)) {
    if (!SPEC_FIELDS.has(k)) bad(`unknown field ${JSON.stringify(k)}`);
  }
  for (const k of ["project", "flow"] as const) {
    if (typeof v[k] !== "string" || v[k] === "") {
      bad(`${k} must be a non-empty string`);
    }
  }
  if (
    v.id !== undefined &&
    (typeof v.id !== "string" || !/^[\w.-]{1,64}$/.test(v.id))
  ) {
    bad("id must be 1–64 letters, digits, '_', '.' or '-'");
  }
  const spec: StubSpec = {
    project: v.project as string,
    flow: v.flow as string,
  };
  if (v.id !== undefined) spec.id = v.id as string;
  if (v.ipsc !== undefined) {
    if (!isObject(v.ipsc)) bad("ipsc must be { unitId, processIndex }");
    const i = v.ipsc as Record<string, unknown>;
    spec.ipsc = {
      unitId: checkInt(i.unitId, "ipsc.unitId", 0, 255, bad),
      processIndex: checkInt(i.processIndex, "ipsc.processIndex", 0, 255, bad),
    };
  }
  if ((v.reply === undefined) === (v.replies === undefined)) {
    bad("give either reply or replies");
  }
  if (v.reply !== undefined) spec.reply = checkReply(v.reply, "reply");
  if (v.replies !== undefined) {
    if (!Array.isArray(v.replies) || v.replies.length === 0) {
      bad("replies must be a non-empty list");
    }
    spec.replies = (v.replies as unknown[]).map((r, i) =>
      checkReply(r, `replies[${i}]`)
    );
  }
  if (v.match !== undefined) spec.match = checkMatch(v.match);
  if (v.cycle !== undefined) {
    if (typeof v.cycle !== "boolean") bad("cycle must be true or false");
    spec.cycle = v.cycle as boolean;
  }
  if (v.priority !== undefined) {
    spec.priority = checkInt(v.priority, "priority", 0, 1000, bad);
  }
  return spec;
}
