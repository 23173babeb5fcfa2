/**
 * GBK names decoded once: a mock IPSC sees the same project and flow names
 * call after call, so it keeps the last few (bytes → text) and hands out
 * the kept bytes and string instead of a fresh pair per call (a pending
 * flow call holds both until it answers).
 *
 * @module
 */
import { decodeText } from "../../api/text.ts";
import { copyBytes, sameBytes } from "./slab.ts";

/** A decoded name and the bytes it came from (never written to). */
export interface MemoText {
  readonly text: string;
  readonly bytes: Uint8Array;
}

const SLOTS = 8;

/**
 * The last few names decoded (8).
 *
 * @example
 * ```ts
 * import { TextMemo } from "./text_memo.ts";
 * const memo = new TextMemo();
 * const name = new TextEncoder().encode("demo");
 * console.log(memo.get(name) === memo.get(name)); // true: decoded once
 * ```
 */
export class TextMemo {
  #slots: MemoText[] = [];
  #next = 0;
  #decode: (bytes: Uint8Array) => string;

  /** Names decoded with `decode` (default: GBK, lenient). */
  constructor(
    decode: (bytes: Uint8Array) => string = (b) => decodeText(b, "gbk"),
  ) {
    this.#decode = decode;
  }

  /** The text of `bytes` (the memo keeps its own copy of them). */
  get(bytes: Uint8Array): MemoText {
    const slots = this.#slots;
    for (let i = 0; i < slots.length; i++) {
      if (sameBytes(slots[i].bytes, bytes)) return slots[i];
    }
    const entry: MemoText = {
      text: this.#decode(bytes),
      bytes: copyBytes(bytes),
    };
    if (slots.length < SLOTS) slots.push(entry);
    else {
      slots[this.#next] = entry;
      this.#next = (this.#next + 1) % SLOTS;
    }
    return entry;
  }
}
