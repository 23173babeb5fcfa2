/**
 * The `smartbus` program without its process wiring: pick the subcommand,
 * run it, turn any failure into one stderr line and an exit code.
 *
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 * import { runCli } from "./run.ts";
 * const code = await runCli(["--help"], processIo(), new AbortController().signal);
 * console.log(code); // 0
 * ```
 * @module
 */
import { invokeCommand } from "./cmd_invoke.ts";
import { mockCommand } from "./cmd_mock.ts";
import { notifyCommand } from "./cmd_notify.ts";
import { pingCommand } from "./cmd_ping.ts";
import { sendCommand } from "./cmd_send.ts";
import { watchCommand } from "./cmd_watch.ts";
import type { Command } from "./command.ts";
import { describeFailure, EXIT_CODES_HELP, ExitCode } from "./exit.ts";
import type { Io } from "./io.ts";
import { versionCommand } from "./cmd_version.ts";

/** Every subcommand, in help order. */
export const COMMANDS: readonly Command[] = [
  mockCommand,
  invokeCommand,
  pingCommand,
  sendCommand,
  notifyCommand,
  watchCommand,
];

/** The top-level help. */
export const TOP_HELP =
  `smartbus: talk to a SmartBus from the command line, or serve a mock one.

Usage: smartbus COMMAND [options] [arguments]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(8)} ${c.summary}`).join("\n")}

Run \`smartbus COMMAND --help\` for a command's options; \`smartbus --version\`
shows the version, runtime, backend and where the library was found. Results go to
stdout, diagnostics to stderr (one line per failure), so output can be piped.
Try it without a server: smartbus invoke --backend mock --flows answers.json p f

${EXIT_CODES_HELP}`;

/**
 * Run the program with `argv` (the arguments after the program name);
 * resolves with the exit code. Never throws.
 *
 * @example
 * ```ts
 * import { processIo } from "./io.ts";
 * import { runCli } from "./run.ts";
 * await runCli(["invoke", "--backend", "mock", "p", "f"], processIo(), AbortSignal.timeout(5000));
 * ```
 */
export async function runCli(
  argv: readonly string[],
  io: Io,
  signal: AbortSignal,
): Promise<number> {
  // `deno task cli -- ARGS` passes the `--` on.
  const [name, ...rest] = argv[0] === "--" ? argv.slice(1) : argv;
  if (name === undefined) {
    io.err("missing command; see smartbus --help");
    return ExitCode.USAGE;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    const cmd = COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && !cmd) {
      io.err(`unknown command ${JSON.stringify(topic)}; see smartbus --help`);
      return ExitCode.USAGE;
    }
    io.out(cmd ? cmd.help : TOP_HELP);
    return ExitCode.OK;
  }
  const cmd = name === "--version" || name === "-V"
    ? versionCommand
    : COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(
      `unknown command ${JSON.stringify(name)}; commands: ${
        COMMANDS.map((c) => c.name).join(", ")
      } (see smartbus --help)`,
    );
    return ExitCode.USAGE;
  }
  try {
    return await cmd.run(rest, { io, signal });
  } catch (e) {
    const { code, message } = describeFailure(e);
    io.err(message);
    return code;
  }
}
