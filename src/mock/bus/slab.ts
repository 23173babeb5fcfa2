/**
 * Copies of small byte arrays carved out of shared 64 KiB slabs: under
 * Deno every fresh `ArrayBuffer` costs ~350 ns (its own backing store),
 * while a `subarray` view of a slab costs ~40 ns (`bench/README.md`,
 * finding 4). The bus copies every message it routes once, so this is its
 * per-message allocation.
 *
 * A copy keeps its whole slab alive while it lives, and its `buffer` is the
 * slab: use `byteOffset`/`byteLength` (or `slice()`) when reading the
 * buffer. Large arrays get their own buffer.
 *
 * @module
 */

const SLAB_SIZE = 64 * 1024;
/** Larger copies get their own buffer: they would waste a slab's tail. */
const MAX_CARVED = 4096;

/**
 * One pool of slabs. Copies kept for long (records) pin their slab, so each
 * kind of traffic carves from its own pool: a rare message kept in the
 * records then pins only message slabs, not the 64 KiB of flow traffic
 * carved around it.
 *
 * @example
 * ```ts
 * import { Slab } from "./slab.ts";
 * const messages = new Slab();
 * const kept = messages.copy(new Uint8Array([1, 2, 3]));
 * console.log(kept.byteLength, kept.buffer.byteLength); // 3 65536: a view of the slab
 * ```
 */
export class Slab {
  #slab: Uint8Array | undefined;
  #used = SLAB_SIZE;

  /** A copy of `bytes` that nobody else writes to (a view of a slab when small). */
  copy(bytes: Uint8Array): Uint8Array {
    const n = bytes.length;
    if (n > MAX_CARVED) return bytes.slice();
    let slab = this.#slab;
    if (slab === undefined || this.#used + n > SLAB_SIZE) {
      slab = this.#slab = new Uint8Array(SLAB_SIZE);
      this.#used = 0;
    }
    const start = this.#used;
    // Keep views 8-byte aligned so a DataView over them reads as fast as usual.
    this.#used = (start + n + 7) & ~7;
    const view = slab.subarray(start, start + n);
    view.set(bytes);
    return view;
  }
}

const shared = new Slab();

/**
 * A copy of `bytes` that nobody else writes to, from a pool shared by
 * short-lived copies (see {@link Slab} for copies kept long).
 *
 * @example
 * ```ts
 * import { copyBytes } from "./slab.ts";
 * const incoming = new Uint8Array([1, 2, 3]);
 * const copy = copyBytes(incoming);
 * incoming[0] = 9;
 * console.log(copy[0]); // 1
 * ```
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  return shared.copy(bytes);
}

/**
 * Whether `a` and `b` hold the same bytes (for short names: a loop beats
 * any setup).
 *
 * @example
 * ```ts
 * import { sameBytes } from "./slab.ts";
 * console.log(sameBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2]))); // true
 * ```
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
