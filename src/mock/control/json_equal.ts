/**
 * Deep equality of JSON values (what flow parameters are), for stub
 * matching and journal filters.
 *
 * @module
 */

/**
 * Whether `a` and `b` are the same JSON value (object key order aside).
 *
 * @example
 * ```ts
 * import { jsonEqual } from "./json_equal.ts";
 * console.log(jsonEqual([1, { a: "x", b: 2 }], [1, { b: 2, a: "x" }])); // true
 * ```
 */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || !a || !b) {
    return false;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => jsonEqual(v, bb[i]));
  }
  const ka = Object.keys(a);
  const ob = b as Record<string, unknown>;
  return ka.length === Object.keys(ob).length &&
    ka.every((k) =>
      Object.hasOwn(ob, k) &&
      jsonEqual((a as Record<string, unknown>)[k], ob[k])
    );
}
