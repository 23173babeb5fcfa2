/**
 * `smartbus invoke PROJECT FLOW [PARAM...]`: call an IPSC flow and print
 * its result list as JSON; with `--repeat`, a small load test.
 *
 * @example
 * ```ts
 * import { invokeCommand } from "./cmd_invoke.ts";
 * console.log(invokeCommand.summary);
 * ```
 * @module
 */
import type { FlowCall } from "../api/client_args.ts";
import { flowCallArgs } from "../api/library_args.ts";
import {
  FlowError,
  FlowNotStartedError,
  FlowTimeoutError,
} from "../abi/errors.ts";
import {
  COMMON_HELP,
  expectPositionals,
  jsonOrText,
  parseCommand,
  parseInteger,
  parsePair,
  str,
} from "./cli_args.ts";
import { type Command, type CommandContext, wantsHelp } from "./command.ts";
import {
  CliFailure,
  describeFailure,
  EXIT_CODES_HELP,
  ExitCode,
  type ExitCodeValue,
  notStartedHint,
  UsageError,
} from "./exit.ts";
import { openSession, type Session, sessionSettings } from "./session.ts";
import { progressLine, summarize, summary } from "./stats.ts";
import { sessionStats, statsLines } from "./stats_report.ts";

const USAGE = "smartbus invoke [options] PROJECT FLOW [PARAM...]";

const HELP = `Call a flow on an IPSC and print its result list as JSON on stdout
(--json: {"result":[...],"ms":12.3}, one line per call).

Usage: ${USAGE}

Each PARAM is JSON when it parses (42, true, [1,2], '"text"'), else a string.

Options:
  --ipsc UNIT:PROCESS    the IPSC (default 0:0)
  --params JSON          the whole parameter list as one JSON value
  --no-result            do not wait for the result: print [] once the flow
                         started (fire and forget)
  --repeat N             call N times (one JSON line per result); progress,
                         rate and time left on stderr when it is a terminal,
                         then throughput and p50/p99 latency, and the
                         client's statistics (flows by outcome, ack and
                         result latency, link) on stderr (with --json: one
                         {"summary":{...},"stats":{...}} line on stdout)
  --concurrency C        calls in flight at once with --repeat (default 1)
  -q, --quiet            with --repeat: print no results, only the summary

${COMMON_HELP}

${EXIT_CODES_HELP}

Examples:
  smartbus invoke ivr callout 10086
  smartbus invoke --backend mock --flows answers.json ivr callout 10086
  smartbus invoke --repeat 1000 --concurrency 16 -q bench echo 1`;

const OPTIONS = {
  ipsc: { type: "string" },
  params: { type: "string" },
  "no-result": { type: "boolean" },
  repeat: { type: "string" },
  concurrency: { type: "string" },
  quiet: { type: "boolean", short: "q" },
} as const;

function flowCall(argv: string[]): {
  call: FlowCall;
  repeat: number;
  concurrency: number;
  quiet: boolean;
  parsed: ReturnType<typeof parseCommand>;
} {
  const p = parseCommand("invoke", argv, OPTIONS);
  const [project, flow, ...rest] = expectPositionals(p, 2, Infinity, USAGE);
  const paramsJson = str(p, "params");
  if (paramsJson !== undefined && rest.length > 0) {
    throw new UsageError("give either PARAM arguments or --params, not both");
  }
  let params: unknown = rest.map(jsonOrText);
  if (paramsJson !== undefined) {
    try {
      params = JSON.parse(paramsJson);
    } catch (e) {
      throw new UsageError(`--params is not JSON: ${(e as Error).message}`);
    }
  }
  const [server, process] = parsePair(str(p, "ipsc") ?? "0:0", "--ipsc");
  const repeatText = str(p, "repeat");
  const concText = str(p, "concurrency");
  return {
    call: {
      server,
      process,
      project,
      flow,
      params,
      wantResult: p.values["no-result"] !== true,
    },
    repeat: repeatText === undefined
      ? 1
      : parseInteger(repeatText, "--repeat", 1, 100_000_000),
    concurrency: concText === undefined
      ? 1
      : parseInteger(concText, "--concurrency", 1, 10_000),
    quiet: p.values.quiet === true,
    parsed: p,
  };
}

