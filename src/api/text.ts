/**
 * Text codecs: UTF-8 and GBK (cp936), the two encodings peers on a SmartBus
 * use. GBK decoding uses the runtime's `TextDecoder("gbk")`; GBK encoding has
 * no built-in, so the Unicode → GBK table is derived once, lazily, from that
 * same decoder (no vendored table file, and the two directions always agree).
 *
 * @example
 * ```ts
 * import { decodeText, encodeText } from "@smartbus/netclient/internal";
 * const bytes = encodeText("你好", "gbk"); // c4 e3 ba c3
 * console.log(decodeText(bytes, "gbk")); // 你好
 * ```
 * @module
 */
import { InvalidArgumentError } from "../abi/errors.ts";

/**
 * The text encodings the client supports (`ClientOptions.encoding` also
 * takes aliases such as `"utf8"` and `"cp936"`).
 *
 * @example
 * ```ts
 * import { Client, type TextEncodingName } from "@smartbus/netclient";
 * const encodingOf = (c: Client): TextEncodingName => c.encoding;
 * ```
 */
export type TextEncodingName = "utf-8" | "gbk";

const ENCODING_ALIASES: ReadonlyMap<string, TextEncodingName> = new Map([
  ["utf-8", "utf-8"],
  ["utf8", "utf-8"],
  ["gbk", "gbk"],
  ["cp936", "gbk"],
  ["gb2312", "gbk"],
  ["windows-936", "gbk"],
]);

/**
 * The canonical name of an encoding alias (case-insensitive): `utf8`/`utf-8`
 * → `"utf-8"`; `gbk`/`cp936`/`gb2312`/`windows-936` → `"gbk"` (GB2312 is a
 * subset of GBK). GB18030 is refused: it is a different (larger) encoding.
 *
 * @example
 * ```ts
 * import { normalizeEncoding } from "@smartbus/netclient/internal";
 * console.log(normalizeEncoding("CP936")); // "gbk"
 * ```
 */
export function normalizeEncoding(name: string): TextEncodingName {
  const found = typeof name === "string"
    ? ENCODING_ALIASES.get(name.trim().toLowerCase())
    : undefined;
  if (found === undefined) {
    throw new InvalidArgumentError(
      "encoding",
      `unsupported encoding ${
        typeof name === "string" ? JSON.stringify(name) : String(name)
      }; use "utf-8" or "gbk" (aliases: utf8, cp936, gb2312)`,
    );
  }
  return found;
}

const utf8Encoder = new TextEncoder();
const decoders = new Map<string, TextDecoder>();

/** One cached decoder per (label, fatal): creating decoders is not free. */
function decoder(label: string, fatal: boolean): TextDecoder {
  const key = fatal ? label + "!" : label;
  let d = decoders.get(key);
  if (d === undefined) {
    d = new TextDecoder(label, { fatal });
    decoders.set(key, d);
  }
  return d;
}

/** Unicode code unit → GBK code (`lead << 8 | trail`, or a single byte < 0x100); 0 = none. */
let gbkTable: Uint16Array | undefined;

/**
 * Builds a fresh Unicode → GBK table (what {@link gbkEncodeTable} caches):
 * entry = `lead << 8 | trail`, or the single byte for 0x80 (€), 0 = not
 * encodable; ASCII entries are 0 (encoders pass ASCII through).
 *
 * Decodes each GBK row (one lead byte, all 190 trail bytes) in a single
 * `decode` call; a row that does not come back as exactly one BMP character
 * per code (a runtime whose decoder leaves some codes unmapped) is redone
 * code by code. Where two codes decode to the same character the first one
 * wins, as the WHATWG GBK encoder does. About 5 ms on Deno and Bun.
 *
 * @example
 * ```ts
 * import { buildGbkEncodeTable } from "@smartbus/netclient/internal";
 * console.log(buildGbkEncodeTable()[0x20ac].toString(16)); // "80"
 * ```
 */
