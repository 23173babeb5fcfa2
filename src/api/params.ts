/**
 * Flow parameters and results: the JSON arrays exchanged with the IPSC flow
 * server as GBK text. Parameters are checked strictly before anything reaches
 * the library, because `JSON.stringify` would silently drop or change values
 * (`undefined`, `NaN`, a `Map`) that the flow then never sees.
 *
 * @example
 * ```ts
 * import { parseFlowResult, serializeFlowParams } from "@smartbus/netclient/internal";
 * const bytes = serializeFlowParams({ caller: "张三" }); // [{"caller":"张三"}] in GBK + NUL
 * console.log(parseFlowResult(bytes)); // [ { caller: "张三" } ]
 * ```
 * @module
 */
import { ErrorCode, MAX_FLOW_PARAMS_BYTES } from "../abi/constants.ts";
import { InvalidArgumentError, SmartBusError } from "../abi/errors.ts";
import { decodeGbkOrUtf8, encodeGbk, stripNuls } from "./text.ts";

/** Deeper nesting than this is refused (it cannot be a sensible flow argument). */
export const MAX_FLOW_PARAMS_DEPTH = 256;

/**
 * The parameter list a flow receives: `undefined`/`null` → `[]`, an array as
 * is, anything else → a one-element array.
 *
 * @example
 * ```ts
 * import { normalizeFlowParams } from "@smartbus/netclient/internal";
 * console.log(normalizeFlowParams(5), normalizeFlowParams(null)); // [ 5 ] []
 * ```
 */
export function normalizeFlowParams(parameters: unknown): unknown[] {
  if (parameters === undefined || parameters === null) return [];
  if (Array.isArray(parameters)) return parameters;
  return [parameters];
}

/** Keys and indices from the root to the value being written. */
type Trail = (string | number)[];

/** Builds the path only when refusing: the common case never pays for it. */
function refuse(trail: Trail, reason: string): never {
  let path = "parameters";
  for (const k of trail) {
    path += typeof k === "number"
      ? `[${k}]`
      : /^[A-Za-z_$][\w$]*$/.test(k)
      ? `.${k}`
      : `[${JSON.stringify(k)}]`;
  }
  throw new InvalidArgumentError("parameters", `${path} ${reason}`);
}

/**
 * Writes `value` as JSON, refusing whatever JSON cannot carry faithfully.
 * One pass: each getter is read once, so what was checked is what is sent.
 */
function toJson(value: unknown, trail: Trail, ancestors: object[]): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value);
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) {
        refuse(trail, `is ${value}, which JSON cannot represent`);
      }
      return JSON.stringify(value);
    case "undefined":
      return refuse(trail, "is undefined, which JSON cannot represent");
    case "bigint":
      return refuse(
        trail,
        `is a BigInt (${value}n); pass a number or a string`,
      );
    case "function":
    case "symbol":
      return refuse(trail, `is a ${typeof value}, which JSON cannot represent`);
  }
  if (value === null) return "null";
  const obj = value as object;
  if (ancestors.includes(obj)) refuse(trail, "is a circular reference");
  if (ancestors.length >= MAX_FLOW_PARAMS_DEPTH) {
    refuse(trail, `is nested more than ${MAX_FLOW_PARAMS_DEPTH} levels deep`);
  }
  ancestors.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = "[";
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out += ",";
      trail.push(i);
      if (!(i in obj)) refuse(trail, "is a hole in a sparse array");
      out += toJson(obj[i], trail, ancestors);
      trail.pop();
    }
    out += "]";
  } else {
    const proto = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      refuse(
        trail,
        obj instanceof Date
          ? "is a Date; pass date.toISOString() or a timestamp"
          : `is ${
            Object.prototype.toString.call(obj)
          }, not a plain object or array` +
            (proto?.constructor?.name ? ` (${proto.constructor.name})` : ""),
      );
    }
    out = "{";
    let first = true;
    const rec = obj as Record<string, unknown>;
    for (const key of Object.keys(rec)) {
      if (!first) out += ",";
      first = false;
      trail.push(key);
      out += JSON.stringify(key) + ":" + toJson(rec[key], trail, ancestors);
      trail.pop();
    }
    out += "}";
  }
  ancestors.pop();
  return out;
}

