/**
 * `smartbus notify PROJECT TITLE PARAM`: send a notification to an IPSC
 * and print its invoke id.
 *
 * @example
 * ```ts
 * import { notifyCommand } from "./cmd_notify.ts";
 * console.log(notifyCommand.name); // "notify"
 * ```
 * @module
 */
import {
  COMMON_HELP,
  expectPositionals,
  parseCommand,
  parseDuration,
  parseInteger,
  parsePair,
  str,
} from "./cli_args.ts";
import { type Command, type CommandContext, wantsHelp } from "./command.ts";
import { EXIT_CODES_HELP, ExitCode } from "./exit.ts";
import { notifyArgs } from "../api/library_args.ts";
import { openSession, sessionSettings } from "./session.ts";

const USAGE = "smartbus notify [options] PROJECT TITLE PARAM";

const HELP = `Send a notification to an IPSC; print its invoke id on stdout
(--json: {"invokeId":1}).

Usage: ${USAGE}

Options:
  --ipsc UNIT:PROCESS    the IPSC (default 0:0)
  --mode N               the notification mode, passed unchanged (default 0)
  --expires T            how long it stays valid (default 60s)

${COMMON_HELP}

${EXIT_CODES_HELP}`;

/** The `notify` command. */
export const notifyCommand: Command = {
  name: "notify",
  summary: "send a notification to an IPSC",
  help: HELP,
  async run(argv: string[], { io, signal }: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      io.out(HELP);
      return ExitCode.OK;
    }
    const p = parseCommand("notify", argv, {
      ipsc: { type: "string" },
      mode: { type: "string" },
      expires: { type: "string" },
    });
    // PARAM is required: the vendor's library refuses an empty one (-1).
    const [project, title, param] = expectPositionals(p, 3, 3, USAGE);
    const [server, process] = parsePair(str(p, "ipsc") ?? "0:0", "--ipsc");
    const mode = parseInteger(
      str(p, "mode") ?? "0",
      "--mode",
      -2147483648,
      2147483647,
    );
    const expiresMs = parseDuration(str(p, "expires") ?? "60s", "--expires");
    const settings = sessionSettings(p, io);
    const args = [
      server,
      process,
      project,
      title,
      mode,
      expiresMs / 1000,
      param,
    ] as const;
    // What `sendNotify` would refuse, refused before connecting.
    notifyArgs(...args);
    const session = await openSession(settings, io, signal);
    try {
      const id = session.client.sendNotify(...args);
      io.out(settings.json ? JSON.stringify({ invokeId: id }) : String(id));
      return ExitCode.OK;
    } finally {
      session.close();
    }
  },
};