export function buildGbkEncodeTable(): Uint16Array {
  const table = new Uint16Array(65536);
  const dec = decoder("gbk", false);
  // cp936 (and Python's "gbk" codec, which the original package used) writes
  // € as the single byte 0x80; the GB18030 code A2E3 is not GBK.
  if (dec.decode(Uint8Array.of(0x80)) === "\u20ac") table[0x20ac] = 0x80;
  const row = new Uint8Array(190 * 2);
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    let n = 0;
    for (let trail = 0x40; trail <= 0xfe; trail++) {
      if (trail === 0x7f) continue;
      row[n++] = lead;
      row[n++] = trail;
    }
    const text = dec.decode(row);
    if (text.length === 190 && !/[\ufffd\ud800-\udfff]/.test(text)) {
      for (let i = 0; i < 190; i++) {
        const c = text.charCodeAt(i);
        if (table[c] === 0) table[c] = (lead << 8) | row[2 * i + 1];
      }
    } else {
      for (let i = 0; i < 190; i++) {
        const s = dec.decode(row.subarray(2 * i, 2 * i + 2));
        if (s.length !== 1 || s === "\ufffd") continue;
        const c = s.charCodeAt(0);
        if (table[c] === 0) table[c] = (lead << 8) | row[2 * i + 1];
      }
    }
  }
  // Surrogates never map, whatever a decoder did; ASCII is handled inline.
  table.fill(0, 0xd800, 0xe000);
  table.fill(0, 0, 0x80);
  return table;
}

/**
 * The Unicode → GBK table, built on first use (about 5 ms, once per process).
 *
 * @example
 * ```ts
 * import { gbkEncodeTable } from "@smartbus/netclient/internal";
 * console.log(gbkEncodeTable()[0x4f60].toString(16)); // "c4e3" (你)
 * ```
 */
export function gbkEncodeTable(): Uint16Array {
  return gbkTable ??= buildGbkEncodeTable();
}

function describeChar(text: string, i: number): string {
  const c = text.codePointAt(i)!;
  const hex = c.toString(16).toUpperCase().padStart(4, "0");
  const shown = c >= 0xd800 && c <= 0xdfff
    ? "lone surrogate"
    : JSON.stringify(String.fromCodePoint(c));
  return `${shown} U+${hex} at index ${i}`;
}

/**
 * What {@link encodeGbk} does with a character GBK cannot carry: `"throw"`
 * refuses it, `"json-escape"` writes `\uXXXX` (one escape per UTF-16 code
 * unit), which is lossless inside a JSON string literal.
 */
export type UnencodableMode = "throw" | "json-escape";

const HEX = "0123456789abcdef";

/**
 * Encodes `text` as GBK. Characters GBK cannot carry are refused with an
 * {@link InvalidArgumentError} naming `argument`, or written as JSON `\uXXXX`
 * escapes with `mode` `"json-escape"`.
 *
 * @example
 * ```ts
 * import { encodeGbk } from "@smartbus/netclient/internal";
 * console.log(encodeGbk('["😀"]', "p", "json-escape").length); // 16
 * ```
 */
export function encodeGbk(
  text: string,
  argument = "text",
  mode: UnencodableMode = "throw",
): Uint8Array {
  const len = text.length;
  let out = new Uint8Array(len * 2);
  let n = 0;
  let table: Uint16Array | undefined;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      out[n++] = c;
      continue;
    }
    table ??= gbkEncodeTable();
    const g = table[c];
    if (g >= 0x100) {
      out[n++] = g >> 8;
      out[n++] = g & 0xff;
    } else if (g !== 0) {
      out[n++] = g;
    } else if (mode === "json-escape") {
      // An escape is 6 bytes for a unit that was budgeted 2: grow as needed.
      if (out.length - n < 6 + 2 * (len - i - 1)) {
        const bigger = new Uint8Array(n + 6 + 6 * (len - i));
        bigger.set(out.subarray(0, n));
        out = bigger;
      }
      out[n++] = 0x5c; // \
      out[n++] = 0x75; // u
      out[n++] = HEX.charCodeAt(c >> 12);
      out[n++] = HEX.charCodeAt((c >> 8) & 15);
      out[n++] = HEX.charCodeAt((c >> 4) & 15);
      out[n++] = HEX.charCodeAt(c & 15);
    } else {
      throw new InvalidArgumentError(
        argument,
        `cannot be encoded as GBK: ${describeChar(text, i)}`,
      );
    }
  }
  return out.subarray(0, n);
}

