/**
 * The API's argument guards: every check that refuses bad input with a
 * typed error before anything reaches a backend. Pure functions.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidArgumentError } from "../src/abi/errors.ts";
import {
  assertByte,
  assertBytesOrString,
  assertClientType,
  assertInteger,
  assertLocalClientId,
  assertNodeOrUnitId,
  assertPort,
  assertString,
  assertTimeoutMs,
  assertTimeoutSeconds,
  assertUnitId,
  MAX_TIMEOUT_MS,
  showValue,
} from "../src/api/validate.ts";

function assertRefused(
  fn: () => unknown,
  argument: string,
  re?: RegExp,
): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.equal(e.argument, argument);
    assert.equal(e.code, -1);
    if (re) assert.match(e.message, re);
    return true;
  });
}

/** Every integer guard: [name, call, argument name, min, max]. */
const RANGES: [string, (v: unknown) => number, string, number, number][] = [
  ["assertUnitId", (v) => assertUnitId(v), "unitId", 16, 47],
  ["assertUnitId named", (v) => assertUnitId(v, "unitid"), "unitid", 16, 47],
  [
    "assertNodeOrUnitId",
    (v) => assertNodeOrUnitId(v, "server"),
    "server",
    0,
    255,
  ],
  [
    "assertLocalClientId",
    (v) => assertLocalClientId(v),
    "localClientId",
    0,
    255,
  ],
  [
    "assertClientType",
    (v) => assertClientType(v, "dstClientType"),
    "dstClientType",
    0,
    255,
  ],
  ["assertPort", (v) => assertPort("masterPort", v), "masterPort", 0, 65535],
  ["assertByte", (v) => assertByte("cmd", v), "cmd", 0, 255],
  ["assertInteger", (v) => assertInteger("n", v, -5, 5), "n", -5, 5],
];

/** Values that are never integers. */
const NOT_INTEGERS: unknown[] = [
  NaN,
  Infinity,
  -Infinity,
  0.5,
  16.0001,
  "17",
  "",
  null,
  undefined,
  17n,
  true,
  [17],
  { valueOf: () => 17 },
  new Number(17),
];

