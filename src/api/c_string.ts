/**
 * C strings for the library: text encoded, NUL-terminated, measured in
 * encoded bytes. `transientCString` encodes into one shared buffer for the
 * hot path of `send`.
 *
 * @module
 */
import { InvalidArgumentError } from "../abi/errors.ts";
import { encodeText, type TextEncodingName } from "./text.ts";

const utf8Encoder = new TextEncoder();

/**
 * Bytes `text` takes in UTF-8 (lone surrogates count as U+FFFD's three),
 * without encoding it.
 *
 * @example
 * ```ts
 * import { utf8Length } from "@smartbus/netclient/internal";
 * console.log(utf8Length("€uro")); // 6
 * ```
 */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

let scratch = new Uint8Array(4096);
let scratchView = scratch.subarray(0, 0);

/**
 * `text` as a NUL-terminated C string, for an argument that is handed to the
 * library and forgotten at once. UTF-8 is encoded into one module-level
 * buffer that the NEXT call overwrites, so a caller must pass the result on
 * right away and never keep it: allocating a fresh `Uint8Array` per call
 * costs more than the whole FFI call in Deno (see `bench/README.md`). The
 * backend contract (`src/abi/backend.ts`) guarantees no backend keeps an
 * argument. GBK, and text that is not well-formed, take `encodeText`'s path.
 *
 * @example
 * ```ts
 * import { transientCString } from "@smartbus/netclient/internal";
 * const arg = transientCString("hello", "utf-8", "data"); // 68 65 6c 6c 6f 00
 * console.log(arg.length); // 6
 * ```
 */
export function transientCString(
  text: string,
  encoding: TextEncodingName,
  argument: string,
): Uint8Array {
  if (encoding !== "utf-8" || !text.isWellFormed()) {
    const bytes = encodeText(text, encoding, argument);
    const out = new Uint8Array(bytes.length + 1);
    out.set(bytes);
    return out;
  }
  if (text.length * 3 + 1 > scratch.length) {
    scratch = new Uint8Array(text.length * 3 + 1);
    scratchView = scratch.subarray(0, 0);
  }
  const n = utf8Encoder.encodeInto(text, scratch).written + 1;
  scratch[n - 1] = 0;
  // Re-use the view while the length repeats: a subarray is an allocation too.
  if (scratchView.length !== n) scratchView = scratch.subarray(0, n);
  return scratchView;
}

/**
 * `text` encoded with `encoding` plus the trailing NUL a C string needs.
 * A text containing U+0000 is refused (C would cut it there).
 *
 * @example
 * ```ts
 * import { cString } from "@smartbus/netclient/internal";
 * console.log(cString("ab", "utf-8", "project")); // Uint8Array(3) [ 97, 98, 0 ]
 * ```
 */
export function cString(
  text: string,
  encoding: TextEncodingName,
  argument: string,
): Uint8Array {
  const nul = text.indexOf("\0");
  if (nul >= 0) {
    throw new InvalidArgumentError(
      argument,
      `contains a NUL character (at index ${nul})`,
    );
  }
  const body = encodeText(text, encoding, argument);
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}
