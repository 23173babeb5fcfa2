/**
 * Typed errors. Every error of this package extends {@link SmartBusError};
 * errors that come from a library return code are {@link LibraryError}s and
 * carry the numeric `code` and its symbolic `codeName`.
 *
 * @example
 * ```ts
 * import { FlowTimeoutError, SmartBusError } from "@smartbus/netclient";
 * try {
 *   // await client.invokeFlow(...)
 * } catch (e) {
 *   if (e instanceof FlowTimeoutError) console.log("flow too slow", e.invokeId);
 *   else if (e instanceof SmartBusError) console.log(e.code, e.codeName);
 * }
 * ```
 * @module
 */
import {
  describeCode,
  type ErrorCodeName,
  errorCodeName,
} from "./constants.ts";

/**
 * Options accepted by every error constructor.
 *
 * @example
 * ```ts
 * import { SmartBusError, type SmartBusErrorOptions } from "@smartbus/netclient";
 * const options: SmartBusErrorOptions = { cause: new Error("socket closed") };
 * throw new SmartBusError("lost the bus", 0, options);
 * ```
 */
export interface SmartBusErrorOptions {
  /** The underlying error, kept as `cause`. */
  cause?: unknown;
}

/**
 * Base class of every error thrown by this package. `code` is the library
 * error code when there is one (else 0 for errors raised by the binding).
 *
 * @example
 * ```ts
 * import { SmartBusError } from "@smartbus/netclient";
 * const e = new SmartBusError("boom");
 * console.log(e instanceof Error, e.code); // true 0
 * ```
 */
export class SmartBusError extends Error {
  /** The error class name. */
  override name = "SmartBusError";
  /** Library error code (negative), or 0 when the error is the binding's own. */
  readonly code: number;
  /** Symbolic name of {@link SmartBusError.code}. */
  readonly codeName: ErrorCodeName | "UNKNOWN";
  /** Create an error with an optional library code. */
  constructor(message: string, code = 0, options?: SmartBusErrorOptions) {
    super(message, options);
    this.code = code;
    this.codeName = errorCodeName(code);
  }
}

/**
 * A call into the library returned a negative error code.
 *
 * @example
 * ```ts
 * import { LibraryError } from "@smartbus/netclient";
 * const e = new LibraryError("SendData", -2);
 * console.log(e.codeName, e.message); // CONN_NOT_ESTAB ...
 * ```
 */
export class LibraryError extends SmartBusError {
  /** The error class name. */
  override name = "LibraryError";
  /** The C function that returned the code. */
  readonly func: string;
  /** Create the error for `func` returning `code`. */
  constructor(func: string, code: number, options?: SmartBusErrorOptions) {
    super(
      `${func} failed with ${describeCode(code)}`,
      code,
      options,
    );
    this.func = func;
  }
}

/**
 * A connection attempt failed (`onConnectFail`), or connecting did not finish
 * before its deadline or was aborted. `code` is the last error code.
 *
 * @example
 * ```ts
 * import { ConnectError } from "@smartbus/netclient";
 * const e = new ConnectError("wrong password", -6);
 * console.log(e.codeName); // PWD
 * ```
 */
export class ConnectError extends SmartBusError {
  /** The error class name. */
  override name = "ConnectError";
}

/**
 * An operation was called before `initialize`, after `finalize`, or on a
 * disposed client.
 *
 * @example
 * ```ts
 * import { NotInitializedError } from "@smartbus/netclient";
 * console.log(new NotInitializedError().code); // -14
 * ```
 */
export class NotInitializedError extends SmartBusError {
  /** The error class name. */
  override name = "NotInitializedError";
  /** Create the error; `what` says which call was refused. */
  constructor(what = "the SmartBus library", options?: SmartBusErrorOptions) {
    super(`${what} is not initialized`, -14, options);
  }
}

/**
 * `initialize` was called twice without `finalize`, or a native unit was
 * asked for while another one is open in this process (the library's
 * callbacks are process-wide: one native unit per process).
 *
 * @example
 * ```ts
 * import { AlreadyInitializedError } from "@smartbus/netclient";
 * console.log(new AlreadyInitializedError(17).message);
 * ```
 */
