/**
 * The logger the API reports to: library trace lines, handler failures,
 * dropped events. `console` fits it.
 *
 * @example
 * ```ts
 * import type { Logger } from "@smartbus/netclient";
 * const quiet: Logger = { debug() {}, info() {}, warn() {}, error: console.error };
 * ```
 * @module
 */

export type { Logger } from "../core/logger.ts";
import type { Logger } from "../core/logger.ts";
import { InvalidArgumentError } from "../abi/errors.ts";
import { showValue } from "./validate.ts";

/** Python `logging` levels, as the original package's `logging_option` used them. */
export type LogLevelNumber = 10 | 20 | 30 | 40 | 50;

/**
 * The original Python package's `logging_option = (enabled, level, error_level)`: whether the
 * library's trace lines are logged, and at which levels (Python numbers:
 * 10 debug, 20 info, 30 warning, 40 error, 50 critical).
 *
 * @example
 * ```ts
 * import type { LoggingOption } from "@smartbus/netclient";
 * const opt: LoggingOption = [true, 10, 40];
 * ```
 */
export type LoggingOption = readonly [
  enabled: boolean,
  level: number,
  errorLevel: number,
];

/**
 * Check a {@link LoggingOption} from plain JavaScript: `[enabled, level,
 * errorLevel]` with a boolean and two Python level numbers (integers 0–50).
 * A wrong shape would silently send error lines to debug, or every trace
 * line to the error log.
 *
 * @example
 * ```ts
 * import { assertLoggingOption } from "@smartbus/netclient/internal";
 * assertLoggingOption([true, 20, 40]); // [true, 20, 40]
 * ```
 */
export function assertLoggingOption(value: unknown): LoggingOption {
  const level = (x: unknown) =>
    typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= 50;
  if (
    Array.isArray(value) && value.length === 3 &&
    typeof value[0] === "boolean" && level(value[1]) && level(value[2])
  ) {
    return [value[0], value[1], value[2]];
  }
  throw new InvalidArgumentError(
    "logging",
    `must be [enabled: boolean, level: 0–50, errorLevel: 0–50], got ${
      showValue(value)
    }`,
  );
}

/**
 * Check a `logger` option: an object with `debug`, `info`, `warn` and
 * `error` functions (`console` fits).
 *
 * @example
 * ```ts
 * import { assertLogger } from "@smartbus/netclient/internal";
 * assertLogger(console); // console
 * ```
 */
export function assertLogger(value: unknown): Logger {
  const l = value as Partial<Record<keyof Logger, unknown>> | null;
  if (
    typeof l === "object" && l !== null &&
    (["debug", "info", "warn", "error"] as const).every((m) =>
      typeof l[m] === "function"
    )
  ) {
    return value as Logger;
  }
  throw new InvalidArgumentError(
    "logger",
    `must have debug, info, warn and error functions (console fits), got ${
      showValue(value)
    }`,
  );
}

/**
 * The default logger: warnings and errors to `console`, debug and info lines
 * (the library's routine trace) dropped, like Python's `logging` before it is
 * configured. Pass `console` to see everything.
 *
 * @example
 * ```ts
 * import { defaultLogger } from "@smartbus/netclient";
 * defaultLogger.debug("not shown");
 * ```
 */
export const defaultLogger: Logger = {
  debug() {},
  info() {},
  warn: (message, ...rest) => console.warn(message, ...rest),
  error: (message, ...rest) => console.error(message, ...rest),
};

/**
 * A logger that drops everything.
 *
 * @example
 * ```ts
 * import { silentLogger } from "@smartbus/netclient";
 * silentLogger.error("not shown");
 * ```
 */
export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};

/**
 * Write `message` to `logger` at a Python-style numeric level.
 *
 * @example
 * ```ts
 * import { logAt } from "@smartbus/netclient/internal";
 * logAt(console, 40, "library error line");
 * ```
 */
export function logAt(logger: Logger, level: number, message: string): void {
  if (level >= 40) logger.error(message);
  else if (level >= 30) logger.warn(message);
  else if (level >= 20) logger.info(message);
  else logger.debug(message);
}

/**
 * Run a user handler so that neither a throw nor a rejected promise can reach
 * the library's callback path: failures go to the logger.
 *
 * @example
 * ```ts
 * import { runGuarded } from "@smartbus/netclient/internal";
 * runGuarded(console, "onReceiveText", () => { throw new Error("bug"); });
 * ```
 */
export function runGuarded(
  logger: Logger,
  what: string,
  fn: () => unknown,
): void {
  try {
    const r = fn();
    if (r && typeof (r as PromiseLike<unknown>).then === "function") {
      (r as PromiseLike<unknown>).then(
        undefined,
        (e: unknown) => logger.error(`handler ${what} rejected`, e),
      );
    }
  } catch (e) {
    logger.error(`handler ${what} threw`, e);
  }
}
