/**
 * `smartbus send UNIT CLIENT TYPE [TEXT]`: send text (or stdin) to a
 * client on the bus.
 *
 * @example
 * ```ts
 * import { sendCommand } from "./cmd_send.ts";
 * console.log(sendCommand.name); // "send"
 * ```
 * @module
 */
import process from "node:process";
import { CmdType } from "../abi/constants.ts";
import {
  COMMON_HELP,
  expectPositionals,
  parseClientType,
  parseCommand,
  parseInteger,
  str,
} from "./cli_args.ts";
import { type Command, type CommandContext, wantsHelp } from "./command.ts";
import { EXIT_CODES_HELP, ExitCode, UsageError } from "./exit.ts";
import { openSession, sessionSettings } from "./session.ts";
import { destination, payload } from "../api/library_args.ts";

const USAGE = "smartbus send [options] UNIT CLIENT TYPE [TEXT]";

const HELP =
  `Send text to a client on the bus. Without TEXT, stdin is sent. Prints
nothing (--json: one line {"sent":true,"unitId":...,"length":N}).

Usage: ${USAGE}

Options:
  --cmd N                the cmd byte (default 0)
  --cmd-type N           the cmd type byte (default 3, user data)
  --encoding E           utf-8 (default) or gbk

${COMMON_HELP}

${EXIT_CODES_HELP}`;

async function readStdin(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  const all = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}

/** The `send` command. */
export const sendCommand: Command = {
  name: "send",
  summary: "send text to a client",
  help: HELP,
  async run(argv: string[], { io, signal }: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      io.out(HELP);
      return ExitCode.OK;
    }
    const p = parseCommand("send", argv, {
      cmd: { type: "string" },
      "cmd-type": { type: "string" },
      encoding: { type: "string" },
    });
    const [u, c, t, given] = expectPositionals(p, 3, 4, USAGE);
    const unit = parseInteger(u, "UNIT", 0, 255);
    const client = parseInteger(c, "CLIENT", 0, 255);
    const type = parseClientType(t, "TYPE");
    const cmd = parseInteger(str(p, "cmd") ?? "0", "--cmd", 0, 255);
    const cmdType = parseInteger(
      str(p, "cmd-type") ?? String(CmdType.USER),
      "--cmd-type",
      0,
      255,
    );
    const encoding = str(p, "encoding");
    if (encoding !== undefined && !/^(utf-?8|gbk)$/i.test(encoding)) {
      throw new UsageError(
        `--encoding must be utf-8 or gbk, got ${JSON.stringify(encoding)}`,
      );
    }
    const settings = sessionSettings(p, io);
    destination(unit, client, type);
    const text = given ?? await readStdin();
    // What `send` would refuse, refused before connecting.
    payload(text, encoding, "utf-8");
    const session = await openSession(settings, io, signal);
    try {
      session.client.send(cmd, cmdType, unit, client, type, text, encoding);
      if (settings.json) {
        io.out(JSON.stringify({
          sent: true,
          unitId: unit,
          clientId: client,
          clientType: type,
          cmd,
          cmdType,
          length: text.length,
        }));
      }
      return ExitCode.OK;
    } finally {
      session.close();
    }
  },
};
