/**
 * The arguments of a `Client`: option types, defaults, and the checks and
 * encodings that turn them into what the library takes, so that bad input
 * fails before anything reaches a backend.
 *
 * @example
 * ```ts
 * import type { ClientOptions } from "@smartbus/netclient";
 * const options: ClientOptions = { localClientId: 1, masterHost: "10.0.0.1", masterPort: 8000 };
 * ```
 * @module
 */
import {
  ClientType,
  ErrorCode,
  InvokeMode,
  MAX_DATA_BYTES,
  MAX_IP_ADDR_LEN,
  MAX_STRING_BYTES,
  NO_SLAVE_PORT,
} from "../abi/constants.ts";
import { InvalidArgumentError } from "../abi/errors.ts";
import { serializeFlowParams } from "./params.ts";
import type { SmartBus } from "./smartbus.ts";
import {
  cString,
  normalizeEncoding,
  type TextEncodingName,
  transientCString,
  utf8Length,
} from "./text.ts";
import * as v from "./validate.ts";

/**
 * Where a message goes: a client anywhere on the bus.
 *
 * @example
 * ```ts
 * import { type Address, Client, ClientType } from "@smartbus/netclient";
 * const peer: Address = { unitId: 18, clientId: 1, clientType: ClientType.AGENT };
 * const rttTo = (client: Client): Promise<number> => client.rtt(peer);
 * ```
 */
export interface Address {
  /** Unit id (16–47 a client unit, 0–15 a node). */
  unitId: number;
  /** Client id on that unit. */
  clientId: number;
  /** Client type (`ClientType`). */
  clientType: number;
}

/**
 * Options every awaitable call accepts.
 *
 * @example
 * ```ts
 * import type { CallOptions, Client } from "@smartbus/netclient";
 * const options: CallOptions = { timeout: 5_000, signal: AbortSignal.timeout(10_000) };
 * const connect = (client: Client): Promise<number> => client.connect(options);
 * ```
 */
export interface CallOptions {
  /** Milliseconds before the call rejects; a positive finite number. */
  timeout?: number;
  /** Aborting rejects the call with `AbortedError`. */
  signal?: AbortSignal;
}

/**
 * Options of {@link Client}: the original package's constructor parameters
 * by name.
 *
 * @example
 * ```ts
 * import { Client, type ClientOptions, ClientType } from "@smartbus/netclient";
 * const options: ClientOptions = {
 *   localClientId: 1,
 *   localClientType: ClientType.AGENT,
 *   masterHost: "10.0.0.1",
 *   masterPort: 8000,
 *   encoding: "gbk",
 * };
 * const make = (): Client => new Client(options); // on the unit of initialize()
 * ```
 */
export interface ClientOptions {
  /** The unit this client belongs to; default: the process-wide one of `initialize()`. */
  bus?: SmartBus;
  /** 0–255, unique within the unit. */
  localClientId: number;
  /** Default `ClientType.NULL`... the seed required it; 0–255. */
  localClientType?: number;
  /** Master bus server host (name or IP, < 64 bytes). */
  masterHost: string;
  /** Master bus server port. */
  masterPort: number;
  /** Slave bus server host; null/empty for none. */
  slaverHost?: string | null;
  /** Slave bus server port; 0xFFFF (default) for none. */
  slaverPort?: number;
  /** Login name; null for none. */
  authorUsr?: string | null;
  /** Password; null for none. */
  authorPwd?: string | null;
  /** Additional info other clients see in global connect events (GBK). */
  extInfo?: string | null;
  /** Text encoding for send/receive: `"utf-8"` (default) or `"gbk"`. */
  encoding?: string;
}

/**
 * A flow to call with {@link Client.invoke}.
 *
 * @example
 * ```ts
 * import type { Client, FlowCall } from "@smartbus/netclient";
 * const callout: FlowCall = { server: 0, process: 0, project: "ivr", flow: "callout", params: { to: "10086" } };
 * const run = (client: Client): Promise<unknown[]> => client.invoke(callout, { timeout: 60_000 });
 * ```
 */
