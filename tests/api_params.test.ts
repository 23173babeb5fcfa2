/**
 * Flow parameters and results: the JSON arrays sent to and from the IPSC as
 * GBK text, their limits and their errors. Pure functions, no backend.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ErrorCode, MAX_FLOW_PARAMS_BYTES } from "../src/abi/constants.ts";
import { InvalidArgumentError, SmartBusError } from "../src/abi/errors.ts";
import {
  MAX_FLOW_PARAMS_DEPTH,
  normalizeFlowParams,
  parseFlowResult,
  serializeFlowParams,
} from "../src/api/params.ts";
import { encodeText } from "../src/api/text.ts";

const gbk = new TextDecoder("gbk");
/** The JSON text of serialized parameters, checking the trailing NUL. */
function jsonOf(bytes: Uint8Array): string {
  assert.equal(bytes[bytes.length - 1], 0, "ends with NUL");
  assert.ok(!bytes.subarray(0, -1).includes(0), "no inner NUL");
  return gbk.decode(bytes.subarray(0, -1));
}

function assertRefused(parameters: unknown, re: RegExp): void {
  assert.throws(() => serializeFlowParams(parameters), (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.equal(e.argument, "parameters");
    assert.match(e.message, re);
    return true;
  });
}

describe("params", () => {
  test("params - normalizeFlowParams table", () => {
    const obj = { a: 1 };
    const arr = [1, 2];
    const cases: [unknown, unknown[]][] = [
      [undefined, []],
      [null, []],
      [arr, arr],
      [[], []],
      [0, [0]],
      ["", [""]],
      [false, [false]],
      ["text", ["text"]],
      [obj, [obj]],
      [[null], [null]],
    ];
    for (const [input, want] of cases) {
      assert.deepEqual(normalizeFlowParams(input), want, String(input));
    }
    assert.equal(normalizeFlowParams(arr), arr, "an array is kept as is");
  });

  test("params - serializes normalised parameters as GBK JSON with a NUL", () => {
    const cases: [unknown, string][] = [
      [undefined, "[]"],
      [null, "[]"],
      [[], "[]"],
      [5, "[5]"],
      ["张三", '["张三"]'],
      [{ b: [true, null], a: -0 }, '[{"b":[true,null],"a":0}]'],
      [[1.5, "x", { "k y": {} }], '[1.5,"x",{"k y":{}}]'],
      [[Object.create(null)], "[{}]"],
      ['a\0b\n"', '["a\\u0000b\\n\\""]'],
    ];
    for (const [input, want] of cases) {
      assert.equal(jsonOf(serializeFlowParams(input)), want);
    }
    assert.deepEqual(
      Array.from(serializeFlowParams("你好").subarray(2, 6)),
      Array.from(encodeText("你好", "gbk")),
      "strings are GBK bytes",
    );
  });

  test("params - characters GBK cannot carry are written as JSON escapes", () => {
    const text = jsonOf(serializeFlowParams(["中😀", { "키": "é" }]));
    assert.equal(text, '["中\\ud83d\\ude00",{"\\ud0a4":"é"}]');
    assert.deepEqual(JSON.parse(text), ["中😀", { "키": "é" }]);
    // A lone surrogate is escaped by JSON itself and survives.
    assert.deepEqual(JSON.parse(jsonOf(serializeFlowParams("\ud800"))), [
      "\ud800",
    ]);
  });

  test("params - any JSON value round-trips through serialize and parse", () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 })), (value) => {
        // JSON itself turns -0 into 0; compare with what JSON would keep.
        const expected = JSON.parse(JSON.stringify(value));
        assert.deepEqual(parseFlowResult(serializeFlowParams(value)), expected);
      }),
      { numRuns: 300 },
    );
  });

  test("params - every refused kind names the path and the reason", () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    const cyclicArr: unknown[] = [];
    cyclicArr.push(cyclicArr);
    class Point {
      x = 1;
    }
    // deno-lint-ignore no-sparse-arrays
    const sparse = [1, , 3];
    const cases: [unknown, RegExp][] = [
      [[undefined], /parameters\[0\] is undefined/],
      [{ a: undefined }, /parameters\.a is undefined/],
      [
        [{ "x y": [1, undefined] }],
        /parameters\[0\]\["x y"\]\[1\] is undefined/,
      ],
      [sparse, /parameters\[1\] is a hole/],
      [[NaN], /parameters\[0\] is NaN/],
      [{ v: Infinity }, /parameters\.v is Infinity/],
      [[-Infinity], /is -Infinity/],
      [10n, /parameters is a BigInt \(10n\)/],
      [[{ n: 1n }], /parameters\[0\]\.n is a BigInt/],
      [() => 1, /parameters is a function/],
      [{ toJSON: () => "x" }, /parameters\.toJSON is a function/],
      [[Symbol("s")], /parameters\[0\] is a symbol/],
      [cyclic, /parameters\.self is a circular reference/],
      [cyclicArr, /parameters\[0\] is a circular reference/],
      [[new Date(0)], /parameters\[0\] is a Date; pass date\.toISOString/],
      [new Map(), /parameters is \[object Map\], not a plain object/],
      [[new Set([1])], /\[object Set\]/],
      [{ p: new Point() }, /parameters\.p is \[object Object\].*\(Point\)/],
      [[new Uint8Array(2)], /\[object Uint8Array\]/],
      [[new String("s")], /\[object String\]/],
    ];
    for (const [input, re] of cases) assertRefused(input, re);
  });

  test("params - the same object twice (not a cycle) is fine", () => {
    const shared = { a: 1 };
    assert.equal(
      jsonOf(serializeFlowParams([shared, [shared]])),
      '[{"a":1},[{"a":1}]]',
    );
  });

  test("params - nesting deeper than the limit is refused, at the limit accepted", () => {
    const nest = (depth: number): unknown => {
      let v: unknown = 0;
      for (let i = 0; i < depth; i++) v = [v];
      return v;
    };
    // The outer list counts as one level.
    assert.doesNotThrow(() => serializeFlowParams(nest(MAX_FLOW_PARAMS_DEPTH)));
    assertRefused(nest(MAX_FLOW_PARAMS_DEPTH + 1), /nested more than 256/);
  });

  test("params - 16,001 bytes of JSON exactly is accepted (the vendor library's limit), one byte more refused", () => {
    assert.equal(MAX_FLOW_PARAMS_BYTES, 16001);
    // ["xxx…"] is the string length + 4 bytes.
    const ok = serializeFlowParams("x".repeat(16001 - 4));
    assert.equal(ok.length, 16001 + 1, "plus the NUL");
    assertRefused("x".repeat(16001 - 3), /at least 16002 bytes/);
    // With two-byte GBK characters the exact size is reported.
    const zh = serializeFlowParams("中".repeat((16000 - 4) / 2));
    assert.equal(zh.length, 16001);
    assertRefused("中".repeat((16002 - 4) / 2), /encode to 16002 bytes/);
    // Escapes count as the six bytes they take: 4 + 2667 × 6 = 16006.
    assertRefused("😀".repeat(1333) + "\u0e01", /16006 bytes/);
    assert.equal(serializeFlowParams("\u0e01".repeat(2666)).length, 16001);
  });

  test("params - parseFlowResult table", () => {
    const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
    const cases: [Uint8Array, unknown][] = [
      [new Uint8Array(0), null],
      [utf8("\0\0"), null],
      [utf8("  \n\0"), null],
      [utf8('[1,"a"]\0'), [1, "a"]],
      [utf8("\0[]\0"), []],
      [utf8('{"k":2}'), [{ k: 2 }]],
      [utf8("7"), [7]],
      [utf8("null"), [null]],
      [encodeText('["流程结果",{"名字":"张三"}]', "gbk"), ["流程结果", {
        名字: "张三",
      }]],
      [utf8('["数据库"]'), ["数据库"]],
    ];
    for (const [input, want] of cases) {
      assert.deepEqual(parseFlowResult(input), want);
    }
  });

  test("params - parseFlowResult refuses text that is not JSON", () => {
    const bytes = encodeText("['单引号']", "gbk");
    assert.throws(() => parseFlowResult(bytes), (e: unknown) => {
      assert.ok(e instanceof SmartBusError);
      assert.equal(e.code, ErrorCode.OTHER);
      assert.match(e.message, /not valid JSON: "\['单引号'\]"/);
      assert.ok(e.cause instanceof SyntaxError);
      return true;
    });
    assert.throws(
      () => parseFlowResult(new TextEncoder().encode("x".repeat(1000))),
      (e: unknown) => e instanceof SmartBusError && e.message.length < 300,
    );
  });
});
