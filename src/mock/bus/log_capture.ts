/**
 * The log of a test: what the mock bus, and the apps on it, would have
 * printed, kept (the newest lines, bounded) instead, so that a test is quiet
 * by default and can still read or assert on what was logged
 * (`mock.logs()`). A `logger` passed to `MockBus` or `SmartBus` still wins.
 *
 * @example
 * ```ts
 * import { LogCapture } from "@smartbus/netclient/mock";
 * const log = new LogCapture(2);
 * log.push("a");
 * log.push("b");
 * log.push("c");
 * console.log(log.lines()); // ["b", "c"]
 * ```
 * @module
 */
import type { Logger } from "../../api/log.ts";

/** Lines kept by default: enough for a test, bounded for a served bus. */
export const DEFAULT_LOG_LINES = 1000;

/**
 * A bounded list of log lines (the oldest go first).
 *
 * @example
 * ```ts
 * import { LogCapture } from "@smartbus/netclient/mock";
 * const log = new LogCapture();
 * log.logger.warn("flow invoke id 1 timed out");
 * console.log(log.lines()); // ["warn: flow invoke id 1 timed out"]
 * ```
 */
export class LogCapture {
  /** How many lines are kept. */
  readonly limit: number;
  #lines: string[] = [];
  #dropped = 0;

  /** Keep the newest `limit` lines. */
  constructor(limit: number = DEFAULT_LOG_LINES) {
    if (!(Number.isInteger(limit) && limit > 0)) {
      throw new RangeError(`limit must be a positive integer, got ${limit}`);
    }
    this.limit = limit;
  }

  /** Keep one line. */
  push(line: string): void {
    this.#lines.push(line);
    // Trimming in batches keeps push O(1) amortized.
    if (this.#lines.length >= this.limit * 2) {
      const extra = this.#lines.length - this.limit;
      this.#lines.splice(0, extra);
      this.#dropped += extra;
    }
  }

  /** The kept lines, oldest first (a copy). */
  lines(): string[] {
    const extra = Math.max(0, this.#lines.length - this.limit);
    return this.#lines.slice(extra);
  }

  /** Lines that no longer fit and were let go. */
  get dropped(): number {
    return this.#dropped + Math.max(0, this.#lines.length - this.limit);
  }

  /** Forget every line. */
  clear(): void {
    this.#lines = [];
    this.#dropped = 0;
  }

  /**
   * A {@link Logger} writing `level: message` lines here (debug included:
   * nothing is printed, so nothing needs to be left out).
   */
  readonly logger: Logger = {
    debug: (m, ...rest) => this.push(render("debug", m, rest)),
    info: (m, ...rest) => this.push(render("info", m, rest)),
    warn: (m, ...rest) => this.push(render("warn", m, rest)),
    error: (m, ...rest) => this.push(render("error", m, rest)),
  };
}

function render(level: string, message: string, rest: unknown[]): string {
  const parts = rest.map((r) => r instanceof Error ? r.message : String(r));
  return [`${level}: ${message}`, ...parts].join(" ");
}

/**
 * A log line's time: ISO 8601 for a real clock (epoch milliseconds), and
 * `+1.500s` for a virtual one (milliseconds since it started). Internal:
 * the bus's log lines carry it.
 */
export function logStamp(clock: { now(): number }): string {
  const t = clock.now();
  // Anything past 1973 is a wall clock; a virtual clock starts at 0.
  return t > 1e11 ? new Date(t).toISOString() : `+${(t / 1000).toFixed(3)}s`;
}