export interface FlowCall {
  /** The IPSC's unit id. */
  server: number;
  /** The IPSC's process index (its client id). */
  process: number;
  /** The flow's project id (GBK). */
  project: string;
  /** The flow's name (GBK). */
  flow: string;
  /** Anything JSON can carry; a non-array becomes a one-element list. */
  params?: unknown;
  /** `false`: resolve on the acknowledge, with `[]` (mode 1). Default true. */
  wantResult?: boolean;
}

/**
 * Default timeout of `connect()` and `rtt()`, ms.
 *
 * @example
 * ```ts
 * import { DEFAULT_CALL_TIMEOUT_MS } from "@smartbus/netclient";
 * console.log(DEFAULT_CALL_TIMEOUT_MS); // 30000
 * ```
 */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
/**
 * Default timeout of `invoke()`, ms (the original package's 30 s).
 *
 * @example
 * ```ts
 * import { DEFAULT_FLOW_TIMEOUT_MS } from "@smartbus/netclient";
 * const patient = { timeout: 2 * DEFAULT_FLOW_TIMEOUT_MS };
 * ```
 */
export const DEFAULT_FLOW_TIMEOUT_MS = 30_000;

/** The seed's positional constructor arguments, as options. @internal */
export function clientOptionsFrom(args: unknown[]): ClientOptions {
  if (typeof args[0] === "object" && args[0] !== null) {
    return args[0] as ClientOptions;
  }
  const [
    localClientId,
    localClientType,
    masterHost,
    masterPort,
    slaverHost,
    slaverPort,
    authorUsr,
    authorPwd,
    extInfo,
    encoding,
  ] = args as [
    number,
    number,
    string,
    number,
    string | null,
    number,
    string | null,
    string | null,
    string | null,
    string,
  ];
  return {
    localClientId,
    localClientType,
    masterHost,
    masterPort,
    slaverHost,
    slaverPort,
    authorUsr,
    authorPwd,
    extInfo,
    encoding,
  };
}

/** A client's settings, checked. @internal */
export interface ClientFields {
  localClientId: number;
  localClientType: number;
  masterHost: string;
  masterPort: number;
  slaverHost: string | null;
  slaverPort: number;
  authorUsr: string | null;
  authorPwd: string | null;
  extInfo: string | null;
  encoding: TextEncodingName;
}

/** Check a client's options (defaults applied); throws `InvalidArgumentError`. @internal */
export function clientFields(o: ClientOptions): ClientFields {
  const nullable = { nullable: true } as const;
  const f: ClientFields = {
    localClientId: v.assertLocalClientId(o.localClientId),
    localClientType: v.assertClientType(
      o.localClientType ?? ClientType.NULL,
      "localClientType",
    ),
    masterHost: hostArg("masterHost", o.masterHost),
    masterPort: v.assertInteger("masterPort", o.masterPort, 1, 65535),
    slaverHost: o.slaverHost == null || o.slaverHost === ""
      ? null
      : hostArg("slaverHost", o.slaverHost),
    slaverPort: v.assertPort("slaverPort", o.slaverPort ?? NO_SLAVE_PORT),
    authorUsr: v.assertString("authorUsr", o.authorUsr ?? null, nullable),
    authorPwd: v.assertString("authorPwd", o.authorPwd ?? null, nullable),
    extInfo: v.assertString("extInfo", o.extInfo ?? null, nullable),
    encoding: normalizeEncoding(o.encoding ?? "utf-8"),
  };
  // Encode now so that bad credentials fail here, not at connect().
  connectArgs(f);
  return f;
}

/** `CreateConnect`'s string arguments, encoded. @internal */
export interface ConnectArgs {
  master: Uint8Array;
  slave: Uint8Array | null;
  user: Uint8Array | null;
  pwd: Uint8Array | null;
  info: Uint8Array | null;
}