/** The `invoke` command. */
export const invokeCommand: Command = {
  name: "invoke",
  summary: "call a flow on an IPSC, print its result as JSON",
  help: HELP,
  async run(argv: string[], { io, signal }: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      io.out(HELP);
      return ExitCode.OK;
    }
    const { call, repeat, concurrency, quiet, parsed } = flowCall(argv);
    const settings = sessionSettings(parsed, io);
    // The API's own checks, before any library or bus: a call it would
    // refuse (a parameter list too long, a project GBK cannot carry) is a
    // usage error now, not after a connect that may wait.
    flowCallArgs(call);
    const session = await openSession(settings, io, signal);
    try {
      if (repeat === 1 && !parsed.values.concurrency) {
        const t = performance.now();
        const result = await session.client.invoke(call, {
          timeout: settings.timeoutMs,
          signal,
        }).catch((e) => {
          throw flowFailure(e, call);
        });
        io.out(resultLine(result, performance.now() - t, settings.json));
        return ExitCode.OK;
      }
      return await runRepeated(session, call, {
        repeat,
        concurrency,
        quiet,
        ctx: { io, signal },
      });
    } finally {
      session.close();
    }
  },
};

async function runRepeated(
  session: Session,
  call: FlowCall,
  o: {
    repeat: number;
    concurrency: number;
    quiet: boolean;
    ctx: CommandContext;
  },
): Promise<number> {
  const { io, signal } = o.ctx;
  const json = session.settings.json;
  const latencies: number[] = [];
  let failed = 0;
  let started = 0;
  let firstFailure: { code: ExitCodeValue; message: string } | undefined;
  const showProgress = io.errIsTTY;
  let lastDraw = 0;
  const draw = (force: boolean): void => {
    if (!showProgress) return;
    const now = performance.now();
    if (!force && now - lastDraw < 100) return;
    lastDraw = now;
    io.errStatus(
      progressLine(latencies.length + failed, o.repeat, failed, now - t0),
    );
  };
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (started < o.repeat && !signal.aborted) {
      started++;
      const t = performance.now();
      try {
        const result = await session.client.invoke(call, {
          timeout: session.settings.timeoutMs,
          signal,
        });
        const took = performance.now() - t;
        latencies.push(took);
        if (!o.quiet) io.out(resultLine(result, took, json));
      } catch (e) {
        if (signal.aborted) return;
        failed++;
        firstFailure ??= describeFailure(flowFailure(e, call));
      }
      draw(false);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(o.concurrency, o.repeat) }, worker),
  );
  draw(true);
  if (showProgress) io.err("");
  const wall = performance.now() - t0;
  // Read once every call settled: each started flow has its outcome.
  const stats = sessionStats(session);
  if (json) {
    io.out(
      JSON.stringify({ summary: summary(latencies, failed, wall), stats }),
    );
  } else {
    io.err(summarize(latencies, failed, wall));
    for (const line of statsLines(stats)) io.err(line);
  }
  if (signal.aborted) {
    io.err("interrupted");
    return ExitCode.OTHER;
  }
  if (firstFailure) {
    io.err(`first failure: ${firstFailure.message}`);
    return firstFailure.code;
  }
  return ExitCode.OK;
}

/** A result as stdout prints it: the list, or with --json an object. */
function resultLine(result: unknown[], ms: number, json: boolean): string {
  return json
    ? JSON.stringify({ result, ms: Math.round(ms * 1000) / 1000 })
    : JSON.stringify(result);
}

/** A flow's failure phrased with the flow's full name and what to do. */
function flowFailure(e: unknown, call: FlowCall): unknown {
  const name =
    `flow ${call.project}/${call.flow} on IPSC ${call.server}:${call.process}`;
  if (e instanceof FlowTimeoutError) {
    return new CliFailure(
      ExitCode.TIMEOUT,
      `${name} gave no result within ${e.timeoutMs} ms: raise --timeout, or check that the IPSC runs it`,
    );
  }
  if (e instanceof FlowNotStartedError) {
    return new CliFailure(
      ExitCode.FLOW,
      `${name} did not start (ack ${e.ack}: ${e.reason})${
        notStartedHint(e.ack)
      }`,
    );
  }
  if (e instanceof FlowError) {
    // The code is the flow's own, not a library error: no library name.
    return new CliFailure(
      ExitCode.FLOW,
      `${name} failed with its code ${e.code}: see the IPSC's log`,
    );
  }
  return e;
}