describe("validate", () => {
  test("validate - every integer in range passes, unchanged", () => {
    for (const [name, fn, , min, max] of RANGES) {
      fc.assert(
        fc.property(fc.integer({ min, max }), (v) => fn(v) === v),
        { numRuns: 200 },
      );
      assert.equal(fn(min), min, name);
      assert.equal(fn(max), max, name);
    }
  });

  test("validate - integers outside the range fail with the argument named", () => {
    for (const [name, fn, arg, min, max] of RANGES) {
      fc.assert(
        fc.property(
          fc.oneof(
            fc.integer({ max: min - 1 }),
            fc.integer({ min: max + 1 }),
          ),
          (v) => assertRefused(() => fn(v), arg, new RegExp(`got ${v}`)),
        ),
        { numRuns: 100 },
      );
      assertRefused(
        () => fn(min - 1),
        arg,
        new RegExp(`from ${min} to ${max}`),
      );
      assertRefused(() => fn(max + 1), arg);
      assert.ok(name);
    }
  });

  test("validate - non-integers and non-numbers fail", () => {
    for (const [, fn, arg] of RANGES) {
      for (const v of NOT_INTEGERS) assertRefused(() => fn(v), arg);
      fc.assert(
        fc.property(
          fc.double({ noInteger: true }),
          (v) => assertRefused(() => fn(v), arg),
        ),
        { numRuns: 50 },
      );
    }
  });

  test("validate - messages show the bad value unambiguously", () => {
    assertRefused(() => assertUnitId("17"), "unitId", /got "17"$/);
    assertRefused(() => assertUnitId(3), "unitId", /16 to 47, got 3$/);
    assertRefused(() => assertUnitId(undefined), "unitId", /got undefined$/);
    assertRefused(() => assertUnitId(17n), "unitId", /got 17n$/);
    assert.equal(showValue(null), "null");
    assert.equal(showValue([1, 2]), "an array of length 2");
    assert.equal(showValue(new Map()), "an object ([object Map])");
    assert.equal(showValue(() => 1), "a function");
    assert.equal(showValue(Symbol("q")), "Symbol(q)");
    assert.ok(showValue("x".repeat(500)).length <= 61);
  });

  test("validate - timeouts in seconds become whole milliseconds, rounded up", () => {
    const cases: [number, number][] = [
      [30, 30000],
      [1.1, 1100],
      [0.001, 1],
      [0.0001, 1],
      [0.0015, 2],
      [2.0000001, 2001],
      [(2 ** 31 - 1) / 1000, MAX_TIMEOUT_MS],
    ];
    for (const [s, ms] of cases) {
      assert.equal(assertTimeoutSeconds("timeout", s), ms, String(s));
    }
    for (const bad of [0, -1, NaN, Infinity, 2 ** 31 / 1000, "30", null]) {
      assertRefused(
        () => assertTimeoutSeconds("timeout", bad),
        "timeout",
        /positive number of seconds/,
      );
    }
  });

  test("validate - timeouts in milliseconds are rounded up", () => {
    const cases: [number, number][] = [[1, 1], [0.5, 1], [1500, 1500], [
      1500.2,
      1501,
    ], [MAX_TIMEOUT_MS, MAX_TIMEOUT_MS]];
    for (const [v, ms] of cases) {
      assert.equal(assertTimeoutMs("timeoutMs", v), ms);
    }
    for (const bad of [0, -0.5, NaN, -Infinity, 2 ** 31, "1", undefined]) {
      assertRefused(
        () => assertTimeoutMs("timeoutMs", bad),
        "timeoutMs",
        /positive number of milliseconds/,
      );
    }
    fc.assert(
      fc.property(
        fc.double({ min: 1e-9, max: 2 ** 31 - 2, noNaN: true }),
        (v) => {
          const ms = assertTimeoutMs("t", v);
          return Number.isInteger(ms) && ms >= 1 && ms >= v - 1e-6 &&
            ms < v + 1;
        },
      ),
    );
  });

  test("validate - assertString, plain and nullable", () => {
    assert.equal(assertString("project", "p"), "p");
    assert.equal(assertString("project", ""), "");
    assert.equal(assertString("h", null, { nullable: true }), null);
    assert.equal(assertString("h", undefined, { nullable: true }), null);
    assert.equal(assertString("h", "x", { nullable: true }), "x");
    for (const bad of [null, undefined, 1, new String("s"), ["s"]]) {
      assertRefused(() => assertString("project", bad), "project", /a string,/);
    }
    assertRefused(
      () => assertString("h", 5, { nullable: true }),
      "h",
      /a string or null, got 5/,
    );
  });

  test("validate - assertBytesOrString accepts strings and byte views", () => {
    assert.equal(assertBytesOrString("data", "txt"), "txt");
    const u8 = Uint8Array.of(1, 2);
    assert.equal(assertBytesOrString("data", u8), u8, "same Uint8Array");
    const buf = new ArrayBuffer(8);
    const view = assertBytesOrString("data", new DataView(buf, 2, 4));
    assert.ok(view instanceof Uint8Array);
    assert.equal(view.buffer, buf);
    assert.equal(view.byteOffset, 2);
    assert.equal(view.byteLength, 4);
    const u16 = assertBytesOrString("data", Uint16Array.of(1, 2));
    assert.ok(u16 instanceof Uint8Array && u16.byteLength === 4);
    for (const bad of [1, null, undefined, [1, 2], new ArrayBuffer(2), {}]) {
      assertRefused(
        () => assertBytesOrString("data", bad),
        "data",
        /a string or a Uint8Array/,
      );
    }
  });
});
