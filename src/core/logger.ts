/**
 * The logger shape shared by the API and the backends: a backend may offer
 * one (the mock's, which keeps lines for a test to read), and `SmartBus`
 * reports to it. `console` fits it.
 *
 * @module
 */

/**
 * Where the API writes what it cannot throw: `console` is one
 * (`SmartBusOptions.logger`).
 *
 * @example
 * ```ts
 * import { type Logger, SmartBus } from "@smartbus/netclient";
 * const prefixed: Logger = {
 *   debug: (m, ...r) => console.debug(`[bus] ${m}`, ...r),
 *   info: (m, ...r) => console.info(`[bus] ${m}`, ...r),
 *   warn: (m, ...r) => console.warn(`[bus] ${m}`, ...r),
 *   error: (m, ...r) => console.error(`[bus] ${m}`, ...r),
 * };
 * const bus = new SmartBus({ unitId: 17, logger: prefixed });
 * ```
 */
export interface Logger {
  /** Detail lines (library trace at level 10). */
  debug(message: string, ...rest: unknown[]): void;
  /** Routine lines. */
  info(message: string, ...rest: unknown[]): void;
  /** Something went wrong but the client carries on. */
  warn(message: string, ...rest: unknown[]): void;
  /** Failures: library error lines, handlers that threw. */
  error(message: string, ...rest: unknown[]): void;
}
