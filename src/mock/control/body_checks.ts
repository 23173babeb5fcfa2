/**
 * The checks of JSON bodies that the stub validator and the fault routes
 * share: each refuses with its own error (`InvalidStubError`, a 400
 * `ControlHttpError`), but with the same words.
 *
 * @module
 */

/**
 * A function that throws what `error` makes of a message.
 *
 * @example
 * ```ts
 * import { refuseWith } from "./body_checks.ts";
 * const bad = refuseWith((message) => new RangeError(message));
 * bad("port must be 1–65535"); // throws RangeError: port must be 1–65535
 * ```
 */
export function refuseWith(
  error: (message: string) => Error,
): (message: string) => never {
  return (message) => {
    throw error(message);
  };
}

/**
 * Whether `v` is a JSON object (not `null`, not a list).
 *
 * @example
 * ```ts
 * import { isObject } from "./body_checks.ts";
 * console.log(isObject({}), isObject([]), isObject(null)); // true false false
 * ```
 */
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * `v` when it is an integer in `lo`–`hi`; else `bad` is called with
 * "`what` must be an integer `lo`–`hi`, got `v` as JSON".
 *
 * @example
 * ```ts
 * import { checkInt, refuseWith } from "./body_checks.ts";
 * const bad = refuseWith((message) => new RangeError(message));
 * console.log(checkInt(3, "unitId", 0, 255, bad)); // 3
 * checkInt("3", "unitId", 0, 255, bad); // throws: unitId must be an integer 0–255, got "3"
 * ```
 */
export function checkInt(
  v: unknown,
  what: string,
  lo: number,
  hi: number,
  bad: (message: string) => never,
): number {
  if (!Number.isInteger(v) || (v as number) < lo || (v as number) > hi) {
    bad(`${what} must be an integer ${lo}–${hi}, got ${JSON.stringify(v)}`);
  }
  return v as number;
}
