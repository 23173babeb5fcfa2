/**
 * The text codecs (UTF-8 and GBK) and C strings the API sends. Pure
 * functions, no backend.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { InvalidArgumentError } from "../src/abi/errors.ts";
import {
  buildGbkEncodeTable,
  decodeGbkOrUtf8,
  decodeText,
  encodeGbk,
  encodeText,
  gbkEncodeTable,
  normalizeEncoding,
  stripNuls,
} from "../src/api/text.ts";
import { cString } from "../src/api/c_string.ts";

const hex = (b: Uint8Array): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
const bytes = (h: string): Uint8Array =>
  Uint8Array.from(h.split(" ").filter(Boolean), (x) => parseInt(x, 16));
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function assertRefused(fn: () => unknown, argument: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof InvalidArgumentError, String(e));
    assert.equal(e.argument, argument);
    assert.match(e.message, re);
    return true;
  });
}

/** Every BMP character the GBK table can encode (built once for properties). */
const gbkChars: string[] = (() => {
  const table = gbkEncodeTable();
  const out: string[] = [];
  for (let c = 0; c < 0x80; c++) out.push(String.fromCharCode(c));
  for (let c = 0x80; c < 0x10000; c++) {
    if (table[c] !== 0) out.push(String.fromCharCode(c));
  }
  return out;
})();

