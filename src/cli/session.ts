/**
 * One connected client built from the common options: a {@link SmartBus}
 * on the chosen backend (native, or an in-process mock bus) and a
 * {@link Client} logged in at `--master`. Closing it releases everything so
 * that the program can end by itself.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./cli_args.ts";
 * import { processIo } from "./io.ts";
 * import { openSession, sessionSettings } from "./session.ts";
 * const io = processIo();
 * const settings = sessionSettings(parseCommand("ping", ["--backend", "mock"], {}), io);
 * const session = await openSession(settings, io);
 * session.close();
 * ```
 * @module
 */
import { ClientType, NO_SLAVE_PORT } from "../abi/constants.ts";
import { Client } from "../api/client.ts";
import { connectArgs, hostArg } from "../api/library_args.ts";
import {
  ConnectError,
  LibraryLoadError,
  SmartBusError,
} from "../abi/errors.ts";
import { silentLogger } from "../api/log.ts";
import type { BackendChoice } from "../abi/backend.ts";
import { SmartBus } from "../entry/native_wiring.ts";
import { createMockBus, MockBackend } from "../mock/mod.ts";
import {
  type HostPort,
  parseClientType,
  type Parsed,
  parseDuration,
  parseHostPort,
  parseInteger,
  str,
} from "./cli_args.ts";
import { CliFailure, ExitCode, UsageError } from "./exit.ts";
import { checkFlowsFile } from "./flows_file.ts";
import { type Io, stderrLogger } from "./io.ts";

/** Default unit id of the command-line client. */
export const DEFAULT_UNIT = 30;
/** Default deadline of a call, ms. */
export const DEFAULT_TIMEOUT_MS = 30_000;
/** Default deadline to connect, ms. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
/** Environment variable read when `--password` is absent. */
export const PASSWORD_ENV = "SMARTBUS_PASSWORD";

/**
 * The environment variable behind each connection option (the flag wins),
 * named like the library's own `SMARTBUS_NETCLI_LIB`.
 */
export const OPTION_ENV: Readonly<Record<string, string>> = {
  master: "SMARTBUS_MASTER",
  slave: "SMARTBUS_SLAVE",
  unit: "SMARTBUS_UNIT",
  user: "SMARTBUS_USER",
  password: PASSWORD_ENV,
};

/** The common options, checked. */
export interface SessionSettings {
  /** `--backend`; undefined: this runtime's native one. */
  backend: "deno" | "bun" | "node" | "mock" | undefined;
  /** `--lib`. */
  libraryPath: string | undefined;
  /** `--flows` (mock backend only). */
  flows: string | undefined;
  /** `--unit`. */
  unitId: number;
  /** `--client`. */
  clientId: number;
  /** `--type`. */
  clientType: number;
  /** `--master`. */
  master: HostPort;
  /** `--slave`. */
  slave: HostPort | undefined;
  /** `--user`. */
  user: string | undefined;
  /** `--password`, else `SMARTBUS_PASSWORD`; never printed. */
  password: string | undefined;
  /** `--timeout`, ms. */
  timeoutMs: number;
  /** `--connect-timeout`, ms. */
  connectTimeoutMs: number;
  /** `--verbose`. */
  verbose: boolean;
  /** `--json`: results as JSON lines. */
  json: boolean;
}

const BACKENDS = ["deno", "bun", "node", "mock"] as const;

/**
 * Check the common options of `p`; an option not given is read from its
 * {@link OPTION_ENV} variable (an empty one counts as unset).
 *
 * @example
 * ```ts
 * import { parseCommand } from "./cli_args.ts";
 * import { processIo } from "./io.ts";
 * import { sessionSettings } from "./session.ts";
 * const s = sessionSettings(parseCommand("ping", ["--unit", "20"], {}), processIo());
 * console.log(s.unitId); // 20
 * ```
 */
