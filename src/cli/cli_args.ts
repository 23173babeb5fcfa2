/**
 * Command-line parsing for `smartbus`: `node:util` `parseArgs` (it stands in
 * for `@std/cli`, and runs under Deno, Bun and Node) with the options every
 * bus command shares, and the value parsers (durations, `host:port`,
 * client types) that turn mistakes into one-line {@link UsageError}s.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./cli_args.ts";
 * const { values, positionals } = parseCommand("invoke", ["ivr", "hello", "--timeout", "5s"], {});
 * console.log(values.timeout, positionals); // "5s" ["ivr", "hello"]
 * ```
 * @module
 */
import { parseArgs } from "node:util";
import { ClientType } from "../abi/constants.ts";
import { UsageError } from "./exit.ts";

/** A `parseArgs` option description. */
export interface OptionSpec {
  /** Takes a value, or is a flag. */
  type: "string" | "boolean";
  /** One-letter alias. */
  short?: string;
  /** May be given several times (values collected in an array). */
  multiple?: boolean;
}

/** Options shared by the commands that talk to a bus. */
export const COMMON_OPTIONS = {
  lib: { type: "string" },
  backend: { type: "string" },
  unit: { type: "string" },
  client: { type: "string" },
  type: { type: "string" },
  master: { type: "string" },
  slave: { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  timeout: { type: "string" },
  "connect-timeout": { type: "string" },
  flows: { type: "string" },
  json: { type: "boolean" },
  verbose: { type: "boolean", short: "v" },
  help: { type: "boolean", short: "h" },
} as const satisfies Record<string, OptionSpec>;

/** Help text of {@link COMMON_OPTIONS}. */
export const COMMON_HELP =
  `Connection options (a flag wins over its environment variable):
  --master HOST:PORT     bus node to connect to (env SMARTBUS_MASTER;
                         default 127.0.0.1:8000)
  --slave HOST:PORT      failover node (env SMARTBUS_SLAVE)
  --unit N               this program's unit id, 16-47 (env SMARTBUS_UNIT;
                         default 30)
  --client N             local client id, 0-255 (default 1)
  --type T               local client type: a number or agent, ipsc, monitor,
                         db, null (default agent)
  --user NAME            login user (env SMARTBUS_USER)
  --password PW          login password (better: env SMARTBUS_PASSWORD);
                         never printed
  --timeout T            deadline of the call: ms, or with a unit (500ms, 5s,
                         1m); default 30s
  --connect-timeout T    deadline to connect (default 10s)
  --lib PATH             libbusnetcli.so to load (env SMARTBUS_NETCLI_LIB,
                         else the search path; see smartbus --version)
  --backend B            deno, bun, node (default: this runtime), or mock: an
                         in-process mock bus at --master, flows from --flows
  --flows FILE           with --backend mock: flows module or JSON answers
  --json                 results as JSON, one object per line (docs/cli.md)
  -v, --verbose          library trace lines and warnings on stderr
  -h, --help             this help`;

/** What `parseArgs` gave: option values by name, and the positionals. */
export interface Parsed {
  /** Option values by long name. */
  values: Record<string, string | boolean | string[] | undefined>;
  /** The arguments that are not options, in order. */
  positionals: string[];
}

/**
 * Parse `argv` of command `command` with the common options plus `extra`.
 * Throws {@link UsageError} naming the mistake.
 *
 * @example
 * ```ts
 * import { parseCommand } from "./cli_args.ts";
 * const p = parseCommand("ping", ["18", "1", "agent", "--count", "3"], { count: { type: "string" } });
 * ```
 */
export function parseCommand(
  command: string,
  argv: string[],
  extra: Record<string, OptionSpec>,
  common: Record<string, OptionSpec> = COMMON_OPTIONS,
): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...common, ...extra },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as Parsed["values"], positionals };
  } catch (e) {
    // parseArgs adds advice for its own API after the first sentence.
    const msg = (e as Error).message.split(/\.\s|\n/)[0].replace(/\.$/, "");
    throw new UsageError(`${msg}; see smartbus ${command} --help`);
  }
}

/** A string option, or undefined; refuses an empty value. */
export function str(p: Parsed, name: string): string | undefined {
  const v = p.values[name];
  if (v === undefined) return undefined;
  if (typeof v !== "string") {
    throw new UsageError(`--${name} takes one value`);
  }
  return v;
}

