/**
 * `smartbus mock`: serve a mock SmartBus on TCP (nodes, accounts, a mock
 * IPSC with flows from a file) until Ctrl-C or SIGTERM. The native
 * stand-in library, and so apps in any language, can connect to it.
 *
 * @example
 * ```ts
 * import { mockCommand } from "./cmd_mock.ts";
 * console.log(mockCommand.name); // "mock"
 * ```
 * @module
 */
import {
  type MockServer,
  type MockServerNode,
  type MockServerOptions,
  startMockServer,
} from "../mock/mod.ts";
import {
  expectPositionals,
  parseCommand,
  type Parsed,
  parseDuration,
  parseHostPort,
  parseInteger,
  parsePair,
  str,
} from "./cli_args.ts";
import { type Command, type CommandContext, wantsHelp } from "./command.ts";
import { checkFlowsFile } from "./flows_file.ts";
import { CliFailure, EXIT_CODES_HELP, ExitCode, UsageError } from "./exit.ts";

const USAGE = "smartbus mock [options]";
const MIB = 1024 * 1024;

const HELP = `Serve a mock SmartBus on TCP until Ctrl-C or SIGTERM.

Usage: ${USAGE}

Prints one line per node on stdout once listening:
  listening node=0 127.0.0.1:8000
and logs connects, disconnects and flow calls on stderr, one line each.

Options:
  --node UNIT=HOST:PORT  a bus node (repeatable; default 0=127.0.0.1:8000;
                         port 0 picks a free port)
  --user NAME:PASSWORD   an account every node requires (repeatable; default:
                         no login needed)
  --ipsc UNIT:PROCESS    the mock IPSC (default 0:0), or "none"
  --flows FILE           the IPSC's flows: a JS/TS module exporting default
                         { "project/flow": async (params, ctx) => [...] } or
                         a function (ipsc) => void; or a JSON file of canned
                         answers { "project/flow": [result...] }; a .ts
                         file needs Deno, Bun or Node 22.18+
  --heartbeat T          heartbeat interval announced to clients (default 5s)
  --control HOST:PORT    also serve the control API and the inspector page
                         (docs/control-api.md); prints "control URL"; a
                         non-loopback HOST needs a token
  --control-token T      the Bearer token it requires (better: env
                         SMARTBUS_CONTROL_TOKEN); the page: open
                         URL/#token=T
  --login-timeout T      a connection not logged in by then is closed
                         (default 5s)
  --records N            records kept per kind for inspection (messages, flow
                         calls, notifications; default 10000; 0: none)
  --records-budget MIB   memory all records may hold, in MiB (default 64; 0:
                         no records); the oldest go first
  -q, --quiet            no log lines
  --json                 the listening lines as JSON objects:
                         {"event":"listening","unitId":0,"host":...,"port":8000}
                         (and {"event":"control","url":...} with --control)
  -h, --help             this help

Flow handlers get ctx.refuse(ack, msg), ctx.fail(ret), ctx.noAnswer(),
ctx.sleep(ms), ctx.from, ctx.invokeId and ctx.timeoutMs.

${EXIT_CODES_HELP}

Example:
  smartbus mock --node 0=127.0.0.1:8000 --user alice:s3cret --flows flows.ts`;

