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
 * @example
 * ```ts
 * import { copyBytes } from "./slab.ts";
 * const copy = copyBytes(new Uint8Array([1, 2, 3]));
 * console.log(copy); // Uint8Array(3) [1, 2, 3]
 * ```
 * @module
 */

const SLAB_SIZE = 64 * 1024;
/** Larger copies get their own buffer: they would waste a slab's tail. */
const MAX_CARVED = 4096;

let slab = new Uint8Array(SLAB_SIZE);
let used = 0;

/**
 * A copy of `bytes` that nobody else writes to (a view of a slab when small).
 *
 * @example
 * ```ts
 * import { copyBytes } from "./slab.ts";
 * const src = new TextEncoder().encode("hello");
 * const copy = copyBytes(src);
 * src[0] = 0;
 * console.log(copy[0]); // 104
 * ```
 */
export function copyBytes(bytes: Uint8Array): Uint8Array {
  const n = bytes.length;
  if (n > MAX_CARVED) return bytes.slice();
  if (used + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    used = 0;
  }
  const start = used;
  // Keep views 8-byte aligned so a DataView over them reads as fast as usual.
  used = (start + n + 7) & ~7;
  const view = slab.subarray(start, start + n);
  view.set(bytes);
  return view;
}

/**
 * Whether `a` and `b` hold the same bytes (for short names: a loop beats
 * any setup).
 *
 * @example
 * ```ts
 * import { sameBytes } from "./slab.ts";
 * console.log(sameBytes(new Uint8Array([1]), new Uint8Array([1]))); // true
 * ```
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
