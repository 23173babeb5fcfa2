/**
 * `smartbus --version [--json] [--lib PATH] [--backend B]`: what is
 * installed and whether the native library loads. Always exits 0 when the
 * arguments are right: a missing library is reported, not a failure.
 *
 * @example
 * ```ts
 * import { versionCommand } from "./cmd_version.ts";
 * console.log(versionCommand.name); // "--version"
 * ```
 * @module
 */
import { expectPositionals, parseCommand, str } from "./cli_args.ts";
import { type Command, type CommandContext, wantsHelp } from "./command.ts";
import { ExitCode, UsageError } from "./exit.ts";
import { versionLines, versionReport } from "./version.ts";

const USAGE = "smartbus --version [--json] [--lib PATH] [--backend B]";

const HELP = `Print the package version, the runtime, the native backend and the
library it loads (or every place it looked), one "key: value" per line.

Usage: ${USAGE}

Options:
  --json                 one JSON object: {"version","runtime","platform",
                         "backend","library" (null: not found),"tried",...}
  --lib PATH             check this library file (else SMARTBUS_NETCLI_LIB,
                         else the search path)
  --backend B            deno, bun or node (default: this runtime)`;

const OPTIONS = {
  version: { type: "boolean", short: "V" },
  json: { type: "boolean" },
  lib: { type: "string" },
  backend: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const NATIVE = ["deno", "bun", "node"] as const;

/** The `--version` command. */
export const versionCommand: Command = {
  name: "--version",
  summary: "version, runtime, backend and library path",
  help: HELP,
  run(argv: string[], { io }: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      io.out(HELP);
      return Promise.resolve(ExitCode.OK);
    }
    const p = parseCommand("--version", argv, OPTIONS, {});
    expectPositionals(p, 0, 0, USAGE);
    const backend = str(p, "backend");
    if (
      backend !== undefined && !(NATIVE as readonly string[]).includes(backend)
    ) {
      throw new UsageError(
        `--backend must be one of ${NATIVE.join(", ")}, got ${
          JSON.stringify(backend)
        }`,
      );
    }
    const report = versionReport({
      backend: backend as typeof NATIVE[number] | undefined,
      libraryPath: str(p, "lib"),
    });
    if (p.values.json === true) io.out(JSON.stringify(report));
    else for (const line of versionLines(report)) io.out(line);
    return Promise.resolve(ExitCode.OK);
  },
};