export function sessionSettings(p: Parsed, io: Io): SessionSettings {
  const backend = str(p, "backend");
  if (
    backend !== undefined &&
    !(BACKENDS as readonly string[]).includes(backend)
  ) {
    throw new UsageError(
      `--backend must be one of ${BACKENDS.join(", ")}, got ${
        JSON.stringify(backend)
      }`,
    );
  }
  const flows = str(p, "flows");
  if (flows !== undefined && backend !== "mock") {
    throw new UsageError(
      "--flows needs --backend mock (a served bus takes its flows from `smartbus mock --flows`)",
    );
  }
  checkFlowsFile(flows);
  // A value from the environment is checked like the flag, and a mistake
  // names the variable, since that is where it must be fixed.
  const given = (name: string): [string | undefined, string] => {
    const flag = str(p, name);
    if (flag !== undefined) return [flag, `--${name}`];
    const env = OPTION_ENV[name];
    const value = env === undefined ? undefined : io.env[env];
    return value === undefined || value === "" ? [undefined, ""] : [
      value,
      env,
    ];
  };
  const opt = <T>(
    name: string,
    parse: (s: string, label: string) => T,
    dflt: T,
  ): T => {
    const [s, label] = given(name);
    return s === undefined ? dflt : parse(s, label);
  };
  const [slave, slaveLabel] = given("slave");
  const password = given("password")[0] || undefined;
  const settings: SessionSettings = {
    backend: backend as SessionSettings["backend"],
    libraryPath: str(p, "lib"),
    flows,
    unitId: opt("unit", (s, l) => parseInteger(s, l, 16, 47), DEFAULT_UNIT),
    clientId: opt("client", (s) => parseInteger(s, "--client", 0, 255), 1),
    clientType: opt(
      "type",
      (s) => parseClientType(s, "--type"),
      ClientType.AGENT,
    ),
    master: opt("master", (s, l) => parseHostPort(s, l), {
      host: "127.0.0.1",
      port: 8000,
    }),
    slave: slave === undefined ? undefined : parseHostPort(slave, slaveLabel),
    user: given("user")[0],
    password,
    timeoutMs: opt(
      "timeout",
      (s) => parseDuration(s, "--timeout"),
      DEFAULT_TIMEOUT_MS,
    ),
    connectTimeoutMs: opt(
      "connect-timeout",
      (s) => parseDuration(s, "--connect-timeout"),
      DEFAULT_CONNECT_TIMEOUT_MS,
    ),
    verbose: p.values.verbose === true,
    json: p.values.json === true,
  };
  checkConnection(settings, slaveLabel);
  return settings;
}

/**
 * What `new Client` and `connect()` would refuse in the connection
 * settings (a host the library cannot take, credentials the encoding cannot
 * carry), refused by the API's own checks before any library loads.
 */
function checkConnection(s: SessionSettings, slaveLabel: string): void {
  connectArgs({
    masterHost: hostArg("--master", s.master.host),
    slaverHost: s.slave ? hostArg(slaveLabel, s.slave.host) : null,
    authorUsr: s.user ?? null,
    authorPwd: s.password ?? null,
    extInfo: null,
    encoding: "utf-8",
  });
}

/** A connected client and its unit. */
export interface Session {
  /** The unit. */
  readonly bus: SmartBus;
  /** The connected client. */
  readonly client: Client;
  /** What it was built from. */
  readonly settings: SessionSettings;
  /** The node reached. */
  readonly nodeUnitId: number;
  /** Close the client and release the library. Idempotent. */
  close(): void;
}

const where = (s: SessionSettings): string =>
  `${s.master.host}:${s.master.port}` +
  (s.slave ? ` (or ${s.slave.host}:${s.slave.port})` : "");

