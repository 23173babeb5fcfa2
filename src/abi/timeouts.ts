/**
 * Timeout rules of the C library that more than one part must apply the
 * same way: the mock backend times flow calls with them, the mock bus marks
 * calls unanswered with them, and a mock IPSC's `late` fault answers after
 * them.
 *
 * @module
 */

/** The flow timeout the library uses when asked for 0 ms or less. */
export const LIBRARY_FLOW_TIMEOUT_MS = 30_000;

/**
 * How long the library waits for a flow's result when asked to wait
 * `timeoutMs`: that long, or {@link LIBRARY_FLOW_TIMEOUT_MS} (30 s) when it
 * is 0 or less.
 *
 * @example
 * ```ts
 * import { libraryFlowTimeoutMs } from "./timeouts.ts";
 * console.log(libraryFlowTimeoutMs(0), libraryFlowTimeoutMs(500)); // 30000 500
 * ```
 */
export function libraryFlowTimeoutMs(timeoutMs: number): number {
  return timeoutMs > 0 ? timeoutMs : LIBRARY_FLOW_TIMEOUT_MS;
}