/**
 * Encodes `text` with `encoding`. UTF-8 refuses lone surrogates (rather than
 * silently writing U+FFFD); GBK refuses characters it cannot carry (emoji,
 * most non-Chinese scripts). Errors are {@link InvalidArgumentError}s naming
 * `argument` and the first offending character.
 *
 * @example
 * ```ts
 * import { encodeText } from "@smartbus/netclient/internal";
 * console.log(encodeText("你好，世界", "gbk")); // bytes c4 e3 ba c3 a3 ac ca c0 bd e7
 * ```
 */
export function encodeText(
  text: string,
  encoding: TextEncodingName,
  argument = "text",
): Uint8Array {
  if (encoding === "gbk") return encodeGbk(text, argument);
  if (!text.isWellFormed()) {
    const i = firstLoneSurrogate(text);
    throw new InvalidArgumentError(
      argument,
      `cannot be encoded as UTF-8: ${describeChar(text, i)}`,
    );
  }
  return utf8Encoder.encode(text);
}

function firstLoneSurrogate(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const next = text.charCodeAt(i + 1);
    if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) i++;
    else return i;
  }
  return -1;
}

/**
 * Decodes `bytes` with `encoding`; invalid sequences become U+FFFD.
 *
 * @example
 * ```ts
 * import { decodeText } from "@smartbus/netclient/internal";
 * console.log(decodeText(Uint8Array.of(0xc4, 0xe3, 0xba, 0xc3), "gbk")); // 你好
 * ```
 */
export function decodeText(
  bytes: Uint8Array,
  encoding: TextEncodingName,
): string {
  return decoder(encoding, false).decode(bytes);
}

/**
 * Decodes text from an IPSC: GBK (cp936) when the bytes are valid GBK, else
 * UTF-8 when they are valid UTF-8, else GBK with U+FFFD for the bad parts.
 *
 * The order is the original package's, and it is right for what an IPSC is
 * specified to send (GBK): GBK text always reads correctly. The fallback only
 * rescues UTF-8 that is malformed as GBK, which is often not the case:
 * measured over random GB2312 characters, UTF-8 Chinese with an even number
 * of characters in a row is ~96% well-formed GBK (UTF-8 "你好" reads as GBK
 * "浣犲ソ"), with an odd number ~2–8%. The reverse order would misread short
 * GBK strings instead (13% of single characters and 2% of pairs are valid
 * UTF-8), i.e. fail on the specified case to help the unspecified one. Pure
 * ASCII reads the same either way. (WHATWG's "gbk" decoder accepts
 * GB18030 four-byte sequences too; no valid UTF-8 contains one, so that
 * cannot hide a UTF-8 string.)
 *
 * @example
 * ```ts
 * import { decodeGbkOrUtf8 } from "@smartbus/netclient/internal";
 * console.log(decodeGbkOrUtf8(Uint8Array.of(0xc4, 0xe3))); // 你 (GBK)
 * console.log(decodeGbkOrUtf8(Uint8Array.of(0xe4, 0xbd, 0xa0, 0x21))); // 你! (UTF-8)
 * ```
 */
export function decodeGbkOrUtf8(bytes: Uint8Array): string {
  try {
    return decoder("gbk", true).decode(bytes);
  } catch {
    // Not GBK: try UTF-8.
  }
  try {
    return decoder("utf-8", true).decode(bytes);
  } catch {
    return decoder("gbk", false).decode(bytes);
  }
}

/**
 * `bytes` without the NUL bytes at either end (a view, not a copy).
 *
 * @example
 * ```ts
 * import { stripNuls } from "@smartbus/netclient/internal";
 * console.log(stripNuls(Uint8Array.of(0, 65, 0, 66, 0, 0))); // Uint8Array(3) [ 65, 0, 66 ]
 * ```
 */
export function stripNuls(bytes: Uint8Array): Uint8Array {
  let start = 0;
  let end = bytes.length;
  while (start < end && bytes[start] === 0) start++;
  while (end > start && bytes[end - 1] === 0) end--;
  return bytes.subarray(start, end);
}