describe("text", () => {
  test("text - normalizeEncoding accepts aliases case-insensitively", () => {
    const cases: [string, string][] = [
      ["utf-8", "utf-8"],
      ["UTF8", "utf-8"],
      [" Utf-8 ", "utf-8"],
      ["gbk", "gbk"],
      ["GBK", "gbk"],
      ["cp936", "gbk"],
      ["GB2312", "gbk"],
      ["windows-936", "gbk"],
    ];
    for (const [name, want] of cases) {
      assert.equal(normalizeEncoding(name), want, name);
    }
  });

  test("text - normalizeEncoding refuses gb18030 and unknown names", () => {
    for (const name of ["gb18030", "latin1", "", "utf-16", "big5"]) {
      assertRefused(() => normalizeEncoding(name), "encoding", /unsupported/);
    }
    assertRefused(
      () => normalizeEncoding(42 as unknown as string),
      "encoding",
      /42/,
    );
  });

  test("text - GBK encodes Chinese text to the cp936 bytes", () => {
    assert.equal(
      hex(encodeText("你好，世界", "gbk")),
      "c4 e3 ba c3 a3 ac ca c0 bd e7",
    );
    assert.equal(hex(encodeText("A中b", "gbk")), "41 d6 d0 62");
    assert.equal(hex(encodeText("€", "gbk")), "80");
    assert.equal(hex(encodeText("", "gbk")), "");
  });

  test("text - GBK decodes cp936 bytes", () => {
    assert.equal(
      decodeText(bytes("c4 e3 ba c3 a3 ac ca c0 bd e7"), "gbk"),
      "你好，世界",
    );
    assert.equal(decodeText(bytes("80"), "gbk"), "€");
  });

  test("text - every GBK-encodable string round-trips", () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...gbkChars), { maxLength: 40 }).map((a) =>
          a.join("")
        ),
        (s) => {
          assert.equal(decodeText(encodeText(s, "gbk"), "gbk"), s);
          assert.equal(decodeGbkOrUtf8(encodeText(s, "gbk")), s);
        },
      ),
      { numRuns: 500 },
    );
  });

  test("text - the GBK table maps each character to one decodable code", () => {
    const table = gbkEncodeTable();
    const dec = new TextDecoder("gbk");
    let mapped = 0;
    for (let c = 0x80; c < 0x10000; c++) {
      const g = table[c];
      if (g === 0) continue;
      mapped++;
      const b = g < 0x100 ? Uint8Array.of(g) : Uint8Array.of(g >> 8, g & 0xff);
      assert.equal(dec.decode(b), String.fromCharCode(c));
    }
    // 126 × 190 double-byte codes + €, a few characters having two codes.
    assert.ok(mapped > 21000 && mapped <= 23941, String(mapped));
  });

  test("text - the GBK table builds quickly and matches the cached one", () => {
    const t0 = performance.now();
    const fresh = buildGbkEncodeTable();
    const ms = performance.now() - t0;
    // About 5 ms here; the bound only catches an accidental slow path.
    assert.ok(ms < 250, `GBK table build took ${ms.toFixed(1)} ms`);
    assert.deepEqual(fresh, gbkEncodeTable());
  });

  test("text - GBK refuses emoji, lone surrogates and other scripts", () => {
    assertRefused(
      () => encodeText("ok😀", "gbk", "data"),
      "data",
      /cannot be encoded as GBK: "😀" U\+1F600 at index 2/,
    );
    assertRefused(
      () => encodeText("a\ud800b", "gbk"),
      "text",
      /lone surrogate U\+D800 at index 1/,
    );
    assertRefused(
      () => encodeText("한국어", "gbk", "title"),
      "title",
      /U\+D55C at index 0/,
    );
  });

  test("text - UTF-8 encodes and decodes, refusing lone surrogates", () => {
    assert.equal(hex(encodeText("é😀", "utf-8")), "c3 a9 f0 9f 98 80");
    assert.equal(decodeText(bytes("c3 a9 f0 9f 98 80"), "utf-8"), "é😀");
    assertRefused(
      () => encodeText("x\udc00", "utf-8", "data"),
      "data",
      /cannot be encoded as UTF-8: lone surrogate U\+DC00 at index 1/,
    );
    assertRefused(() => encodeText("\ud83d", "utf-8"), "text", /index 0/);
  });

  test("text - json-escape mode writes unencodable characters as \\u escapes", () => {
    const out = encodeGbk('["中😀"]', "parameters", "json-escape");
    assert.equal(
      new TextDecoder("gbk").decode(out),
      '["中\\ud83d\\ude00"]',
    );
    assert.deepEqual(JSON.parse(new TextDecoder("gbk").decode(out)), [
      "中😀",
    ]);
    // Many escapes in a row grow the buffer correctly.
    const many = "😀".repeat(1000);
    const esc = encodeGbk(many, "p", "json-escape");
    assert.equal(esc.length, 12000);
    assert.equal(JSON.parse(`"${new TextDecoder().decode(esc)}"`), many);
  });

  test("text - decodeGbkOrUtf8 reads GBK Chinese as GBK", () => {
    for (const s of ["你好，世界", "流程不存在", "中文", "联通", "A中b"]) {
      assert.equal(decodeGbkOrUtf8(encodeText(s, "gbk")), s, s);
    }
  });

  test("text - decodeGbkOrUtf8 falls back to UTF-8 when bytes are not GBK", () => {
    // Each UTF-8 encoding here is malformed as GBK (a GBK lead byte ends up
    // before a space, "!", "0" or the end), so UTF-8 wins.
    for (const s of ["世 ok", "你!", "中文。", "数据库", "流程不 7", "呼0"]) {
      const b = utf8(s);
      assert.throws(() => new TextDecoder("gbk", { fatal: true }).decode(b));
      assert.equal(decodeGbkOrUtf8(b), s, s);
    }
  });

  test("text - decodeGbkOrUtf8 prefers GBK when UTF-8 bytes are also valid GBK", () => {
    // The documented cost of trusting GBK first: these UTF-8 strings are
    // well-formed GBK and read as the classic mojibake.
    assert.equal(decodeGbkOrUtf8(utf8("你好")), "浣犲ソ");
    assert.equal(decodeGbkOrUtf8(utf8("é")), "茅");
  });

  test("text - decodeGbkOrUtf8 keeps GBK text that is also valid UTF-8 as GBK", () => {
    // c4 a1 is GBK "摹" and also UTF-8 "ġ": the IPSC's GBK wins.
    assert.equal(decodeGbkOrUtf8(bytes("c4 a1")), "摹");
  });

  test("text - decodeGbkOrUtf8 of neither encoding degrades to GBK with U+FFFD", () => {
    const s = decodeGbkOrUtf8(bytes("41 ff 42"));
    assert.ok(s.startsWith("A") && s.endsWith("B") && s.includes("\ufffd"));
    assert.equal(decodeGbkOrUtf8(new Uint8Array(0)), "");
    assert.equal(decodeGbkOrUtf8(utf8("plain ascii")), "plain ascii");
  });

  test("text - cString appends one NUL and refuses embedded NUL", () => {
    assert.equal(hex(cString("ab", "utf-8", "project")), "61 62 00");
    assert.equal(hex(cString("中", "gbk", "project")), "d6 d0 00");
    assert.equal(hex(cString("中", "utf-8", "project")), "e4 b8 ad 00");
    assert.equal(hex(cString("", "gbk", "project")), "00");
    assertRefused(
      () => cString("a\0b", "utf-8", "flow"),
      "flow",
      /contains a NUL character/,
    );
    assertRefused(() => cString("😀", "gbk", "title"), "title", /GBK/);
  });

  test("text - stripNuls removes NULs at both ends only", () => {
    const cases: [string, string][] = [
      ["00 41 00 42 00 00", "41 00 42"],
      ["41 42", "41 42"],
      ["00 00", ""],
      ["", ""],
      ["00 41", "41"],
    ];
    for (const [input, want] of cases) {
      assert.equal(hex(stripNuls(bytes(input))), want, input);
    }
    const src = bytes("00 41 00");
    assert.equal(stripNuls(src).buffer, src.buffer, "a view, not a copy");
  });
});
