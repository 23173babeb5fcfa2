/**
 * Where a command writes: results to stdout (nothing else, so it can be
 * piped), diagnostics to stderr, one line each. Commands get an {@link Io}
 * rather than touching `process` so that the streams stay in one place.
 *
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 * const io = processIo();
 * io.out("42");
 * io.err("done");
 * ```
 * @module
 */
import process from "node:process";
import type { Logger } from "../api/log.ts";

/** The streams and environment of one run. */
export interface Io {
  /** Write a result line on stdout. */
  out(line: string): void;
  /** Write a diagnostic line on stderr. */
  err(line: string): void;
  /** Overwrite the current stderr line (progress bars); only called when `errIsTTY`. */
  errStatus(text: string): void;
  /** Whether stderr is a terminal. */
  readonly errIsTTY: boolean;
  /** Environment variables. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/**
 * The real process streams.
 *
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 * processIo().out(JSON.stringify({ ok: true }));
 * ```
 */
export function processIo(): Io {
  return {
    out: (line) => void process.stdout.write(line + "\n"),
    err: (line) => void process.stderr.write(line + "\n"),
    errStatus: (text) => void process.stderr.write(`\r${text}\x1b[K`),
    errIsTTY: process.stderr.isTTY === true,
    env: process.env,
  };
}

/**
 * End quietly when whoever reads stdout has gone (`smartbus watch | head`),
 * as shell tools do; rethrow anything else.
 *
 * @example
 * ```ts
 * import process from "node:process";
 * import { readerGone } from "./io.ts";
 * process.stdout.on("error", readerGone);
 * ```
 */
export function readerGone(e: unknown): void {
  if ((e as { code?: unknown })?.code === "EPIPE") process.exit(0);
  throw e;
}

const render = (message: string, rest: unknown[]): string =>
  [message, ...rest.map((r) => r instanceof Error ? r.message : String(r))]
    .join(" ").replace(/\s*\n\s*/g, " | ");

/**
 * A logger that writes one stderr line per message (`debug` dropped unless
 * `debug` is true).
 *
 * @example
 * ```ts
 * import { processIo, stderrLogger } from "./io.ts";
 * stderrLogger(processIo()).warn("connect attempt failed");
 * ```
 */
export function stderrLogger(io: Io, debug = false): Logger {
  const at = (level: string) => (message: string, ...rest: unknown[]) =>
    io.err(`${level}: ${render(message, rest)}`);
  return {
    debug: debug ? at("debug") : () => {},
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
  };
}