/**
 * An integer in `[min, max]`.
 *
 * @example
 * ```ts
 * import { parseInteger } from "./cli_args.ts";
 * console.log(parseInteger("30", "--unit", 16, 47)); // 30
 * ```
 */
export function parseInteger(
  text: string,
  name: string,
  min: number,
  max: number,
): number {
  const n = /^[-+]?\d+$/.test(text.trim()) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(
      `${name} must be an integer from ${min} to ${max}, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return n;
}

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * A duration in ms: `500`, `500ms`, `1.5s`, `2m`, `1h`; positive.
 *
 * @example
 * ```ts
 * import { parseDuration } from "./cli_args.ts";
 * console.log(parseDuration("5s", "--timeout")); // 5000
 * ```
 */
export function parseDuration(text: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(text);
  const ms = m ? Math.round(Number(m[1]) * UNITS[m[2] ?? "ms"]) : NaN;
  if (!(ms > 0) || !Number.isSafeInteger(ms)) {
    throw new UsageError(
      `${name} must be a positive duration such as 500, 500ms, 5s or 1m, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return ms;
}

/** A host and a port. */
export interface HostPort {
  /** Host name or IP address. */
  host: string;
  /** TCP port. */
  port: number;
}

/**
 * `host:port` (a bare port means 127.0.0.1); `allowZero` accepts port 0.
 *
 * @example
 * ```ts
 * import { parseHostPort } from "./cli_args.ts";
 * console.log(parseHostPort("10.0.0.1:8000", "--master")); // { host: "10.0.0.1", port: 8000 }
 * ```
 */
export function parseHostPort(
  text: string,
  name: string,
  allowZero = false,
): HostPort {
  const i = text.lastIndexOf(":");
  const host = i < 0 ? "127.0.0.1" : text.slice(0, i);
  const portText = i < 0 ? text : text.slice(i + 1);
  if (host.length === 0 || host.length > 63) {
    throw new UsageError(
      `${name} wants HOST:PORT, got ${JSON.stringify(text)}`,
    );
  }
  const port = parseInteger(
    portText,
    `${name}'s port`,
    allowZero ? 0 : 1,
    65535,
  );
  return { host, port };
}

/**
 * `a:b` as two integers (unit:process of an IPSC, unit:client).
 *
 * @example
 * ```ts
 * import { parsePair } from "./cli_args.ts";
 * console.log(parsePair("0:1", "--ipsc")); // [0, 1]
 * ```
 */
export function parsePair(text: string, name: string): [number, number] {
  const parts = text.split(":");
  if (parts.length !== 2) {
    throw new UsageError(
      `${name} wants UNIT:PROCESS such as 0:0, got ${JSON.stringify(text)}`,
    );
  }
  return [
    parseInteger(parts[0], `${name}'s unit`, 0, 255),
    parseInteger(parts[1], `${name}'s process`, 0, 255),
  ];
}

/**
 * A client type: a number 0–255 or a name of `ClientType` (any case).
 *
 * @example
 * ```ts
 * import { parseClientType } from "./cli_args.ts";
 * console.log(parseClientType("ipsc", "--type")); // 2
 * ```
 */
export function parseClientType(text: string, name: string): number {
  const key = text.trim().toUpperCase() as keyof typeof ClientType;
  if (Object.hasOwn(ClientType, key)) return ClientType[key];
  if (/^\d+$/.test(text.trim())) return parseInteger(text, name, 0, 255);
  const names = Object.keys(ClientType).map((k) => k.toLowerCase()).join(", ");
  throw new UsageError(
    `${name} must be a number 0-255 or one of ${names}, got ${
      JSON.stringify(text)
    }`,
  );
}

/**
 * A command-line value as a flow parameter: JSON when it parses, else the
 * text itself (so `42` is a number, `hello` a string, `'"42"'` a string).
 *
 * @example
 * ```ts
 * import { jsonOrText } from "./cli_args.ts";
 * console.log(jsonOrText("[1,2]"), jsonOrText("bob")); // [1, 2] "bob"
 * ```
 */
export function jsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Exactly `min`..`max` positionals, else a usage error naming `usage`. */
export function expectPositionals(
  p: Parsed,
  min: number,
  max: number,
  usage: string,
): string[] {
  const n = p.positionals.length;
  if (n < min || n > max) {
    throw new UsageError(
      `${
        n < min
          ? "missing arguments"
          : `unexpected argument ${JSON.stringify(p.positionals[max])}`
      }; usage: ${usage}`,
    );
  }
  return p.positionals;
}