export class AlreadyInitializedError extends SmartBusError {
  /** The error class name. */
  override name = "AlreadyInitializedError";
  /** Create the error for the unit id already initialized. */
  constructor(unitId: number, options?: SmartBusErrorOptions) {
    super(
      `the SmartBus library is already initialized (unit id ${unitId}; one native unit per process): close it (finalize()) first`,
      0,
      options,
    );
  }
}

/**
 * A client with the same local client id already exists in this unit.
 *
 * @example
 * ```ts
 * import { AlreadyExistsError } from "@smartbus/netclient";
 * console.log(new AlreadyExistsError(3).code); // -22
 * ```
 */
export class AlreadyExistsError extends SmartBusError {
  /** The error class name. */
  override name = "AlreadyExistsError";
  /** Create the error for the duplicate `localClientId` (`reason`: why, when it is not a live client). */
  constructor(
    localClientId: number,
    options?: SmartBusErrorOptions & { reason?: string },
  ) {
    super(
      options?.reason ??
        `a client with local client id ${localClientId} already exists; dispose() it first`,
      -22,
      options,
    );
  }
}

/**
 * An argument was refused before anything reached the library. `argument`
 * names the parameter.
 *
 * @example
 * ```ts
 * import { InvalidArgumentError } from "@smartbus/netclient";
 * const e = new InvalidArgumentError("unitId", "must be 16–47, got 3");
 * console.log(e.argument, e.code); // unitId -1
 * ```
 */
export class InvalidArgumentError extends SmartBusError {
  /** The error class name. */
  override name = "InvalidArgumentError";
  /** The parameter that was refused. */
  readonly argument: string;
  /** Create the error for parameter `argument`. */
  constructor(
    argument: string,
    reason: string,
    options?: SmartBusErrorOptions & {
      /**
       * The library code the argument would have met (default -1
       * `ARGUMENT`; -15 `MAX_DATASIZE` for data over the size limit).
       */
      code?: number;
    },
  ) {
    super(`invalid ${argument}: ${reason}`, options?.code ?? -1, options);
    this.argument = argument;
  }
}

/**
 * What identifies one flow invocation (a `FlowError`'s constructor takes it;
 * the error carries its fields).
 *
 * @example
 * ```ts
 * import { type FlowCallInfo, FlowError } from "@smartbus/netclient";
 * const call: FlowCallInfo = { invokeId: 5, project: "ivr" };
 * throw new FlowError("flow ivr failed", -99, call);
 * ```
 */
export interface FlowCallInfo {
  /** The invoke id returned by the library. */
  invokeId: number;
  /** The flow's project id. */
  project: string;
}

/**
 * Base class of the errors an awaited flow call rejects with.
 *
 * @example
 * ```ts
 * import { FlowError } from "@smartbus/netclient";
 * const e = new FlowError("flow failed", -99, { invokeId: 5, project: "p" });
 * console.log(e.invokeId, e.project); // 5 p
 * ```
 */
export class FlowError extends SmartBusError {
  /** The error class name. */
  override name = "FlowError";
  /** The invoke id of the failed call (0 when the library gave none). */
  readonly invokeId: number;
  /** The flow's project id. */
  readonly project: string;
  /** Create the error for the call `info`. */
  constructor(
    message: string,
    code: number,
    info: FlowCallInfo,
    options?: SmartBusErrorOptions,
  ) {
    super(message, code, options);
    this.invokeId = info.invokeId;
    this.project = info.project;
  }
}

/**
 * No result arrived before the call's timeout (`ret` -25 from the library's
 * timer, or the awaiting side's own deadline).
 *
 * @example
 * ```ts
 * import { FlowTimeoutError } from "@smartbus/netclient";
 * const e = new FlowTimeoutError({ invokeId: 5, project: "p" }, 30000);
 * console.log(e.code, e.codeName); // -25 TIMEOUT
 * ```
 */
