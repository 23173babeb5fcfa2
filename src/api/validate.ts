/**
 * Argument guards. Each one either returns the (normalised) value or throws an
 * {@link InvalidArgumentError} naming the argument and showing the bad value,
 * so nothing malformed ever reaches the library.
 *
 * @example
 * ```ts
 * import { assertUnitId } from "@smartbus/netclient/internal";
 * assertUnitId(17); // 17
 * // assertUnitId(3) throws InvalidArgumentError: invalid unitId: must be an integer from 16 to 47, got 3
 * ```
 * @module
 */
import {
  ErrorCode,
  MAX_SMARTBUS_NETCLI_UNITID,
  MIN_LOCAL_CLIENT_TYPE,
  MIN_SMARTBUS_NETCLI_UNITID,
} from "../abi/constants.ts";
import { InvalidArgumentError } from "../abi/errors.ts";

/** Largest delay `setTimeout` and the library's `int` milliseconds accept. */
export const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * A short, unambiguous rendering of any value for error messages.
 *
 * @example
 * ```ts
 * import { showValue } from "@smartbus/netclient/internal";
 * console.log(showValue("17"), showValue(undefined)); // "17" undefined
 * ```
 */
export function showValue(value: unknown): string {
  switch (typeof value) {
    case "string": {
      const s = JSON.stringify(value);
      return s.length > 60 ? s.slice(0, 57) + '..."' : s;
    }
    case "bigint":
      return `${value}n`;
    case "symbol":
      return value.toString();
    case "function":
      return "a function";
    case "object":
      if (value === null) return "null";
      if (Array.isArray(value)) return `an array of length ${value.length}`;
      return `an object (${Object.prototype.toString.call(value)})`;
    default:
      return String(value);
  }
}

/**
 * `value` as an integer in `min`–`max` (inclusive).
 *
 * @example
 * ```ts
 * import { assertInteger } from "@smartbus/netclient/internal";
 * assertInteger("count", 3, 0, 10); // 3
 * ```
 */
export function assertInteger(
  argument: string,
  value: unknown,
  min: number,
  max: number,
  options?: { code?: number },
): number {
  if (
    typeof value !== "number" || !Number.isInteger(value) || value < min ||
    value > max
  ) {
    throw new InvalidArgumentError(
      argument,
      `must be an integer from ${min} to ${max}, got ${showValue(value)}`,
      options,
    );
  }
  return value;
}

/**
 * A network-client unit id (16–47): what `initialize` takes.
 *
 * @example
 * ```ts
 * import { assertUnitId } from "@smartbus/netclient/internal";
 * assertUnitId(47); // 47
 * ```
 */
export function assertUnitId(value: unknown, argument = "unitId"): number {
  return assertInteger(
    argument,
    value,
    MIN_SMARTBUS_NETCLI_UNITID,
    MAX_SMARTBUS_NETCLI_UNITID,
  );
}

/**
 * A destination or server unit id, node or client (0–255).
 *
 * @example
 * ```ts
 * import { assertNodeOrUnitId } from "@smartbus/netclient/internal";
 * assertNodeOrUnitId(0, "server"); // 0
 * ```
 */
export function assertNodeOrUnitId(
  value: unknown,
  argument = "dstUnitId",
): number {
  return assertInteger(argument, value, 0, 255);
}

/**
 * A local client id (0–255).
 *
 * @example
 * ```ts
 * import { assertLocalClientId } from "@smartbus/netclient/internal";
 * assertLocalClientId(0); // 0
 * ```
 */
export function assertLocalClientId(
  value: unknown,
  argument = "localClientId",
): number {
  return assertInteger(argument, value, 0, 255);
}

/**
 * A client type (0–255; see `ClientType` for the known ones).
 *
 * @example
 * ```ts
 * import { assertClientType } from "@smartbus/netclient/internal";
 * assertClientType(2, "dstClientType"); // 2
 * ```
 */
export function assertClientType(
  value: unknown,
  argument = "clientType",
): number {
  return assertInteger(argument, value, 0, 255);
}

/**
 * A local client's type: 2–255 (`MIN_LOCAL_CLIENT_TYPE`); the vendor's
 * library refuses 0 (NULL) and 1 (NODE) with -17 (`CLIENTTYPE_INVALID`), so
 * they are refused here with that code.
 *
 * @example
 * ```ts
 * import { assertLocalClientType } from "@smartbus/netclient/internal";
 * assertLocalClientType(4); // 4
 * ```
 */
export function assertLocalClientType(
  value: unknown,
  argument = "localClientType",
): number {
  return assertInteger(argument, value, MIN_LOCAL_CLIENT_TYPE, 255, {
    code: ErrorCode.CLIENTTYPE_INVALID,
  });
}

/**
 * A TCP port (0–65535).
 *
 * @example
 * ```ts
 * import { assertPort } from "@smartbus/netclient/internal";
 * assertPort("masterPort", 8000); // 8000
 * ```
 */
export function assertPort(argument: string, value: unknown): number {
  return assertInteger(argument, value, 0, 65535);
}

/**
 * An unsigned byte (0–255), e.g. `cmd` or `cmdType`.
 *
 * @example
 * ```ts
 * import { assertByte } from "@smartbus/netclient/internal";
 * assertByte("cmdType", 3); // 3
 * ```
 */