/** Encode a client's connection strings (C strings; credentials in its encoding, add_info GBK). @internal */
export function connectArgs(c: {
  masterHost: string;
  slaverHost: string | null;
  authorUsr: string | null;
  authorPwd: string | null;
  extInfo: string | null;
  encoding: TextEncodingName;
}): ConnectArgs {
  const opt = (arg: string, s: string | null, enc: TextEncodingName) =>
    s === null ? null : boundedCString(arg, s, enc);
  return {
    master: cString(c.masterHost, "utf-8", "masterHost"),
    slave: opt("slaverHost", c.slaverHost, "utf-8"),
    user: opt("authorUsr", c.authorUsr, c.encoding),
    pwd: opt("authorPwd", c.authorPwd, c.encoding),
    info: opt("extInfo", c.extInfo, "gbk"),
  };
}

/** `RemoteInvokeFlow`'s arguments, checked and encoded. @internal */
export interface FlowCallArgs {
  server: number;
  process: number;
  project: Uint8Array;
  flow: Uint8Array;
  mode: number;
  params: Uint8Array;
}

/** Check and encode a {@link FlowCall}. @internal */
export function flowCallArgs(call: FlowCall): FlowCallArgs {
  if (typeof call !== "object" || call === null) {
    throw new InvalidArgumentError("call", "a FlowCall object is required");
  }
  return {
    server: v.assertNodeOrUnitId(call.server, "server"),
    process: v.assertInteger("process", call.process, 0, 255),
    project: boundedCString(
      "project",
      v.assertString("project", call.project),
      "gbk",
    ),
    flow: boundedCString("flow", v.assertString("flow", call.flow), "gbk"),
    mode: call.wantResult === false
      ? InvokeMode.FIRE_AND_FORGET
      : InvokeMode.WANT_RESULT,
    params: serializeFlowParams(call.params),
  };
}

/** A library call that returns an id: > 0, else the error code (0 has no id: OTHER). @internal */
export function idOrCode(rc: number): number {
  return rc === 0 ? ErrorCode.OTHER : rc;
}

/**
 * A host argument: 1–63 bytes of UTF-8, so that with its NUL it fits the
 * library's 64-byte field (measured in bytes: "€" is three). @internal
 */
export function hostArg(argument: string, host: unknown): string {
  const h = v.assertString(argument, host);
  const bytes = utf8Length(h);
  if (bytes === 0 || bytes + 1 > MAX_IP_ADDR_LEN) {
    throw new InvalidArgumentError(
      argument,
      `must be 1–${MAX_IP_ADDR_LEN - 1} bytes of UTF-8, got ${bytes} (${
        JSON.stringify(h.length > 80 ? h.slice(0, 80) + "…" : h)
      })`,
    );
  }
  return h;
}

/**
 * `text` as a C string (`encoding`) of at most `MAX_STRING_BYTES` bytes
 * before its NUL; longer is refused with `code` (the library's own code for
 * that argument) before anything reaches the library. @internal
 */
export function boundedCString(
  argument: string,
  text: string,
  encoding: TextEncodingName,
  code: number = ErrorCode.ARGUMENT,
): Uint8Array {
  // Every character takes at least one byte: no need to encode a string
  // that is too long in characters already.
  const bytes = text.length > MAX_STRING_BYTES
    ? null
    : cString(text, encoding, argument);
  if (bytes === null || bytes.length - 1 > MAX_STRING_BYTES) {
    throw new InvalidArgumentError(
      argument,
      `must be at most ${MAX_STRING_BYTES} bytes of ${encoding}, got ${
        bytes === null ? `${text.length} characters` : bytes.length - 1
      }`,
      { code },
    );
  }
  return bytes;
}

