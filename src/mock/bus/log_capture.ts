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

/**
 * `text` with every control character escaped (C0, DEL, C1, and the
 * Unicode line and paragraph separators): `\n`, `\r`, `\t`, else `\xNN`
 * or `\uNNNN`. Every line the mock bus and its TCP front log goes through
 * it, so a peer's project name, user name or CLOSE reason can neither
 * forge a log line nor send escape sequences to a terminal. Applying it
 * twice changes nothing more.
 *
 * @example
 * ```ts
 * import { escapeControl } from "./log_capture.ts";
 * console.log(escapeControl("project p\n[mockbus] forged")); // project p\n[mockbus] forged (one line)
 * ```
 */
export function escapeControl(text: string): string {
  let i = 0;
  while (i < text.length && !isControl(text.charCodeAt(i))) i++;
  if (i === text.length) return text;
  let out = text.slice(0, i);
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += isControl(c) ? escaped(c) : text[i];
  }
  return out;
}

const isControl = (c: number): boolean =>
  c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029;

function escaped(c: number): string {
  if (c === 10) return "\\n";
  if (c === 13) return "\\r";
  if (c === 9) return "\\t";
  return c < 0x100
    ? `\\x${c.toString(16).padStart(2, "0")}`
    : `\\u${c.toString(16).padStart(4, "0")}`;
}