export class FlowTimeoutError extends FlowError {
  /** The error class name. */
  override name = "FlowTimeoutError";
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;
  /** Create the error for call `info` after `timeoutMs`. */
  constructor(
    info: FlowCallInfo,
    timeoutMs: number,
    options?: SmartBusErrorOptions,
  ) {
    super(
      `flow ${info.project} (invoke id ${info.invokeId}) timed out after ${timeoutMs} ms`,
      -25,
      info,
      options,
    );
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The IPSC acknowledged the call with ack ≠ 1: the flow did not start.
 * `ack` is the acknowledgement and `message` carries the IPSC's reason.
 *
 * @example
 * ```ts
 * import { FlowNotStartedError } from "@smartbus/netclient";
 * const e = new FlowNotStartedError({ invokeId: 5, project: "p" }, -1, "no such flow");
 * console.log(e.ack, e.reason); // -1 no such flow
 * ```
 */
export class FlowNotStartedError extends FlowError {
  /** The error class name. */
  override name = "FlowNotStartedError";
  /** The acknowledgement value (≠ 1). */
  readonly ack: number;
  /** The IPSC's reason, as sent. */
  readonly reason: string;
  /** Create the error for call `info` refused with `ack` and `reason`. */
  constructor(
    info: FlowCallInfo,
    ack: number,
    reason: string,
    options?: SmartBusErrorOptions,
  ) {
    super(
      `flow ${info.project} (invoke id ${info.invokeId}) did not start (ack ${ack}): ${reason}`,
      ack < 0 ? ack : 0,
      info,
      options,
    );
    this.ack = ack;
    this.reason = reason;
  }
}

/**
 * An awaited call was aborted through its `AbortSignal`, or the client was
 * closed while it was pending. `cause` is the signal's reason.
 *
 * @example
 * ```ts
 * import { AbortedError } from "@smartbus/netclient";
 * console.log(new AbortedError("ping").name); // AbortedError
 * ```
 */
export class AbortedError extends SmartBusError {
  /** The error class name. */
  override name = "AbortedError";
  /** Create the error for the aborted operation `what`. */
  constructor(what: string, options?: SmartBusErrorOptions) {
    super(`${what} was aborted`, 0, options);
  }
}

/**
 * An awaited call other than a flow (connect, ping) ran past its timeout.
 *
 * @example
 * ```ts
 * import { TimeoutError } from "@smartbus/netclient";
 * console.log(new TimeoutError("ping", 5000).code); // -25
 * ```
 */
export class TimeoutError extends SmartBusError {
  /** The error class name. */
  override name = "TimeoutError";
  /** The timeout that expired, in milliseconds. */
  readonly timeoutMs: number;
  /** Create the error for `what` after `timeoutMs`. */
  constructor(what: string, timeoutMs: number, options?: SmartBusErrorOptions) {
    super(`${what} timed out after ${timeoutMs} ms`, -25, options);
    this.timeoutMs = timeoutMs;
  }
}

/**
 * The native library could not be found or loaded. `tried` lists every path
 * that was attempted, in order.
 *
 * @example
 * ```ts
 * import { LibraryLoadError } from "@smartbus/netclient";
 * const e = new LibraryLoadError(["/opt/libbusnetcli.so"]);
 * console.log(e.tried);
 * ```
 */
export class LibraryLoadError extends SmartBusError {
  /** The error class name. */
  override name = "LibraryLoadError";
  /** Every path tried, in order. */
  readonly tried: readonly string[];
  /** Create the error listing `tried`; `detail` adds the last loader message. */
  constructor(
    tried: readonly string[],
    detail = "",
    options?: SmartBusErrorOptions,
  ) {
    super(
      `could not load the SmartBus network client library (libbusnetcli); ` +
        `set SMARTBUS_NETCLI_LIB or pass an explicit path. Tried:\n  ` +
        tried.join("\n  ") + (detail ? `\nlast error: ${detail}` : ""),
      0,
      options,
    );
    this.tried = tried;
  }
}

/**
 * The library file was found but cannot run safely in this process, so it
 * was not loaded (for example a build that exports libuv's API where the
 * runtime exports it too and the loader cannot keep the two apart). The
 * message says why.
 *
 * @example
 * ```ts
 * import { UnsafeLibraryError } from "@smartbus/netclient";
 * const e = new UnsafeLibraryError("/opt/libbusnetcli.so", "it exports uv_run");
 * console.log(e.path, e.reason);
 * ```
 */
export class UnsafeLibraryError extends SmartBusError {
  /** The error class name. */
  override name = "UnsafeLibraryError";
  /** The library file refused. */
  readonly path: string;
  /** Why it cannot run safely here. */
  readonly reason: string;
  /** Create the error for `path`, refused because of `reason`. */
  constructor(path: string, reason: string, options?: SmartBusErrorOptions) {
    super(
      `refused to load the SmartBus network client library ${path}: ${reason}`,
      0,
      options,
    );
    this.path = path;
    this.reason = reason;
  }
}
