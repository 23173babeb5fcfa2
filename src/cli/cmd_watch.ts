/**
 * `smartbus watch`: stay connected and print global connect events and
 * received data as they come, until Ctrl-C, `--count` or `--duration`;
 * with `--stats`, the client's statistics every `--stats-interval` and at
 * exit.
 *
 * @example
 * ```ts
 * import { watchCommand } from "./cmd_watch.ts";
 * console.log(watchCommand.name); // "watch"
 * ```
 * @module
 */
import { ClientType } from "../abi/constants.ts";
import type { PackInfo } from "../abi/packinfo.ts";
import type { GlobalConnectInfo } from "../api/smartbus.ts";
import {
  COMMON_HELP,
  expectPositionals,
  parseCommand,
  type Parsed,
  parseDuration,
  parseInteger,
  str,
} from "./cli_args.ts";
import { type Command, type CommandContext, wantsHelp } from "./command.ts";
import { EXIT_CODES_HELP, ExitCode, UsageError } from "./exit.ts";
import { openSession, type Session, sessionSettings } from "./session.ts";
import { sessionStats, statsLines } from "./stats_report.ts";

const USAGE = "smartbus watch [options]";

const HELP = `Print who connects and leaves, and the data this client receives,
one line each on stdout (--json: one JSON object each), until Ctrl-C,
--count or --duration.

Usage: ${USAGE}

Lines read:
  connect joined unit=18 client=1 type=agent node=0 info="..."
  (status joined, left, or present: already there when we joined)
  data from=18/1/agent cmd=0 cmdtype=3 "the text"
  stats after 10.0 s
  stats data: 0 sent (0 B), 12 received (780 B), 0 refused

Options:
  --count N              stop after N lines
  --duration T           stop after T (500ms, 5s, 1m)
  --stats                also print the client's statistics (data and pings
                         received, flows, latencies, connects and
                         disconnects, event-queue drops) every
                         --stats-interval and once more at exit: "stats ..."
                         lines (--json: {"event":"stats",...} objects)
  --stats-interval T     how often (default 10s; 100ms to 24h); implies --stats

${COMMON_HELP}

${EXIT_CODES_HELP}`;

const STATUS = ["left", "joined", "present"];
const typeNames = new Map<number, string>(
  Object.entries(ClientType).map(([k, v]) => [v, k.toLowerCase()]),
);
const typeName = (t: number): string => typeNames.get(t) ?? String(t);

/** A global connect event as a text line or a JSON object. */
export function connectLine(e: GlobalConnectInfo, json: boolean): string {
  const status = STATUS[e.status] ?? String(e.status);
  if (json) return JSON.stringify({ event: "connect", ...e, status });
  return `connect ${status} unit=${e.unitId} client=${e.clientId} type=${
    typeName(e.clientType)
  } node=${e.accessUnitId} info=${JSON.stringify(e.addInfo)}`;
}

/** Received data as a text line or a JSON object. */
export function dataLine(info: PackInfo, text: string, json: boolean): string {
  if (json) {
    return JSON.stringify({
      event: "data",
      from: {
        unitId: info.srcUnitId,
        clientId: info.srcUnitClientId,
        clientType: info.srcUnitClientType,
      },
      cmd: info.cmd,
      cmdType: info.cmdType,
      text,
    });
  }
  return `data from=${info.srcUnitId}/${info.srcUnitClientId}/${
    typeName(info.srcUnitClientType)
  } cmd=${info.cmd} cmdtype=${info.cmdType} ${JSON.stringify(text)}`;
}

/** `--stats-interval` when absent, ms. */
export const DEFAULT_STATS_INTERVAL_MS = 10_000;
const MIN_STATS_INTERVAL_MS = 100;
const MAX_STATS_INTERVAL_MS = 24 * 3_600_000;

/** `--stats-interval` (or `--stats` alone), ms; undefined: no statistics. */
function statsInterval(p: Parsed): number | undefined {
  const text = str(p, "stats-interval");
  if (text === undefined) {
    return p.values.stats === true ? DEFAULT_STATS_INTERVAL_MS : undefined;
  }
  const ms = parseDuration(text, "--stats-interval");
  if (ms < MIN_STATS_INTERVAL_MS || ms > MAX_STATS_INTERVAL_MS) {
    throw new UsageError(
      `--stats-interval must be from 100ms to 24h, got ${JSON.stringify(text)}`,
    );
  }
  return ms;
}

/**
 * The session's statistics as stdout lines: one `{"event":"stats"}` object,
 * or a `stats after 12.3 s` line and the figures, each after `stats `.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./cli_args.ts";
 * import { processIo } from "./io.ts";
 * import { openSession, sessionSettings } from "./session.ts";
 * import { statsReport } from "./cmd_watch.ts";
 * const io = processIo();
 * const session = await openSession(sessionSettings(parseCommand("watch", ["--backend", "mock"], {}), io), io);
 * for (const line of statsReport(session, 1500, true)) io.out(line);
 * session.close();
 * ```
 */
export function statsReport(
  session: Session,
  elapsedMs: number,
  final: boolean,
): string[] {
  const stats = sessionStats(session);
  const seconds = Math.round(elapsedMs) / 1000;
  if (session.settings.json) {
    return [JSON.stringify({ event: "stats", final, seconds, stats })];
  }
  const head = `stats ${final ? "at exit " : ""}after ${seconds.toFixed(1)} s`;
  return [head, ...statsLines(stats).map((l) => `stats ${l}`)];
}

/** The `watch` command. */
export const watchCommand: Command = {
  name: "watch",
  summary: "print connect events and received data as they come",
  help: HELP,
  async run(argv: string[], { io, signal }: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      io.out(HELP);
      return ExitCode.OK;
    }
    const p = parseCommand("watch", argv, {
      count: { type: "string" },
      duration: { type: "string" },
      stats: { type: "boolean" },
      "stats-interval": { type: "string" },
    });
    expectPositionals(p, 0, 0, USAGE);
    const every = statsInterval(p);
    const countText = str(p, "count");
    const count = countText === undefined
      ? Infinity
      : parseInteger(countText, "--count", 1, Number.MAX_SAFE_INTEGER);
    const durationText = str(p, "duration");
    const duration = durationText === undefined
      ? undefined
      : parseDuration(durationText, "--duration");
    const settings = sessionSettings(p, io);
    const json = settings.json;

    let finish!: () => void;
    const finished = new Promise<void>((r) => finish = r);
    let printed = 0;
    const print = (line: string): void => {
      if (printed >= count) return;
      io.out(line);
      if (++printed >= count) finish();
    };
    const onAbort = (): void => finish();
    signal.addEventListener("abort", onAbort);
    const timer = duration === undefined
      ? undefined
      : setTimeout(finish, duration);
    const session = await openSession(settings, io, signal, (bus, client) => {
      bus.on("globalConnect", (e) => print(connectLine(e, json)));
      client.on(
        "receiveText",
        (info, text) => print(dataLine(info, text, json)),
      );
    }).catch((e) => {
      clearTimeout(timer);
      signal.removeEventListener("abort", onAbort);
      throw e;
    });
    const t0 = performance.now();
    const report = (final: boolean): void => {
      for (const line of statsReport(session, performance.now() - t0, final)) {
        io.out(line);
      }
    };
    const ticker = every === undefined
      ? undefined
      : setInterval(() => report(false), every);
    try {
      await finished;
      if (every !== undefined) report(true);
      return ExitCode.OK;
    } finally {
      clearTimeout(timer);
      clearInterval(ticker);
      signal.removeEventListener("abort", onAbort);
      session.close();
    }
  },
};