/**
 * The `in_valuelist` bytes of `RemoteInvokeFlow`: the parameters normalised
 * (see {@link normalizeFlowParams}), written as JSON, encoded as GBK, plus a
 * trailing NUL. Characters GBK cannot carry (emoji, ...) are written as
 * `\uXXXX` escapes, which JSON reads back unchanged, so every string is
 * accepted.
 *
 * Refused with an {@link InvalidArgumentError} whose message gives the path
 * of the offending value: `undefined` (also as a property or array element,
 * and array holes), `NaN`/`±Infinity`, BigInt, functions, symbols, circular
 * references, nesting deeper than {@link MAX_FLOW_PARAMS_DEPTH}, and any
 * object that is not a plain object or array (`Date`, `Map`, `Set`, class
 * instances, typed arrays, boxed primitives); `toJSON` methods are not
 * honoured (a function-valued property is refused like any function).
 * Symbol-keyed and non-enumerable properties are ignored, as `JSON.stringify`
 * ignores them. More than `MAX_FLOW_PARAMS_BYTES` (32 KiB) of JSON, NUL not
 * counted, is refused too.
 *
 * @example
 * ```ts
 * import { serializeFlowParams } from "@smartbus/netclient/internal";
 * const bytes = serializeFlowParams(["a", 1]);
 * console.log(new TextDecoder().decode(bytes)); // ["a",1]\0
 * ```
 */
export function serializeFlowParams(parameters: unknown): Uint8Array {
  const list = normalizeFlowParams(parameters);
  // A wrapped scalar/object is reported as the user passed it, without "[0]".
  const json = list === parameters || list.length === 0
    ? toJson(list, [], [])
    : "[" + toJson(parameters, [], []) + "]";
  // Every UTF-16 unit becomes at least one byte: too long already?
  if (json.length > MAX_FLOW_PARAMS_BYTES) tooBig(`at least ${json.length}`);
  const body = encodeGbk(json, "parameters", "json-escape");
  if (body.length > MAX_FLOW_PARAMS_BYTES) tooBig(String(body.length));
  const out = new Uint8Array(body.length + 1);
  out.set(body);
  return out;
}

function tooBig(size: string): never {
  throw new InvalidArgumentError(
    "parameters",
    `encode to ${size} bytes of GBK JSON; at most ${MAX_FLOW_PARAMS_BYTES} are allowed`,
  );
}

/**
 * A JSON list as the bus carries it (flow parameters and results): NULs at
 * the ends stripped, decoded as GBK (UTF-8 fallback), parsed as JSON; a
 * value that is not an array is wrapped in one. Empty or blank text →
 * `null`. Text that is not JSON throws what `notJson` makes of `shown` (the
 * text as a JSON string, cut at 200 characters) and the `SyntaxError`.
 *
 * @example
 * ```ts
 * import { parseJsonList } from "@smartbus/netclient/internal";
 * const notJson = (shown: string) => new Error(`not JSON: ${shown}`);
 * console.log(parseJsonList(new TextEncoder().encode("5\0"), notJson)); // [ 5 ]
 * ```
 */
export function parseJsonList(
  bytes: Uint8Array,
  notJson: (shown: string, cause: unknown) => Error,
): unknown[] | null {
  const text = decodeGbkOrUtf8(stripNuls(bytes));
  if (text.trim() === "") return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const shown = text.length > 200 ? text.slice(0, 200) + "…" : text;
    throw notJson(JSON.stringify(shown), e);
  }
  return Array.isArray(value) ? value : [value];
}

/**
 * Parses a flow's result (`param` of the flow-result callback) with
 * {@link parseJsonList}: empty or blank text → `null`. Text that is not
 * JSON is a {@link SmartBusError} with code `ErrorCode.OTHER` (-99: the
 * flow did answer, but with something this side cannot read), the text in
 * its message and the `SyntaxError` as `cause`.
 *
 * @example
 * ```ts
 * import { parseFlowResult } from "@smartbus/netclient/internal";
 * console.log(parseFlowResult(new TextEncoder().encode('[1,"a"]\0'))); // [ 1, "a" ]
 * ```
 */
export function parseFlowResult(bytes: Uint8Array): unknown[] | null {
  return parseJsonList(bytes, (shown, cause) =>
    new SmartBusError(
      `the flow result is not valid JSON: ${shown}`,
      ErrorCode.OTHER,
      { cause },
    ));
}