export function assertByte(argument: string, value: unknown): number {
  return assertInteger(argument, value, 0, 255);
}

/**
 * A positive, finite timeout in milliseconds, rounded up to a whole
 * millisecond, at most 2^31-1.
 *
 * @example
 * ```ts
 * import { assertTimeoutMs } from "@smartbus/netclient/internal";
 * assertTimeoutMs("timeoutMs", 0.5); // 1
 * ```
 */
export function assertTimeoutMs(argument: string, value: unknown): number {
  return toTimeoutMs(argument, value, value, "milliseconds");
}

/**
 * A positive, finite timeout in seconds, returned in milliseconds rounded up
 * (1.1 s → 1100 ms, 0.0001 s → 1 ms), at most 2^31-1 ms.
 *
 * @example
 * ```ts
 * import { assertTimeoutSeconds } from "@smartbus/netclient/internal";
 * assertTimeoutSeconds("timeout", 30); // 30000
 * ```
 */
export function assertTimeoutSeconds(argument: string, value: unknown): number {
  return toTimeoutMs(
    argument,
    value,
    typeof value === "number" ? value * 1000 : NaN,
    "seconds",
  );
}

function toTimeoutMs(
  argument: string,
  value: unknown,
  ms: unknown,
  unit: string,
): number {
  if (typeof ms === "number" && Number.isFinite(ms) && ms > 0) {
    // Seconds × 1000 picks up binary noise (1.1 × 1000 = 1100.0000000000002):
    // round what is within a nanosecond of a whole millisecond, ceil the rest.
    const near = Math.round(ms);
    const whole = Math.abs(ms - near) < 1e-6 && near > 0 ? near : Math.ceil(ms);
    if (whole <= MAX_TIMEOUT_MS) return whole;
  }
  throw new InvalidArgumentError(
    argument,
    `must be a positive number of ${unit} up to ${
      unit === "seconds" ? MAX_TIMEOUT_MS / 1000 : MAX_TIMEOUT_MS
    }, got ${showValue(value)}`,
  );
}

/** Options of {@link assertString}. */
export interface AssertStringOptions {
  /** Accept `null` and `undefined` (returned as `null`). */
  nullable?: boolean;
}

/**
 * A string; with `{ nullable: true }` also `null`/`undefined` (→ `null`).
 *
 * @example
 * ```ts
 * import { assertString } from "@smartbus/netclient/internal";
 * assertString("project", "p1"); // "p1"
 * assertString("slaverHost", undefined, { nullable: true }); // null
 * ```
 */
export function assertString(argument: string, value: unknown): string;
/**
 * A string, or with `{ nullable: true }` also `null`/`undefined` (→ `null`).
 */
export function assertString(
  argument: string,
  value: unknown,
  options: AssertStringOptions,
): string | null;
export function assertString(
  argument: string,
  value: unknown,
  options?: AssertStringOptions,
): string | null {
  if (typeof value === "string") return value;
  if (options?.nullable && (value === null || value === undefined)) return null;
  throw new InvalidArgumentError(
    argument,
    `must be a string${options?.nullable ? " or null" : ""}, got ${
      showValue(value)
    }`,
  );
}

/**
 * Data to send: a string (to be encoded) or bytes. Any `ArrayBufferView`
 * (a `Buffer`, a `DataView`, another typed array) comes back as a
 * `Uint8Array` over the same memory.
 *
 * @example
 * ```ts
 * import { assertBytesOrString } from "@smartbus/netclient/internal";
 * assertBytesOrString("data", new Uint16Array([1])); // Uint8Array [1, 0] (little-endian)
 * ```
 */
export function assertBytesOrString(
  argument: string,
  value: unknown,
): string | Uint8Array {
  if (typeof value === "string") return value;
  if (ArrayBuffer.isView(value)) {
    // A view of a transferred (detached) buffer reads as empty: refuse it
    // rather than send 0 bytes the caller never meant.
    if (value.byteLength === 0 && isDetached(value.buffer)) {
      throw new InvalidArgumentError(
        argument,
        "is a view of a detached ArrayBuffer (it was transferred)",
      );
    }
    return value instanceof Uint8Array
      ? value
      : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  }
  throw new InvalidArgumentError(
    argument,
    `must be a string or a Uint8Array, got ${showValue(value)}`,
  );
}

/**
 * An `AbortSignal`, or none (`undefined`, or `null` as `fetch` allows).
 * Anything else (`{}`, a string) is refused before a call starts, since a
 * fake signal would only fail later, inside a timer or a listener.
 *
 * @example
 * ```ts
 * import { assertSignal } from "@smartbus/netclient/internal";
 * assertSignal("signal", AbortSignal.timeout(1000)); // the signal
 * assertSignal("signal", undefined); // undefined
 * ```
 */
export function assertSignal(
  argument: string,
  value: unknown,
): AbortSignal | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof AbortSignal === "function" && value instanceof AbortSignal) {
    return value;
  }
  throw new InvalidArgumentError(
    argument,
    `must be an AbortSignal, got ${showValue(value)}`,
  );
}

function isDetached(buffer: ArrayBufferLike): boolean {
  if (buffer.byteLength > 0) return false;
  try {
    // Any view on a detached buffer throws, in every runtime (Node 20 has
    // no `ArrayBuffer.prototype.detached` yet).
    new Uint8Array(buffer, 0, 0);
    return false;
  } catch {
    return true;
  }
}