const OPTIONS = {
  node: { type: "string", multiple: true },
  user: { type: "string", multiple: true },
  ipsc: { type: "string" },
  flows: { type: "string" },
  heartbeat: { type: "string" },
  control: { type: "string" },
  "control-token": { type: "string" },
  "login-timeout": { type: "string" },
  records: { type: "string" },
  "records-budget": { type: "string" },
  quiet: { type: "boolean", short: "q" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function list(p: Parsed, name: string): string[] {
  const v = p.values[name];
  return Array.isArray(v) ? v : [];
}

/**
 * The server options `argv` asks for (without `log`).
 *
 * @example
 * ```ts
 * import { mockOptions } from "./cmd_mock.ts";
 * console.log(mockOptions(["--node", "0=127.0.0.1:0", "--user", "alice:s3cret"]).users);
 * ```
 */
export function mockOptions(
  argv: string[],
  env: Readonly<Record<string, string | undefined>> = {},
): MockServerOptions & {
  quiet: boolean;
  json: boolean;
} {
  const p = parseCommand("mock", argv, OPTIONS, {});
  expectPositionals(p, 0, 0, USAGE);
  const nodes: MockServerNode[] = list(p, "node").map((text) => {
    const eq = text.indexOf("=");
    if (eq < 0) {
      throw new UsageError(
        `--node wants UNIT=HOST:PORT such as 0=127.0.0.1:8000, got ${
          JSON.stringify(text)
        }`,
      );
    }
    return {
      unitId: parseInteger(text.slice(0, eq), "--node's unit", 0, 15),
      ...parseHostPort(text.slice(eq + 1), "--node", true),
    };
  });
  const seen = new Set<number>();
  for (const n of nodes) {
    if (seen.has(n.unitId)) {
      throw new UsageError(`--node: unit ${n.unitId} is given twice`);
    }
    seen.add(n.unitId);
  }
  const accounts = list(p, "user");
  const users: Record<string, string> = {};
  for (const text of accounts) {
    const colon = text.indexOf(":");
    if (colon <= 0) {
      throw new UsageError("--user wants NAME:PASSWORD");
    }
    users[text.slice(0, colon)] = text.slice(colon + 1);
  }
  const ipscText = str(p, "ipsc") ?? "0:0";
  const ipsc = ipscText === "none" ? null : (() => {
    const [unitId, processIndex] = parsePair(ipscText, "--ipsc");
    return { unitId, processIndex };
  })();
  const hb = str(p, "heartbeat");
  const controlAt = str(p, "control");
  const token = str(p, "control-token") ?? env.SMARTBUS_CONTROL_TOKEN;
  const login = str(p, "login-timeout");
  const records = str(p, "records");
  const budget = str(p, "records-budget");
  return {
    control: controlAt === undefined
      ? undefined
      : { ...parseHostPort(controlAt, "--control", true), token },
    nodes: nodes.length ? nodes : undefined,
    users: accounts.length ? users : undefined,
    ipsc,
    flows: str(p, "flows"),
    heartbeatMs: hb === undefined
      ? undefined
      : parseDuration(hb, "--heartbeat"),
    loginTimeoutMs: login === undefined
      ? undefined
      : parseDuration(login, "--login-timeout"),
    records: records === undefined
      ? undefined
      : parseInteger(records, "--records", 0, 100_000_000),
    recordsBudget: budget === undefined
      ? undefined
      : parseInteger(budget, "--records-budget", 0, 1024 * 1024) * MIB,
    quiet: p.values.quiet === true,
    json: p.values.json === true,
  };
}

/** The `mock` command. */
export const mockCommand: Command = {
  name: "mock",
  summary: "serve a mock bus on TCP (nodes, users, an IPSC with flows)",
  help: HELP,
  async run(argv: string[], { io, signal }: CommandContext): Promise<number> {
    if (wantsHelp(argv)) {
      io.out(HELP);
      return ExitCode.OK;
    }
    const { quiet, json, ...options } = mockOptions(argv, io.env);
    checkFlowsFile(options.flows as string | undefined);
    let server: MockServer;
    try {
      server = await startMockServer({
        ...options,
        log: quiet ? undefined : (line) => io.err(line),
      });
    } catch (e) {
      throw startFailure(e, options.flows);
    }
    try {
      for (const a of server.addresses) {
        io.out(
          json
            ? JSON.stringify({
              event: "listening",
              unitId: a.unitId,
              host: a.host,
              port: a.port,
            })
            : `listening node=${a.unitId} ${a.host}:${a.port}`,
        );
      }
      if (server.control) {
        const url = server.control.url;
        io.out(
          json ? JSON.stringify({ event: "control", url }) : `control ${url}`,
        );
        // The token itself is not echoed: logs outlive the session.
        if (options.control?.token !== undefined && !quiet) {
          io.err(`mock bus: the inspector page: open ${url}/#token=<token>`);
        }
      }
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      if (!quiet) io.err("mock bus: stopping");
      return ExitCode.OK;
    } finally {
      await server.close();
    }
  },
};

function startFailure(e: unknown, flows: unknown): unknown {
  const err = e as { code?: unknown; message?: string; name?: string };
  if (err?.name === "ControlConfigError") {
    return new CliFailure(ExitCode.USAGE, String(err.message));
  }
  if (err?.code === "EADDRINUSE" || err?.code === "EACCES") {
    return new CliFailure(
      ExitCode.OTHER,
      `cannot listen: ${
        err.message?.split("\n")[0]
      }; pick another --node port (0 picks a free one)`,
    );
  }
  if (flows !== undefined && e instanceof Error) {
    return new CliFailure(
      ExitCode.USAGE,
      `cannot load --flows ${flows}: ${
        e.message.split("\n")[0]
      }; see smartbus mock --help`,
    );
  }
  return e;
}
