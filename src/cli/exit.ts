/**
 * Exit codes of the `smartbus` command and the one line it prints on stderr
 * for each failure: what went wrong and what to do about it.
 *
 * @example
 * ```ts
 * import { describeFailure, ExitCode } from "./exit.ts";
 * const { code, message } = describeFailure(new Error("boom"));
 * console.log(code === ExitCode.OTHER, message);
 * ```
 * @module
 */
import {
  AbortedError,
  ConnectError,
  FlowError,
  FlowNotStartedError,
  FlowTimeoutError,
  InvalidArgumentError,
  LibraryError,
  LibraryLoadError,
  TimeoutError,
} from "../abi/errors.ts";

/** Process exit codes, as documented in `--help` and docs/cli.md. */
export const ExitCode = {
  OK: 0,
  OTHER: 1,
  USAGE: 2,
  CONNECT: 3,
  TIMEOUT: 4,
  FLOW: 5,
  LIBRARY: 6,
} as const;

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

/** The exit-code table for `--help`. */
export const EXIT_CODES_HELP = `Exit codes:
  0  success
  1  other failure
  2  usage error (bad option or argument)
  3  connection failure (bus unreachable, login refused, link lost)
  4  timeout (flow result or ping answer did not come in time)
  5  flow error or flow not started (unknown flow, refused, failed)
  6  the library could not be loaded (--lib, SMARTBUS_NETCLI_LIB)`;

/**
 * A mistake in the command line; the message says what to write instead.
 *
 * @example
 * ```ts
 * import { UsageError } from "./exit.ts";
 * throw new UsageError("--repeat must be a positive integer");
 * ```
 */
export class UsageError extends Error {
  /** `"UsageError"`. */
  override name = "UsageError";
}

/**
 * A failure the command already phrased, with its exit code.
 *
 * @example
 * ```ts
 * import { CliFailure, ExitCode } from "./exit.ts";
 * throw new CliFailure(ExitCode.CONNECT, "cannot reach 127.0.0.1:8000");
 * ```
 */
export class CliFailure extends Error {
  /** `"CliFailure"`. */
  override name = "CliFailure";
  /** The exit code to end with. */
  readonly exitCode: ExitCodeValue;
  /** Fail with `exitCode` and the one-line `message`. */
  constructor(exitCode: ExitCodeValue, message: string) {
    super(message);
    this.exitCode = exitCode;
  }
}

/** Library return codes that mean the link is not there. */
const LINK_CODES = new Set([-2, -3, -8, -9, -20, -23]);

const oneLine = (s: string): string => s.replace(/\s*\n\s*/g, "; ").trim();

// deno-lint-ignore no-control-regex
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;
/**
 * `s` as one line a terminal shows as it is: line breaks joined with "; ",
 * other control characters (ESC sequences included) escaped as `\xNN`. The
 * message of a refused flow comes from the bus (any peer can write it), so
 * it must neither split the one stderr line nor drive the terminal.
 */
const terminalSafe = (s: string): string =>
  oneLine(s.replace(/\r\n?/g, "\n")).replace(
    CONTROL,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`,
  );

/**
 * What to check after a refusal: only "no such flow" (-1) and "no such
 * IPSC" (-23) point at the call's names; any other ack is the IPSC (or a
 * stub) refusing on purpose, and its reason says why.
 *
 * @example
 * ```ts
 * import { notStartedHint } from "./exit.ts";
 * console.log(notStartedHint(-3) === ""); // true: a refusal on purpose
 * ```
 */
export function notStartedHint(ack: number): string {
  if (ack === -1) {
    return ": check the project and flow names, --ipsc, and the match of any stub";
  }
  if (ack === -23) return ": check --ipsc (no such IPSC on the bus)";
  return "";
}

/**
 * The exit code and the single stderr line for a failure.
 *
 * @example
 * ```ts
 * import { describeFailure } from "./exit.ts";
 * import { LibraryLoadError } from "../abi/errors.ts";
 * console.log(describeFailure(new LibraryLoadError(["/x.so"])).code); // 6
 * ```
 */
export function describeFailure(
  e: unknown,
): { code: ExitCodeValue; message: string } {
  const { code, message } = describe(e);
  return { code, message: terminalSafe(message) };
}

function describe(e: unknown): { code: ExitCodeValue; message: string } {
  if (e instanceof CliFailure) return { code: e.exitCode, message: e.message };
  if (e instanceof UsageError) {
    return { code: ExitCode.USAGE, message: e.message };
  }
  if (e instanceof LibraryLoadError) {
    return {
      code: ExitCode.LIBRARY,
      message:
        `cannot load libbusnetcli: set --lib or SMARTBUS_NETCLI_LIB (tried: ${
          e.tried.join(", ")
        })`,
    };
  }
  if (e instanceof InvalidArgumentError) {
    return {
      code: ExitCode.USAGE,
      message: `${e.message}; see --help`,
    };
  }
  if (e instanceof ConnectError) {
    return {
      code: ExitCode.CONNECT,
      message: `cannot connect: ${oneLine(e.message)}`,
    };
  }
  if (e instanceof AbortedError) {
    return { code: ExitCode.OTHER, message: "interrupted" };
  }
  if (e instanceof FlowTimeoutError) {
    return {
      code: ExitCode.TIMEOUT,
      message:
        `${e.message}: raise --timeout, or check that the IPSC runs the flow`,
    };
  }
  if (e instanceof TimeoutError) {
    return {
      code: ExitCode.TIMEOUT,
      message: `${e.message}: raise --timeout, or check the destination`,
    };
  }
  if (e instanceof FlowNotStartedError) {
    return { code: ExitCode.FLOW, message: e.message + notStartedHint(e.ack) };
  }
  if (e instanceof FlowError) {
    // The code is the flow's own, not a library error: no library name.
    return {
      code: ExitCode.FLOW,
      message: `${oneLine(e.message)} (its code ${e.code}): see the IPSC's log`,
    };
  }
  if (e instanceof LibraryError && LINK_CODES.has(e.code)) {
    return {
      code: ExitCode.CONNECT,
      message: `${e.message}: not connected to the bus, check --master/--slave`,
    };
  }
  const text = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return { code: ExitCode.OTHER, message: oneLine(text) };
}