/** A destination address, checked. @internal */
export function destination(
  unitId: unknown,
  clientId: unknown,
  clientType: unknown,
): Address {
  return {
    unitId: v.assertNodeOrUnitId(unitId, "dstUnitId"),
    clientId: v.assertInteger("dstClientId", clientId, 0, 255),
    clientType: v.assertClientType(clientType, "dstClientType"),
  };
}

/** An awaited call's options, checked. @internal */
export interface CallSettings {
  /** Its deadline, ms. */
  timeoutMs: number;
  /** Its signal, if any. */
  signal: AbortSignal | undefined;
}

/**
 * Check an awaited call's `options` (plain JavaScript may pass `null`, a
 * number or a fake signal): the timeout in ms, else `fallback`, and the
 * signal. Runs before anything is sent or any timer is set. @internal
 */
export function callSettings(options: unknown, fallback: number): CallSettings {
  if (options === undefined) return { timeoutMs: fallback, signal: undefined };
  if (typeof options !== "object" || options === null) {
    throw new InvalidArgumentError(
      "options",
      `must be an object such as { timeout, signal }, got ${
        v.showValue(options)
      }`,
    );
  }
  const o = options as CallOptions;
  return {
    timeoutMs: o.timeout === undefined
      ? fallback
      : v.assertTimeoutMs("timeout", o.timeout),
    signal: v.assertSignal("signal", o.signal),
  };
}

/**
 * What `send`/`ping` hand the library: bytes as given; text encoded (with
 * `encoding`, else the client's `fallback`) as a C string, because peers are
 * C programs reading C strings: the NUL is part of the data. Text goes
 * through `transientCString`: pass the result on at once. @internal
 */
export function payload(
  data: string | Uint8Array,
  encoding: string | undefined,
  fallback: TextEncodingName,
): Uint8Array {
  const b = v.assertBytesOrString("data", data);
  if (typeof b !== "string") return dataLimit(b.length, b);
  const enc = encoding === undefined ? fallback : normalizeEncoding(encoding);
  // Refused before encoding when the characters alone are too many, so an
  // oversized string never grows the shared encode buffer.
  if (b.length + 1 > MAX_DATA_BYTES) return dataLimit(b.length + 1, null);
  const bytes = transientCString(b, enc, "data");
  return dataLimit(bytes.length, bytes);
}

function dataLimit(size: number, bytes: Uint8Array | null): Uint8Array {
  if (bytes === null || size > MAX_DATA_BYTES) {
    throw new InvalidArgumentError(
      "data",
      `must be at most ${MAX_DATA_BYTES} bytes, got ${
        bytes === null ? `at least ${size}` : size
      }`,
      { code: ErrorCode.MAX_DATASIZE },
    );
  }
  return bytes;
}

/** `SendNotify`'s arguments, checked and encoded. @internal */
export interface NotifyArgs {
  server: number;
  process: number;
  project: Uint8Array;
  title: Uint8Array;
  mode: number;
  expiresMs: number;
  param: Uint8Array;
}

/** Check and encode the seed's `sendNotify` arguments (`expires` in seconds). @internal */
export function notifyArgs(
  server: number,
  process: number,
  project: string | null,
  title: string,
  mode: number,
  expires: number,
  param: string,
): NotifyArgs {
  const s = v.assertNodeOrUnitId(server, "server");
  const p = v.assertInteger("process", process, 0, 255);
  const m = v.assertInteger("mode", mode, -2147483648, 2147483647);
  const expiresMs = v.assertTimeoutSeconds("expires", expires);
  return {
    server: s,
    process: p,
    project: boundedCString(
      "project",
      v.assertString("project", project ?? ""),
      "gbk",
    ),
    title: boundedCString("title", v.assertString("title", title), "gbk"),
    mode: m,
    expiresMs,
    param: boundedCString(
      "param",
      v.assertString("param", param),
      "gbk",
      ErrorCode.MAX_DATASIZE,
    ),
  };
}
