/**
 * `smartbus ping UNIT CLIENT TYPE`: ping a client and print the round-trip
 * time in ms, one line per answer.
 *
 * @example
 * ```ts
 * import { pingCommand } from "./cmd_ping.ts";
 * console.log(pingCommand.name); // "ping"
 * ```
 * @module
 */
import {
  COMMON_HELP,
  expectPositionals,
  parseClientType,
  parseCommand,
  parseDuration,
  parseInteger,
  str,
} from "./cli_args.ts";
import { type Command, type CommandContext, wantsHelp } from "./command.ts";
import { TimeoutError } from "../abi/errors.ts";
import { CliFailure, EXIT_CODES_HELP, ExitCode } from "./exit.ts";
import { openSession, sessionSettings } from "./session.ts";
import { destination } from "../api/library_args.ts";

const USAGE = "smartbus ping [options] UNIT CLIENT TYPE";

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

const HELP =
  `Ping a client on the bus; print each round-trip time (ms) on stdout
(--json: {"seq":1,"unitId":0,"clientId":0,"clientType":2,"rttMs":0.412}).

Usage: ${USAGE}

TYPE is a number or agent, ipsc, monitor, db, null. Example: ping 0 0 ipsc.

Options:
  --count N              pings to send (default 1)
  --interval T           wait between pings (default 1s)

${COMMON_HELP}

${EXIT_CODES_HELP}`;

/** Resolve after `ms`, or at once when `signal` aborts. */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done);
  });
}

/** The `ping` command. */
export const pingCommand: Command = {
  name: "ping",
  summary: "ping a client, print the round-trip time in ms",
  help: HELP,
  async run(argv: string[], { io, signal }: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      io.out(HELP);
      return ExitCode.OK;
    }
    const p = parseCommand("ping", argv, {
      count: { type: "string" },
      interval: { type: "string" },
    });
    const [u, c, t] = expectPositionals(p, 3, 3, USAGE);
    const dst = {
      unitId: parseInteger(u, "UNIT", 0, 255),
      clientId: parseInteger(c, "CLIENT", 0, 255),
      clientType: parseClientType(t, "TYPE"),
    };
    const countText = str(p, "count");
    const count = countText === undefined
      ? 1
      : parseInteger(countText, "--count", 1, 1_000_000);
    const intervalText = str(p, "interval");
    const interval = intervalText === undefined
      ? 1000
      : parseDuration(intervalText, "--interval");
    const settings = sessionSettings(p, io);
    destination(dst.unitId, dst.clientId, dst.clientType); // before connecting
    const session = await openSession(settings, io, signal);
    try {
      for (let i = 0; i < count && !signal.aborted; i++) {
        if (i > 0) await pause(interval, signal);
        if (signal.aborted) break;
        const rtt = await session.client.rtt(dst, {
          timeout: settings.timeoutMs,
          signal,
        }).catch((e) => {
          if (!(e instanceof TimeoutError)) throw e;
          throw new CliFailure(
            ExitCode.TIMEOUT,
            `no answer from ${u} ${c} ${t} within ${e.timeoutMs} ms: check the address (is it connected? see smartbus watch), or raise --timeout`,
          );
        });
        io.out(
          settings.json
            ? JSON.stringify({ seq: i + 1, ...dst, rttMs: round3(rtt) })
            : rtt.toFixed(3),
        );
      }
      return ExitCode.OK;
    } finally {
      session.close();
    }
  },
};