async function backendFor(
  s: SessionSettings,
  io: Io,
): Promise<BackendChoice | undefined> {
  if (s.backend !== "mock") return s.backend;
  const nodes = [{ unitId: 0, ...s.master }];
  if (s.slave) nodes.push({ unitId: 1, ...s.slave });
  const { bus } = await createMockBus({
    nodes,
    flows: s.flows,
    log: s.verbose ? (line) => io.err(line) : undefined,
  }).catch((e: unknown) => {
    throw new CliFailure(
      ExitCode.USAGE,
      `cannot load --flows ${s.flows}: ${
        String((e as Error)?.message ?? e).split("\n")[0]
      }; see smartbus invoke --help`,
    );
  });
  return new MockBackend(bus, { reconnectIntervalMs: 200 });
}

/** Load the backend; every way it can fail becomes a library-load failure. */
function openUnit(
  s: SessionSettings,
  io: Io,
  backend: BackendChoice | undefined,
): SmartBus {
  try {
    return new SmartBus({
      unitId: s.unitId,
      backend,
      libraryPath: s.libraryPath,
      logger: s.verbose ? stderrLogger(io, true) : silentLogger,
      logging: [s.verbose, 10, 40],
    });
  } catch (e) {
    if (e instanceof LibraryLoadError) throw e;
    if (e instanceof SmartBusError && !(e.code < 0)) {
      throw new CliFailure(
        ExitCode.LIBRARY,
        `cannot use backend ${s.backend ?? "(this runtime's)"}: ${
          e.message.split("\n")[0]
        }; choose another --backend`,
      );
    }
    throw e;
  }
}

/**
 * Create the unit and the client and connect within `connectTimeoutMs`;
 * `ConnectError` becomes a one-line {@link CliFailure} (exit 3) naming the
 * address and what to check. `beforeConnect` subscribes to events that may
 * come while connecting (global connect events).
 *
 * @example
 * ```ts
 * import { parseCommand } from "./cli_args.ts";
 * import { processIo } from "./io.ts";
 * import { openSession, sessionSettings } from "./session.ts";
 * const io = processIo();
 * const s = await openSession(sessionSettings(parseCommand("x", ["--backend", "mock"], {}), io), io);
 * console.log(s.nodeUnitId); // 0
 * s.close();
 * ```
 */
export async function openSession(
  s: SessionSettings,
  io: Io,
  signal?: AbortSignal,
  beforeConnect?: (bus: SmartBus, client: Client) => void,
): Promise<Session> {
  const bus = openUnit(s, io, await backendFor(s, io));
  try {
    const client = new Client({
      bus,
      localClientId: s.clientId,
      localClientType: s.clientType,
      masterHost: s.master.host,
      masterPort: s.master.port,
      slaverHost: s.slave?.host ?? null,
      slaverPort: s.slave?.port ?? NO_SLAVE_PORT,
      authorUsr: s.user ?? null,
      authorPwd: s.password ?? null,
    });
    beforeConnect?.(bus, client);
    let nodeUnitId: number;
    try {
      nodeUnitId = await client.connect({
        timeout: s.connectTimeoutMs,
        signal,
      });
    } catch (e) {
      if (e instanceof ConnectError) {
        throw new CliFailure(
          ExitCode.CONNECT,
          `cannot connect to ${
            where(s)
          } as unit ${s.unitId} client ${s.clientId}: ${e.message}${
            connectHint(e.codeName)
          }`,
        );
      }
      throw e;
    }
    return {
      bus,
      client,
      settings: s,
      nodeUnitId,
      close: () => {
        client.close();
        bus.close();
      },
    };
  } catch (e) {
    bus.close();
    throw e;
  }
}

function connectHint(codeName: string): string {
  switch (codeName) {
    case "AUTHOR":
    case "USER":
    case "PWD":
      return `; check --user and --password (or ${PASSWORD_ENV})`;
    case "REGISTERED_REPEAT":
      return "; another program holds this unit and client id: change --unit or --client";
    default:
      return "; is the bus running there? check --master/--slave or raise --connect-timeout";
  }
}
