/**
 * The shape of one `smartbus` subcommand.
 *
 * @example
 * ```ts
 * import type { Command } from "./command.ts";
 * const hello: Command = {
 *   name: "hello",
 *   summary: "say hello",
 *   help: "Usage: smartbus hello",
 *   run: (_argv, { io }) => { io.out("hello"); return Promise.resolve(0); },
 * };
 * ```
 * @module
 */
import type { Io } from "./io.ts";

/** What a command runs with. */
export interface CommandContext {
  /** Its streams and environment. */
  io: Io;
  /** Aborted on Ctrl-C / SIGTERM: stop, clean up, return. */
  signal: AbortSignal;
}

/** One subcommand. */
export interface Command {
  /** The word after `smartbus`. */
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** Full `--help` text. */
  help: string;
  /** Run with the arguments after the name; resolves with the exit code. */
  run(argv: string[], ctx: CommandContext): Promise<number>;
}

/** Whether `argv` asks for help (before anything else is checked). */
export function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf("--");
  const head = end < 0 ? argv : argv.slice(0, end);
  return head.includes("--help") || head.includes("-h");
}
